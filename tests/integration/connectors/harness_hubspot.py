"""HubSpot harness: the emulator over HTTP, the real SDK, the connector built via its entry point."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from connectors.emulator_kit.faults import Fault
from connectors.hubspot.emulator import HubSpotEmulator, RateLimits
from prm_sync.config import Config
from prm_sync.connector import Connector, RetryPolicy, no_wait_policy
from prm_sync.mapping import CompiledMapping, load_mapping
from tests.integration.connectors.harnesses import START, Clock

TOKEN = "test-token"
MAPPING = Path(__file__).resolve().parents[3] / "mappings" / "hubspot.yaml"

#: entity -> (object type, properties that put a record inside the shipped mapping's filter)
SEED_SHAPE: dict[str, tuple[str, dict[str, str]]] = {
    "partner": ("companies", {"prm_is_partner": "true", "prm_partner_status": "active"}),
    "partner_contact": ("contacts", {"prm_partner_contact": "true", "prm_partner_role": "primary"}),
    "lead": ("deals", {"pipeline": "partner_registrations", "dealstage": "registration_submitted",
                       "prm_customer_company": "Customer Inc"}),
    "deal": ("deals", {"pipeline": "default", "dealstage": "appointmentscheduled", "amount": "1000"}),
    "commission": ("partner_commissions", {"status": "calculated", "amount": "10.50", "currency": "USD"}),
    "fund_request": ("partner_fund_requests", {"status": "submitted", "prm_requested_amount": "1000",
                                               "currency": "USD"}),
    "fund_claim": ("partner_fund_claims", {"status": "submitted", "amount": "100", "currency": "USD"}),
}
NAME_FIELD = {"partner": "name", "partner_contact": "lastname",
              "lead": "dealname", "deal": "dealname", "commission": "period",
              "fund_request": "prm_description", "fund_claim": "prm_proof"}


@dataclass
class HubSpotHarness:
    emulator: HubSpotEmulator
    clock: Clock
    mapping: CompiledMapping
    crm: str = "hubspot"
    bad_value: tuple[str, Any] = ("prm_partner_tier", "bogus")
    connector: Connector = field(init=False)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.connector = self.build()

    def config(self, **sync: Any) -> Config:
        return Config.model_validate({
            "crm": {"type": "hubspot", "hubspot": {"access_token": TOKEN, "base_url": self.emulator.base_url}},
            "mappings": str(MAPPING),
            "sync": sync,
        })

    def build(self, retry: RetryPolicy | None = None, **sync: Any) -> Connector:
        (entry,) = entry_points(group="prm_sync.connectors", name="hubspot")
        connector: Connector = entry.load()(self.config(**sync), retry=retry or no_wait_policy())
        return connector

    def reset(self) -> None:
        emu = self.emulator
        emu.reset()
        emu.clear_faults()
        emu.reset_counters()
        emu.rate_limits = RateLimits()
        emu.set_search_lag(0)
        self.clock.now = START
        self.connector.close()
        self.connector = self.build()

    def now(self) -> dt.datetime:
        return self.clock.now

    def advance(self, seconds: float) -> None:
        self.clock.now += dt.timedelta(seconds=seconds)

    def _type(self, entity: str) -> Any:
        return self.emulator.schema.object_types[SEED_SHAPE[entity][0]]

    def seed(self, entity: str, n: int, *, spread_ms: int = 0, **field_overrides: Any) -> list[str]:
        """n records via the Python API (fast); `spread_ms` > 0 moves the clock between records."""
        object_type = self._type(entity)
        emu = self.emulator
        ids = []
        with emu.lock:
            created = []
            for _ in range(n):
                number = next(self._numbers)
                values: dict[str, str | None] = {
                    **SEED_SHAPE[entity][1], NAME_FIELD[entity]: f"Seed {entity} {number}",
                    "prm_id": f"seed-{entity}-{number:06d}",
                }
                values.update({k: None if v is None else str(v) for k, v in field_overrides.items()})
                record = emu.store.create(object_type, values, emu.now_ms())
                created.append(record)
                ids.append(str(record.id))
                if spread_ms:
                    self.clock.now += dt.timedelta(milliseconds=spread_ms)
            emu.changed(object_type, created, emu.now_ms())
        return ids

    def modify(self, entity: str, crm_id: str, crm_field: str, value: Any, *, index_lag_ms: int | None = None) -> None:
        """Someone else edits a record; `index_lag_ms` makes this one write reach search that late
        (needs the emulator's search lag on)."""
        emu, object_type = self.emulator, self._type(entity)
        with emu.lock:
            record = emu.store.table(object_type).records[int(crm_id)]
            emu.store.update(object_type, record, {crm_field: None if value is None else str(value)}, emu.now_ms())
            emu.changed(object_type, [record], emu.now_ms(), lag_ms=index_lag_ms)

    def delete(self, entity: str, crm_id: str) -> None:
        emu, object_type = self.emulator, self._type(entity)
        with emu.lock:
            record = emu.store.table(object_type).records[int(crm_id)]
            emu.store.archive(object_type, record, emu.now_ms())
            emu.changed(object_type, [record], emu.now_ms())

    def link(self, from_entity: str, from_id: str, to_entity: str, to_id: str) -> None:
        """Associate two records with the default type (e.g. a deal to its partner company)."""
        emu = self.emulator
        source, target = SEED_SHAPE[from_entity][0], SEED_SHAPE[to_entity][0]
        with emu.lock:
            assoc_type = emu.associations.default_type(source, target)
            assert assoc_type is not None
            emu.associations.link(source, int(from_id), target, int(to_id), assoc_type)

    def calls(self, substring: str = "") -> int:
        return self.emulator.calls(substring)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (TOKEN,)

    def outage(self) -> None:
        self.emulator.inject(Fault(path="", count=0, status=503))

    def reset_calls(self) -> None:
        self.emulator.reset_counters()

    def crm_record(self, entity: str, crm_id: str) -> dict[str, Any]:
        with self.emulator.lock:
            return dict(self.emulator.store.table(self._type(entity)).records[int(crm_id)].properties)


@contextmanager
def open_harness() -> Iterator[HubSpotHarness]:
    clock = Clock()
    emulator = HubSpotEmulator(token=TOKEN, clock=clock)
    emulator.start()
    harness = HubSpotHarness(emulator, clock, load_mapping(MAPPING, expect_crm="hubspot"))
    try:
        yield harness
    finally:
        harness.connector.close()
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors
