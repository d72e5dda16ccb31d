"""SIGKILL at 20 seeded random points of a two-way sync (10 per CRM), then rerun: it converges
to the uninterrupted run's end state, 0 lost, 0 duplicated.

A point is "the k-th API call of the run, before or after the CRM handled it"; k is drawn from
the uninterrupted run's call count. The sync runs `prm-sync sync` through the CLI's entry
function in a forked child (the e2e crash test does the same with the console script); the
emulator kills it from its request thread.
"""

from __future__ import annotations

import random

import pytest

from connectors.emulator_kit import Fault
from tests.reliability.conftest import Prepared
from tests.reliability.crash import kill_and_converge
from tests.reliability.ledger import Ledger
from tests.reliability.world import killed_forked_sync

POINTS_PER_CRM = 10


def kill_point(crm: str, index: int, calls: int) -> tuple[int, str]:
    rng = random.Random(f"kill-{crm}")
    positions = rng.sample(range(1, calls + 1), min(POINTS_PER_CRM, calls))
    whens = [rng.choice(("before", "after")) for _ in positions]
    return positions[index], whens[index]


CASES = [pytest.param(crm, i, id=f"{crm}-point{i}") for crm in ("salesforce", "hubspot")
         for i in range(POINTS_PER_CRM)]


@pytest.mark.parametrize(("crm", "index"), CASES)
def test_sigkill_at_a_random_call_then_rerun_converges(
    crm: str, index: int, small_worlds: dict[str, Prepared], ledger: Ledger,
) -> None:
    prepared = small_worlds[crm]
    assert prepared.requests >= POINTS_PER_CRM
    call, when = kill_point(crm, index, prepared.requests)
    fault = Fault(path=".", every=call, count=1, when=when)  # type: ignore[arg-type]
    prepared.world.emulator.request_log = []
    try:
        outcome = kill_and_converge(prepared.world, prepared.snapshot, fault, prepared.reference,
                                    run_killed=killed_forked_sync)
        hit = prepared.world.emulator.request_log[call - 1]
    finally:
        prepared.world.emulator.request_log = None
    assert outcome.killed, f"call {call} was never reached"
    ledger.kill_points.add(f"{crm}:call{call}:{when}:{hit.method} {hit.path}")
    ledger.lost += outcome.lost
    ledger.duplicated += outcome.duplicated
    assert outcome.problems == [], f"killed {when} call {call} ({hit.method} {hit.path})"
    assert (outcome.lost, outcome.duplicated) == (0, 0)
