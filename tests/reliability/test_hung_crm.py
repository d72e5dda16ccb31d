"""A CRM that stops answering (issue 15 item 2), across the full two-way scenario, per CRM:

- `once`: one call at a seeded position is accepted and never answered; the read timeout ends
  it, the retry policy sends it again, and the run completes as if nothing happened;
- `forever`: from a seeded call on, every call hangs; the run stops at its deadline
  (RunDeadlineReached, exit 3 in the CLI) with the lock free; once the CRM answers again, the
  next runs converge to the fault-free end state: nothing lost, nothing duplicated.

A hung call is the emulator's request thread blocking (Fault.on_hit) until the test ends it,
then dropping the connection. Runs are in-process (`no_wait_policy`); the config gets small
timeouts and deadline so each case waits a second or two, not minutes.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pytest

from connectors.emulator_kit import Fault
from prm_sync.config import Config
from prm_sync.connector import no_wait_policy
from prm_sync.errors import RunDeadlineReached
from prm_sync.mapping import load_mapping
from prm_sync.store import run_lock
from prm_sync.sync.engine import run_sync
from prm_sync.sync.report import RunReport
from tests.reliability.conftest import Prepared
from tests.reliability.ledger import Ledger
from tests.reliability.state import differences, world_state
from tests.reliability.world import World

READ_TIMEOUT_S = 0.3        # `once`: the hung call gives up after this, and is retried
DEADLINE_S = 5              # `forever`: the run stops here (room to reach the hung call on a busy machine)
HANG_LIMIT_S = 60           # the emulator never holds a request longer than this (safety net)


@dataclass
class HungCalls(Fault):
    """Calls numbered `first` on (1-based, every API call of the run) hang until `release` is set,
    then lose their connection; with `once`, only call `first` does."""

    first: int = 1
    once: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0
    hung: int = 0

    def matches(self, method: str, path: str) -> bool:
        self.calls += 1
        hang = self.calls == self.first or (not self.once and self.calls > self.first)
        if hang:
            self.hung += 1
        return hang


def hung_calls(first: int, once: bool) -> HungCalls:
    rule = HungCalls(path=".", count=0, drop=True, first=first, once=once)
    rule.on_hit = lambda: rule.release.wait(HANG_LIMIT_S)
    return rule


def tight(config: Config, crm: str, read_timeout_s: float, max_run_seconds: int) -> Config:
    """The world's config with small CRM timeouts and the given run deadline."""
    section = getattr(config.crm, crm).model_copy(update={"connect_timeout_seconds": 1.0,
                                                          "read_timeout_seconds": read_timeout_s})
    return config.model_copy(update={"crm": config.crm.model_copy(update={crm: section}),
                                     "sync": config.sync.model_copy(update={"max_run_seconds": max_run_seconds})})


def sync_tight(world: World, read_timeout_s: float, max_run_seconds: int = 3600) -> RunReport:
    config = tight(world.config(), world.crm, read_timeout_s, max_run_seconds)
    mapping = load_mapping(config.mappings_path, expect_crm=config.crm.type)
    [entry] = [ep for ep in entry_points(group="prm_sync.connectors") if ep.name == world.crm]
    connector = entry.load()(config, retry=no_wait_policy())
    try:
        with world.store() as store:
            return run_sync(store, connector, mapping, config)
    finally:
        connector.close()


MODES = ("once", "forever")
CASES = [pytest.param(crm, mode, seed, id=f"{crm}-{mode}-seed{seed}")
         for crm in ("salesforce", "hubspot") for mode in MODES for seed in range(2)]


@pytest.mark.parametrize(("crm", "mode", "seed"), CASES)
def test_hung_crm_stops_cleanly_or_recovers_and_converges(
    crm: str, mode: str, seed: int, small_worlds: dict[str, Prepared], ledger: Ledger,
) -> None:
    prepared = small_worlds[crm]
    world = prepared.world
    world.restore(prepared.snapshot)
    first = random.Random(f"hung-{crm}-{mode}-{seed}").randint(1, prepared.requests)
    rule = hung_calls(first, once=mode == "once")
    world.emulator.inject(rule)
    outcome: Any
    try:
        if mode == "once":
            outcome = sync_tight(world, READ_TIMEOUT_S)
        else:
            with pytest.raises(RunDeadlineReached) as stopped:
                sync_tight(world, read_timeout_s=60.0, max_run_seconds=DEADLINE_S)  # the deadline ends it
            outcome = stopped.value
    finally:
        rule.release.set()
        world.emulator.clear_faults()
    assert rule.hung >= 1, "no call was hung"
    if mode == "once":
        assert outcome.stopped is None and outcome.interrupted is None
    else:
        assert "sync.max_run_seconds" in str(outcome)
        with world.store() as store, run_lock(store):
            pass  # the stopped run left the lock free
    world.sync_until_quiet()
    state = world_state(world)
    ledger.hung_crm.add(f"{crm}:{mode}:{seed}")
    lost = state.crm.missing_from(prepared.reference.crm) + state.store.missing_from(prepared.reference.store)
    duplicated = state.crm.extra_over(prepared.reference.crm) + sum(map(len, state.crm.duplicate_keys.values()))
    ledger.lost += lost
    ledger.duplicated += duplicated
    assert differences(state, prepared.reference) == []
    assert (lost, duplicated) == (0, 0)
