"""The registry of connector test harnesses: CRM name -> "module:factory".

A factory is a context manager function yielding a started `Harness` (emulator running,
connector built through the `prm_sync.connectors` entry point). Adding a CRM to the contract
suite is ONE line here, e.g. ``"salesforce": f"{__package__}.harness_salesforce:open_harness",``.
Modules are imported lazily, so a harness module only loads when its CRM is tested.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from prm_sync.connector import Connector
from prm_sync.mapping import CompiledMapping

#: where every harness's emulator clock starts
START = dt.datetime(2026, 11, 26, 21, 27, 33, 123000, tzinfo=dt.UTC)


@dataclass
class Clock:
    """An emulator clock the test moves by hand (`now` is settable)."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


HARNESSES: dict[str, str] = {
    "hubspot": f"{__package__}.harness_hubspot:open_harness",
    "salesforce": f"{__package__}.harness_salesforce:open_harness",
}


class Harness(Protocol):
    """What the contract suite needs from each CRM's harness (entities are PRM entity names,
    fields are CRM field names)."""

    crm: str
    mapping: CompiledMapping          # the shipped mapping, compiled
    connector: Connector              # built through the entry point, pointing at the emulator
    emulator: Any
    bad_value: tuple[str, Any]        # a partner CRM field and a value the CRM refuses on write

    def reset(self) -> None:
        """Empty CRM, no faults, counters at 0, clock back at its start, a fresh connector."""

    def now(self) -> dt.datetime:
        """The emulator's clock (timezone-aware)."""

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward."""

    def seed(self, entity: str, n: int, **field_overrides: Any) -> list[str]:
        """Create n records matching the entity's mapping filter, CRM-side; their ids in creation order."""

    def modify(self, entity: str, crm_id: str, crm_field: str, value: Any) -> None: ...

    def delete(self, entity: str, crm_id: str) -> None: ...

    def calls(self, substring: str = "") -> int: ...

    def reset_calls(self) -> None: ...

    def crm_record(self, entity: str, crm_id: str) -> dict[str, Any]: ...


def harness_factory(crm: str) -> Callable[[], AbstractContextManager[Harness]]:
    module_name, _, attribute = HARNESSES[crm].partition(":")
    return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
