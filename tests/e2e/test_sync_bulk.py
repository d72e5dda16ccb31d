"""A push above `bulk_threshold` goes through Salesforce Bulk API 2.0 when `prm-sync sync` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from prm_sync.store import Partner, open_store
from tests.e2e.sync_world import open_world


def test_large_push_uses_bulk_api(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        with open_store(world.store_url) as store, store.session() as session:
            session.add_all(Partner(id=f"bulk-{i:05d}", name=f"Bulk Partner {i}", tier="silver", status="active")
                            for i in range(2_100))
        report = world.sync("--entity", "partner")
        assert report["exit"] == 0, report
        assert report["counts"]["partner"]["crm"]["create"] == 2_100
        counters = world.harness.emulator.counters
        assert any("jobs/ingest" in key for key in counters), counters
        assert not any("composite/sobjects" in key for key in counters), counters
        keys = {r["PRM_Id__c"] for r in world.harness.emulator.records("Account")}
        assert len(keys) == 2_100
