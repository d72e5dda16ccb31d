"""Salesforce harness: the emulator over HTTPS (its own CA), the real simple-salesforce, the connector
built through its entry point with `ca_bundle` pointing at the emulator's CA."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from connectors.emulator_kit.faults import Fault
from connectors.salesforce.emulator import AuthConfig, SalesforceEmulator
from connectors.salesforce.emulator.auth import Sessions
from prm_sync.config import Config
from prm_sync.connector import Connector, RetryPolicy, no_wait_policy
from prm_sync.mapping import CompiledMapping, load_mapping
from tests.integration.connectors.harnesses import START, Clock

MAPPING = Path(__file__).resolve().parents[3] / "mappings" / "salesforce.yaml"

#: entity -> (sObject, fields that put a record inside the shipped mapping's filter)
SEED_SHAPE: dict[str, tuple[str, dict[str, Any]]] = {
    "partner": ("Account", {"Type": "Partner", "Partner_Status__c": "Active"}),
    "partner_contact": ("Contact", {"Partner_Role__c": "Primary"}),
    "lead": ("Lead", {"LeadSource": "Partner Referral", "Company": "Customer Inc"}),
    "deal": ("Opportunity", {"StageName": "Prospecting", "CloseDate": "2026-12-31", "Amount": Decimal("1000")}),
    "commission": ("Partner_Commission__c", {"Status__c": "Calculated", "Amount__c": Decimal("10.50")}),
    "fund_request": ("Partner_Fund_Request__c", {"Status__c": "Submitted", "Requested_Amount__c": Decimal("1000")}),
    "fund_claim": ("Partner_Fund_Claim__c", {"Status__c": "Submitted", "Amount__c": Decimal("100")}),
}
NAME_FIELD = {"partner": "Name", "partner_contact": "LastName",
              "lead": "LastName", "deal": "Name", "commission": "Period__c",
              "fund_request": "Description__c", "fund_claim": "Proof__c"}


@dataclass
class SalesforceHarness:
    emulator: SalesforceEmulator
    clock: Clock
    mapping: CompiledMapping
    crm: str = "salesforce"
    bad_value: tuple[str, Any] = ("Partner_Tier__c", "Diamond")
    connector: Connector = field(init=False)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.connector = self.build()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        emu = self.emulator
        return {"instance_url": emu.base_url, "session_id": emu.session_id, "ca_bundle": str(emu.ca_path),
                **overrides}

    def config(self, salesforce: dict[str, Any] | None = None, **sync: Any) -> Config:
        return Config.model_validate({
            "crm": {"type": "salesforce", "salesforce": salesforce or self.settings()},
            "mappings": str(MAPPING),
            "sync": sync,
        })

    def build(self, retry: RetryPolicy | None = None, salesforce: dict[str, Any] | None = None,
              bulk_wait_s: float = 0.01, **sync: Any) -> Connector:
        (entry,) = entry_points(group="prm_sync.connectors", name="salesforce")
        connector: Connector = entry.load()(self.config(salesforce, **sync), retry=retry or no_wait_policy(),
                                            bulk_wait_s=bulk_wait_s)
        return connector

    def reset(self) -> None:
        emu = self.emulator
        emu.reset()
        emu.clear_faults()
        emu.reset_counters()
        emu.api_used = 0
        emu.daily_api_limit = 100_000
        emu.page_size = 2000
        emu.sessions = Sessions(AuthConfig())     # the fixed session id valid again, default logins
        self.clock.now = START
        self.connector.close()
        self.connector = self.build()

    def now(self) -> dt.datetime:
        return self.clock.now

    def advance(self, seconds: float) -> None:
        self.clock.now += dt.timedelta(seconds=seconds)

    def _obj(self, entity: str) -> str:
        return SEED_SHAPE[entity][0]

    def seed(self, entity: str, n: int, **field_overrides: Any) -> list[str]:
        """n records via the Python API in one DML stamp (fast); ids in creation order."""
        emu = self.emulator
        extra: dict[str, Any] = {}
        if entity == "deal" and "Partner_Account__c" not in field_overrides:
            extra["Partner_Account__c"] = self.seed("partner", 1)[0]
        ids = []
        with emu.lock:
            stamp = emu.store.now()
            for _ in range(n):
                number = next(self._numbers)
                values = {**SEED_SHAPE[entity][1], **extra, NAME_FIELD[entity]: f"Seed {entity} {number}",
                          "PRM_Id__c": f"seed-{entity}-{number:06d}", **field_overrides}
                ids.append(emu.store.insert(self._obj(entity), values, stamp)["Id"])
        return ids

    def modify(self, entity: str, crm_id: str, crm_field: str, value: Any) -> None:
        emu = self.emulator
        fields = emu.schema.objects[self._obj(entity)].fields
        # Salesforce field names are case-insensitive (the suite may say "phone" for Phone)
        crm_field = next((name for name in fields if name.lower() == crm_field.lower()), crm_field)
        with emu.lock:
            emu.store.update(self._obj(entity), crm_id, {crm_field: value}, emu.store.now())

    def delete(self, entity: str, crm_id: str) -> None:
        emu = self.emulator
        with emu.lock:
            emu.store.delete(self._obj(entity), crm_id, emu.store.now())

    def calls(self, substring: str = "") -> int:
        return self.emulator.calls(substring)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.emulator.session_id,)

    def outage(self) -> None:
        self.emulator.inject(Fault(path="", count=0, status=503))

    def reset_calls(self) -> None:
        self.emulator.reset_counters()

    def crm_record(self, entity: str, crm_id: str) -> dict[str, Any]:
        with self.emulator.lock:
            record = self.emulator.store.get(self._obj(entity), crm_id, include_deleted=True)
            assert record is not None, crm_id
            return dict(record)


@contextmanager
def open_harness() -> Iterator[SalesforceHarness]:
    clock = Clock()
    emulator = SalesforceEmulator(clock=clock)
    emulator.start()
    harness = SalesforceHarness(emulator, clock, load_mapping(MAPPING, expect_crm="salesforce"))
    try:
        yield harness
    finally:
        harness.connector.close()
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors
