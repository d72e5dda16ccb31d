"""HubSpot lookback without waste: whole sync runs (engine, real SDK, emulator over HTTP, SQLite store)
on the emulator's clock, counting the emulator's search calls.

The lookback exists because HubSpot's search index lags writes. Re-reading the same 1,000 records
on every run for `lookback_seconds` after prm-sync's own back-fill is waste; missing a record that
someone else changed while the index lagged is data loss. Both are asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.domain.fields import Entity
from prm_sync.store import Link, open_store
from prm_sync.store.schema import upgrade
from prm_sync.sync.engine import run_sync
from prm_sync.sync.report import RunReport
from prm_sync.sync.rows import TABLES
from tests.integration.connectors.harness_hubspot import HubSpotHarness, open_harness

LOOKBACK = 300


@pytest.fixture(scope="module")
def running() -> Iterator[HubSpotHarness]:
    with open_harness() as harness:
        yield harness


@pytest.fixture
def hub(running: HubSpotHarness) -> HubSpotHarness:
    running.reset()
    return running


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'prm.db'}"
    with open_store(url) as store:
        upgrade(store)
    return url


def sync(hub: HubSpotHarness, store_url: str) -> RunReport:
    config = hub.config(lookback_seconds=LOOKBACK, deletion_sweep_minutes=0, entities=["partner"])
    with open_store(store_url, create=False) as store:
        return run_sync(store, hub.connector, hub.mapping, config, clock=hub.now)


def tiers(store_url: str) -> dict[str, str | None]:
    """CRM id -> the tier the PRM store holds."""
    table = TABLES[Entity.PARTNER]
    with open_store(store_url, create=False) as store, store.session() as session:
        rows = session.exec(select(Link.crm_id, table.tier).join(table, table.id == Link.prm_id)
                            .where(Link.entity == "partner"))
        return {str(crm_id): tier for crm_id, tier in rows}


def test_no_op_runs_after_a_back_fill_cost_one_search_call_each(hub, store_url):
    made = hub.seed("partner", 1_000, prm_id=None, spread_ms=1)      # made in HubSpot: no PRM id yet
    hub.advance(120)
    first = sync(hub, store_url)                              # pulls 1,000, back-fills prm_id on all
    assert first.pulled["partner"] == 1_000 and hub.calls("batch/update") == 10
    assert all(hub.crm_record("partner", i)["prm_id"] for i in made)
    for minute in range(1, 6):                                # five no-op runs, one minute apart
        hub.advance(60)
        hub.reset_calls()
        report = sync(hub, store_url)
        assert hub.calls("/search") <= 1, (minute, hub.calls("/search"))
        assert report.total("create", "update", "delete") == 0
    # Once the back-fill is older than the lookback, the settled window holding it is read once
    # (the index-lag safety); after that no-op runs cost one search call again.
    hub.advance(60)
    hub.reset_calls()
    sync(hub, store_url)
    assert hub.calls("/search") <= 6
    hub.advance(60)
    hub.reset_calls()
    sync(hub, store_url)
    assert hub.calls("/search") == 1


def test_a_change_missing_from_the_index_at_the_first_read_is_picked_up_later(hub, store_url):
    late, early, _ = hub.seed("partner", 3, spread_ms=1)
    sync(hub, store_url)
    hub.emulator.set_search_lag(1)
    hub.advance(10)
    hub.modify("partner", late, "prm_partner_tier", "platinum", index_lag_ms=200_000)  # indexed 200 s late
    hub.advance(10)
    hub.modify("partner", early, "prm_partner_tier", "silver")                        # indexed at once
    hub.advance(40)
    report = sync(hub, store_url)                             # reads the early change: the cursor passes the late one
    assert report.pulled["partner"] == 1
    assert tiers(store_url)[early] == "silver" and tiers(store_url)[late] != "platinum"
    for _ in range(7):                                        # one run a minute: the lag ends, the lookback finds it
        hub.advance(60)
        sync(hub, store_url)
    assert tiers(store_url)[late] == "platinum"


def test_the_first_run_after_an_own_write_does_not_re_read_it(hub, store_url):
    hub.seed("partner", 400, prm_id=None, spread_ms=1)
    hub.advance(600)
    sync(hub, store_url)                                      # back-fills 400
    hub.advance(1)
    hub.reset_calls()
    report = sync(hub, store_url)
    assert hub.calls("/search") == 1 and report.pulled["partner"] == 0
