"""Two `prm-sync schedule` daemons on one PostgreSQL store: each fire time runs once, runs never
overlap, and both stop cleanly on SIGTERM."""

from __future__ import annotations

import itertools
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.ops_workspace import hubspot_workspace, json_lines, stop, sync_runs


@pytest.mark.pg
@pytest.mark.slow
def test_two_daemons_run_each_fire_time_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=20, store_url=pg_url) as ws:
        ws.write_config(schedule=[{"entities": ["partner", "lead", "deal"], "cron": "* * * * * *"}])
        ws.sandbox.emulator.set_latency(0.03)
        logs = [tmp_path / "daemon-a.log", tmp_path / "daemon-b.log"]
        daemons = [ws.spawn("--log-format", "json", "schedule", log=log) for log in logs]
        try:
            deadline = time.monotonic() + 120   # a safety net: the loop ends at the third ok run
            while time.monotonic() < deadline and len([r for r in sync_runs(pg_url) if r["status"] == "ok"]) < 3:
                time.sleep(0.1)
        finally:
            for daemon in daemons:
                daemon.send_signal(signal.SIGTERM)
            codes = [stop(d, send=False) for d in daemons]
        assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]

        claimed: list[tuple[str, str, int]] = []
        attempts_per_daemon = []
        for number, log in enumerate(logs):
            records = json_lines(log)
            mine = [(r["job_id"], r["fire_time"], number) for r in records if r["msg"].startswith("fire time claimed")]
            lost = [r for r in records if r["msg"].startswith("fire time already claimed")]
            claimed += mine
            attempts_per_daemon.append(len(mine) + len(lost))
        assert all(attempts_per_daemon), "both daemons must have tried to fire the job"
        per_fire_time = Counter((job, fire) for job, fire, _daemon in claimed)
        assert per_fire_time and max(per_fire_time.values()) == 1, per_fire_time

        engine = create_engine(pg_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT job_id, fire_time FROM apscheduler_prm_claims")).all()
        finally:
            engine.dispose()
        assert sorted((j, f) for j, f in rows) == sorted(per_fire_time)

        runs = sync_runs(pg_url)
        assert 3 <= len(runs) <= len(claimed)   # a claimed fire time runs at most once (one may be stopped early)
        assert all(r["status"] in ("ok", "aborted") for r in runs)
        for before, after in itertools.pairwise(runs):
            assert before["finished_at"] <= after["started_at"], f"overlap: {before} / {after}"
