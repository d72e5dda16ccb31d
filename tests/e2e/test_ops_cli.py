"""Cron behaviour of the CLI: -q is silent on success, JSON log lines carry a run id, status shows
the API budget, progress events, exit codes for a locked store and an empty schedule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prm_sync.store import open_store, run_lock
from tests.e2e.ops_workspace import hubspot_workspace


def test_quiet_sync_is_silent_on_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=10) as ws:
        capsys.readouterr()
        assert ws.cli("-q", "sync") == 0
        assert capsys.readouterr() == ("", "")


def test_json_logs_progress_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=10) as ws:
        ws.config.write_text(ws.config.read_text() + "sync: {daily_api_budget: 1000}\n")
        capsys.readouterr()
        assert ws.cli("--log-format", "json", "sync", "--metrics-file", str(tmp_path / "m.prom")) == 0
        captured = capsys.readouterr()
        records = [json.loads(line) for line in captured.err.splitlines() if line.strip()]
        assert len({r["run_id"] for r in records}) == 1 and records[0]["run_id"] != "-"
        progress = [r for r in records if r["logger"] == "prm_sync.progress"]
        assert {(r["entity"], r["phase"]) for r in progress} >= {("partner", "pull"), ("lead", "pull")}
        finished = next(r for r in records if r["msg"].startswith("sync finished"))
        assert finished["status"] == "ok" and finished["entity_counts"]["partner"]["pulled"] == 10

        assert ws.cli("status", "--format", "json") == 0
        status = json.loads(capsys.readouterr().out)
        budget = status["api_budget"]
        assert budget["daily_budget"] == 1000 and budget["used_today"] == finished["api_calls"] > 0
        assert budget["remaining"] == 1000 - budget["used_today"]
        partner = status["entities"]["partner"]["last_run"]
        assert partner["status"] == "ok" and partner["pulled"] == 10 and partner["duration_s"] is not None


def test_locked_store_exits_75_without_alert_or_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=3) as ws:
        with open_store(ws.store_url) as store, run_lock(store):
            assert ws.cli("--log-format", "json", "sync", "--metrics-file", str(tmp_path / "m.prom")) == 75
        assert not (tmp_path / "m.prom").exists()
        assert "another prm-sync run holds the lock" in capsys.readouterr().err


def test_schedule_without_entries_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=1) as ws:
        capsys.readouterr()
        assert ws.cli("--log-format", "text", "schedule") == 2
        assert "nothing to schedule" in capsys.readouterr().err


def test_bad_cron_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=1) as ws:
        ws.write_config(schedule=[{"cron": "*/15 * * *"}])
        capsys.readouterr()
        assert ws.cli("--log-format", "text", "schedule") == 2
        assert "config.yaml:9: schedule[0].cron" in capsys.readouterr().err
