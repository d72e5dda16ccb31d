"""What the reliability tests actually exercised, for the suite's summary line.

Kept in the pytest config's stash (one per session), so the counts printed come from what ran,
not from what was planned. Under pytest-xdist each worker keeps its own and sends it to the
controller when it finishes (tests/conftest.py), which prints the sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class Ledger:
    seeds: set[str] = field(default_factory=set)
    kill_points: set[str] = field(default_factory=set)
    hostile_inputs: set[str] = field(default_factory=set)
    store_guards: set[str] = field(default_factory=set)
    hostile_outputs: set[str] = field(default_factory=set)
    hung_crm: set[str] = field(default_factory=set)
    lost: int = 0
    duplicated: int = 0

    def line(self) -> str:
        return (f"reliability: seeds={len(self.seeds)} kill_points={len(self.kill_points)} "
                f"hostile_inputs={len(self.hostile_inputs)} store_guards={len(self.store_guards)} "
                f"hostile_output={len(self.hostile_outputs)} hung_crm={len(self.hung_crm)} "
                f"lost={self.lost} duplicated={self.duplicated}")

    def to_wire(self) -> dict[str, list[str] | int]:
        """Plain data a pytest-xdist worker can send to the controller."""
        return {name: sorted(value) if isinstance(value, set) else value for name, value in vars(self).items()}

    def merge(self, wire: dict[str, list[str] | int]) -> None:
        """Add a worker's ledger (its `to_wire()`) to this one."""
        for name, value in wire.items():
            if isinstance(value, list):
                getattr(self, name).update(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    @property
    def empty(self) -> bool:
        return not (self.seeds or self.kill_points or self.hostile_inputs or self.store_guards
                    or self.hostile_outputs or self.hung_crm)


LEDGER_KEY = pytest.StashKey[Ledger]()


def ledger_of(config: pytest.Config) -> Ledger:
    if LEDGER_KEY not in config.stash:
        config.stash[LEDGER_KEY] = Ledger()
    return config.stash[LEDGER_KEY]
