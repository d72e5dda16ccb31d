"""Reliability suite fixtures and its summary line (counts of what the tests really ran)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.reliability.crash import reference_state
from tests.reliability.ledger import Ledger, ledger_of
from tests.reliability.scenario import Size, build_scenario
from tests.reliability.state import WorldState
from tests.reliability.world import Snapshot, World

#: the reliability scenario: small (many runs of it), still two-way with pages, batches, deletes
SMALL = Size(generated=60, sf_page_size=50, crm_new_partners=5, crm_new_leads=3, crm_touched=80,
             prm_new_partners=120, prm_new_registrations=15, prm_new_commissions=6)


@dataclass
class Prepared:
    world: World
    snapshot: Snapshot
    reference: WorldState
    requests: int  # API requests of the uninterrupted run under test


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return ledger_of(request.config)


@pytest.fixture(scope="session")
def small_worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Prepared]]:
    """Per CRM, built on first use: the small scenario, its snapshot, the fault-free end state."""
    built: dict[str, Prepared] = {}

    class Lazy(dict[str, Prepared]):
        def __missing__(self, crm: str) -> Prepared:
            world, snap = build_scenario(crm, tmp_path_factory.mktemp(f"reliability-{crm}"), SMALL)
            world.emulator.request_log = []
            world.restore(snap)
            world.sync_in_process()
            requests = len(world.emulator.request_log)
            world.emulator.request_log = None
            built[crm] = self[crm] = Prepared(world, snap, reference_state(world, snap), requests)
            return built[crm]

    yield Lazy()
    for prepared in built.values():
        prepared.world.sandbox.stop()
