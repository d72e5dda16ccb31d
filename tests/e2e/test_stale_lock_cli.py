"""The run lock from cron's point of view (issue 15 item 2, issue 21 item 9), through the CLI:

- `-q sync` prints nothing when another run holds the lock within its deadline (the normal
  overlap of two cron runs), but says so when the holder is stale (cron then mails someone);
- a real `prm-sync sync` frozen (SIGSTOP, from the emulator's request thread, at its first page)
  past its run deadline is reported stale by `status` and by the next run, is broken by
  `sync --break-stale-lock` (which then syncs), and when it wakes up it cannot commit: it exits
  75 saying its lock was broken, and the store holds the breaker's work only. On SQLite and
  PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from connectors.emulator_kit import Fault
from prm_sync.store import Partner, SyncRun, lock_status, open_store, run_lock
from tests.e2e.ops_workspace import EXE, Workspace, hubspot_workspace

SAFETY_NET_S = 120


def with_deadline_from_env(ws: Workspace) -> None:
    """sync.max_run_seconds from $PRM_TEST_MAX_RUN (default one hour): the frozen run gets 1 s."""
    text = ws.config.read_text()
    ws.config.write_text(text + 'sync: {max_run_seconds: "${PRM_TEST_MAX_RUN:-3600}"}\n')


def cli(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), "--config", str(ws.config), *args], capture_output=True, text=True,
                          env={**os.environ, **ws.env, **(env or {})}, timeout=SAFETY_NET_S, check=False)


def test_quiet_sync_says_nothing_when_a_healthy_run_holds_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=2) as ws:
        with open_store(ws.store_url) as store, run_lock(store, max_run_seconds=3600, fenced=True):
            quiet = cli(ws, "--log-format", "text", "-q", "sync")
            loud = cli(ws, "--log-format", "text", "sync")
            status = cli(ws, "status")
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (75, "", "")
        assert loud.returncode == 75 and "another prm-sync run holds the lock" in loud.stderr
        assert "run deadline is" in loud.stderr and "STALE" not in loud.stderr
        assert "Run lock: held by pid" in status.stdout and "STALE" not in status.stdout


@pytest.mark.timeout(SAFETY_NET_S * 3)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_frozen_run_past_its_deadline_is_reported_broken_and_fenced(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
) -> None:
    store_url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    with hubspot_workspace(tmp_path, monkeypatch, generate=5, store_url=store_url) as ws:
        with_deadline_from_env(ws)
        frozen = threading.Event()
        old: subprocess.Popen[bytes] | None = None

        def freeze() -> None:
            assert old is not None
            os.kill(old.pid, signal.SIGSTOP)
            frozen.set()

        # the CRM does the search, then the client is frozen before it reads the answer
        ws.sandbox.emulator.inject(Fault(path=r"/companies/search$", when="after", on_hit=freeze))
        old = ws.spawn("--log-format", "text", "sync", log=tmp_path / "old.log", stdout=tmp_path / "old.out",
                       env={"PRM_TEST_MAX_RUN": "1"})
        try:
            assert frozen.wait(SAFETY_NET_S), "the old run never reached the CRM"
            ws.sandbox.emulator.clear_faults()
            # until its deadline (1 s) and grace (1 s) have passed: watched in-process (what `status`
            # reads), not by spawning a CLI every 0.2 s; the CLI's own words are checked once below
            with open_store(ws.store_url) as store:
                while not lock_status(store)["stale"]:
                    threading.Event().wait(0.2)

            status = cli(ws, "status")
            assert "STALE" in status.stdout and "--break-stale-lock" in status.stdout
            refused = cli(ws, "--log-format", "text", "-q", "sync")
            assert refused.returncode == 75
            assert "STALE" in refused.stderr and "--break-stale-lock" in refused.stderr  # quiet, yet said

            broke = cli(ws, "--log-format", "text", "sync", "--break-stale-lock")
            assert broke.returncode == 0, broke.stderr
            assert "broke the stale run lock" in broke.stderr
        finally:
            os.kill(old.pid, signal.SIGCONT)
            old.wait(SAFETY_NET_S)
        old_err = (tmp_path / "old.log").read_text()
        assert old.returncode == 75, old_err
        assert "lock was broken as stale" in old_err

        with open_store(ws.store_url) as store, store.session() as session:
            partners = session.exec(select(Partner.name, func.count()).group_by(col(Partner.name))).all()
            runs = session.exec(select(SyncRun).order_by(col(SyncRun.id))).all()
        assert len(partners) == 5 and all(count == 1 for _, count in partners)
        assert [r.status for r in runs] == ["aborted", "ok"]
        assert "broken as stale" in (runs[0].error or "")
        assert json.loads(cli(ws, "status", "--format", "json").stdout)["run_lock"]["held"] is False
