"""Random faults on 10 % of CRM calls across a full two-way sync, 10 seeds per CRM: the run
completes through retries (429 with Retry-After, 5xx, dropped connections before and after the
CRM did the work, latency) and the end state equals the fault-free run's.

The runs are in-process with the connector built through its entry point and
`no_wait_policy()`: the retry decisions (Retry-After honoured, backoff) are the real ones, only
the sleeping is skipped, so 20 seeds take seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from connectors.emulator_kit import Fault
from tests.reliability.conftest import Prepared
from tests.reliability.ledger import Ledger
from tests.reliability.state import differences, world_state

KINDS: list[dict[str, Any]] = [
    {"status": 429, "retry_after": 1},
    {"status": 503},
    {"status": 500, "when": "after"},   # the CRM did the work, then answered 500
    {"drop": True},
    {"drop": True, "when": "after"},    # the CRM did the work, the answer was lost
    {"delay_s": 0.02},
]
RESET = {"status": None, "retry_after": None, "drop": False, "when": "before", "delay_s": 0.0}


@dataclass
class PlannedFaults(Fault):
    """One rule that hits the calls numbered in `plan` (1-based, counting every API call of the
    run, retries included), each with its own kind of fault."""

    plan: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0
    hit_kinds: list[str] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        self.calls += 1
        kind = self.plan.get(self.calls)
        if kind is None:
            return False
        for name, value in {**RESET, **kind}.items():
            setattr(self, name, value)
        self.hit_kinds.append(",".join(f"{k}={v}" for k, v in kind.items()))
        return True


def planned_faults(crm: str, seed: int, calls: int) -> PlannedFaults:
    """Faults on 10 % of the run's calls (at least 2), at seeded positions, of seeded kinds."""
    rng = random.Random(f"{crm}-{seed}")
    positions = rng.sample(range(1, calls + 1), max(2, round(calls * 0.10)))
    return PlannedFaults(path=".", count=0, plan={n: rng.choice(KINDS) for n in positions})


CASES = [pytest.param(crm, seed, id=f"{crm}-seed{seed}") for crm in ("salesforce", "hubspot") for seed in range(10)]


@pytest.mark.parametrize(("crm", "seed"), CASES)
def test_random_faults_end_equal_to_the_fault_free_run(
    crm: str, seed: int, small_worlds: dict[str, Prepared], ledger: Ledger,
) -> None:
    prepared = small_worlds[crm]
    world = prepared.world
    world.restore(prepared.snapshot)
    faults = planned_faults(crm, seed, prepared.requests)
    world.emulator.inject(faults)
    try:
        report = world.sync_in_process()
    finally:
        world.emulator.clear_faults()
    assert len(faults.hit_kinds) >= 2, "the planned faults were not reached"
    assert report.stopped is None and report.interrupted is None
    world.sync_until_quiet()
    state = world_state(world)
    ledger.seeds.add(f"{crm}:{seed}")
    lost = state.crm.missing_from(prepared.reference.crm) + state.store.missing_from(prepared.reference.store)
    duplicated = state.crm.extra_over(prepared.reference.crm) + sum(map(len, state.crm.duplicate_keys.values()))
    ledger.lost += lost
    ledger.duplicated += duplicated
    assert differences(state, prepared.reference) == []
    assert (lost, duplicated) == (0, 0)
