"""Kill a `prm-sync sync` subprocess at an exact CRM request, rerun, compare with the reference.

A kill point is "the n-th request matching (method, path)": the emulator calls back on its
request thread, the callback SIGKILLs the subprocess, and the connection is dropped without an
answer. `before`: the CRM never handled the request. `after`: it did (its state changed) and the
client died before hearing so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from connectors.emulator_kit import Fault
from tests.reliability.state import WorldState, differences, world_state
from tests.reliability.world import Snapshot, World


@dataclass(frozen=True)
class KillPoint:
    label: str
    path: str
    nth: int = 1
    method: str | None = None
    when: Literal["before", "after"] = "after"

    @property
    def id(self) -> str:
        return f"{self.label}-{self.when}"

    def fault(self) -> Fault:
        return Fault(path=self.path, method=self.method, every=self.nth, count=1, when=self.when)


@dataclass(frozen=True)
class Outcome:
    killed: bool
    reruns: int
    lost: int
    duplicated: int
    problems: list[str]


def reference_state(world: World, snap: Snapshot) -> WorldState:
    """The uninterrupted run (the engine the CLI calls, in this process to save the start-up),
    then reruns until nothing changes."""
    world.restore(snap)
    world.sync_until_quiet()
    return world_state(world)


def kill_and_converge(world: World, snap: Snapshot, fault: Fault, reference: WorldState, *,
                      run_killed: Callable[[World, Fault], int] = World.killed_cli_sync) -> Outcome:
    world.restore(snap)
    code = run_killed(world, fault)
    reruns = world.sync_until_quiet()
    state = world_state(world)
    duplicated = state.crm.extra_over(reference.crm) + sum(len(d) for d in state.crm.duplicate_keys.values())
    duplicated += len(state.store.facts.get("links.crm_id_shared", []))
    lost = state.crm.missing_from(reference.crm) + state.store.missing_from(reference.store)
    return Outcome(code == -9, reruns, lost, duplicated, differences(state, reference))
