"""The contract-suite harness of MemCRM (runs in a process that has memcrm's entry points, see
test_third_crm.py): the CRM is the JSON state file, the connector is built through its entry point."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from memcrm.store import State

from prm_sync.config import Config
from prm_sync.connector import Connector, RetryPolicy, no_wait_policy
from prm_sync.mapping import CompiledMapping, load_mapping

MAPPING = Path(__file__).resolve().parent / "mapping.yaml"
API_KEY = "mem-secret-key-5f1c"
SEED_SHAPE = {"partner": ("partners", {"kind": "partner", "status": "active"}, "name"),
              "lead": ("registrations", {"kind": "registration", "company": "Customer Inc"}, "last_name")}


@dataclass
class MemHarness:
    state_file: Path
    mapping: CompiledMapping = field(default_factory=lambda: load_mapping(MAPPING, expect_crm="memcrm"))
    crm: str = "memcrm"
    bad_value: tuple[str, Any] = ("tier", "diamond")
    secrets: tuple[str, ...] = (API_KEY,)
    connector: Connector = field(init=False)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.reset()

    def config(self, **sync: Any) -> Config:
        return Config.model_validate({
            "crm": {"type": "memcrm", "memcrm": {"state_file": str(self.state_file), "api_key": API_KEY}},
            "mappings": str(MAPPING), "sync": sync})

    def build(self, retry: RetryPolicy | None = None, **sync: Any) -> Connector:
        (entry,) = entry_points(group="prm_sync.connectors", name="memcrm")
        connector: Connector = entry.load()(self.config(**sync), retry=retry or no_wait_policy())
        return connector

    def state(self) -> State:
        return State(self.state_file)

    def reset(self) -> None:
        state = State(self.state_file.with_suffix(".none"))
        state.path, state.api_key = self.state_file, API_KEY
        state.save()
        self.connector = self.build()

    def now(self) -> dt.datetime:
        return self.state().clock()

    def advance(self, seconds: float) -> None:
        state = self.state()
        state.tick(seconds)
        state.save()

    def seed(self, entity: str, n: int) -> list[str]:
        obj, shape, name_field = SEED_SHAPE[entity]
        state, ids = self.state(), []
        for _ in range(n):
            number = next(self._numbers)
            record = state.create(obj, {**shape, name_field: f"Seed {entity} {number}",
                                        "prm_id": f"seed-{entity}-{number:06d}"})
            ids.append(record["id"])
        state.save()
        return ids

    def modify(self, entity: str, crm_id: str, crm_field: str, value: Any) -> None:
        state = self.state()
        state.update(SEED_SHAPE[entity][0], crm_id, {crm_field: value})
        state.save()

    def delete(self, entity: str, crm_id: str) -> None:
        state = self.state()
        record = state.table(SEED_SHAPE[entity][0])[crm_id]
        record["archived_at"] = record["modstamp"] = state.tick()
        state.save()

    def outage(self) -> None:
        state = self.state()
        state.down = True
        state.save()

    def calls(self, substring: str = "") -> int:
        return self.state().calls

    def reset_calls(self) -> None:
        state = self.state()
        state.calls = 0
        state.save()

    def crm_record(self, entity: str, crm_id: str) -> dict[str, Any]:
        return dict(self.state().table(SEED_SHAPE[entity][0])[crm_id]["fields"])
