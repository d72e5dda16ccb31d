"""`prm-sync schedule` as a daemon against a slowed CRM: runs never overlap, SIGTERM stops it
cleanly (exit 0, the run in flight ends between two batches), and the next sync converges."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ops_workspace import hubspot_workspace, json_lines, stop, sync_runs


def _when(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_daemon_runs_never_overlap_and_sigterm_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=50) as ws:
        ws.write_config(schedule=[{"entities": ["partner", "lead", "deal", "commission"], "cron": "* * * * * *"}])
        for i in range(5):   # PRM-side work, so that runs push as well as pull
            assert ws.cli("partners", "add", f"Scheduled Partner {i}", "--country", "US") == 0
        ws.sandbox.emulator.set_latency(0.12)   # a run now takes well over the 1-second trigger
        log = tmp_path / "schedule.log"
        daemon = ws.spawn("--log-format", "json", "schedule", "--metrics-file", str(tmp_path / "m.prom"), log=log)
        try:
            _wait_for(lambda: len(sync_runs(ws.store_url)) >= 2 and sync_runs(ws.store_url)[-1]["status"] == "running",
                      120, "a run done, the next one running")   # a safety net, not a speed bound
            time.sleep(0.25)   # inside that run
        finally:
            code = stop(daemon)
        assert code == 0, log.read_text()[-3000:]

        runs = sync_runs(ws.store_url)
        assert len(runs) >= 2
        assert all(r["status"] in ("ok", "aborted") for r in runs), runs
        assert runs[-1]["status"] in ("aborted", "ok")
        for before, after in itertools.pairwise(runs):
            assert _when(before["finished_at"]) <= _when(after["started_at"]), f"overlap: {before} / {after}"

        records = json_lines(log)   # every line is one JSON object with a run id
        assert all(r.get("run_id") for r in records)
        messages = [r["msg"] for r in records]
        assert any("maximum number of running instances" in m for m in messages)  # fires during a run skipped
        assert any(m.startswith("stop requested") for m in messages) and messages[-1] == "scheduler stopped"
        job_run_ids = {r["run_id"] for r in records if r["msg"] == "sync started"}
        assert len(job_run_ids) == len(runs)   # each scheduled run logs under its own run id

        ws.sandbox.emulator.set_latency(0)
        capsys.readouterr()
        assert ws.cli("--log-format", "json", "sync") == 0
        capsys.readouterr()
        assert ws.cli("--log-format", "json", "status", "--format", "json") == 0
        status = json.loads(capsys.readouterr().out)
        assert {e: info["pending_pushes"] for e, info in status["entities"].items()} == dict.fromkeys(
            status["entities"], 0)
        assert all(info["quarantined"] == 0 for info in status["entities"].values())
        names = {r["properties"].get("name") for r in ws.sandbox.emulator.dump()["objects"]["companies"]}
        assert {f"Scheduled Partner {i}" for i in range(5)} <= names   # pushed, once the syncs converged
