"""Bulk state changes preview first: --dry-run, a confirmation above 20 records on a terminal, --yes without one."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import Partner, Quarantine, Registration, SyncRun, open_store
from tests.e2e.hostile_site import build_site
from tests.e2e.ops_workspace import hubspot_workspace

EXE = Path(sys.executable).with_name("prm-sync")
NOW = dt.datetime.now(dt.UTC)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def leads_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """25 live registrations (protected for 90 days from now) and 30 whose protection ended long ago."""
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert run(["-q", "init"]) == 0
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as store, store.session(write=True) as s:
        partner = Partner(name="Acme", tier="gold", status="active")
        s.add(partner)
        s.flush()
        s.add_all([Registration(partner_id=partner.id, company=f"Live {i}", status="submitted", created_at=NOW)
                   for i in range(25)])
        s.add_all([Registration(partner_id=partner.id, company=f"Old {i}", status="submitted",
                                created_at=NOW - dt.timedelta(days=200)) for i in range(30)])
    capsys.readouterr()
    return tmp_path


def statuses(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    code, out, _ = cli(capsys, "leads", "list", "--format", "json")
    assert code == 0
    counts: dict[str, int] = {}
    for row in json.loads(out):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def test_expire_as_of_a_future_date_needs_yes_without_a_terminal(leads_site: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    future = (NOW + dt.timedelta(days=200)).strftime("%Y-%m-%d")
    code, out, err = cli(capsys, "leads", "expire", "--as-of", future)
    assert code == 2 and "--yes" in err and "registrations to expire" in err
    code, out, err = cli(capsys, "leads", "expire", "--as-of", future, "--dry-run")
    assert code == 0, err
    assert out.count("would expire") == 55 and "dry run: 55 registrations to expire; nothing changed" in out
    # `leads list` expires the routine ones itself; the live ones are untouched by the refused and dry runs
    assert statuses(capsys) == {"submitted": 25, "expired": 30}
    code, out, err = cli(capsys, "leads", "expire", "--as-of", future, "--yes")
    assert code == 0 and "expired 25" in out, err
    assert statuses(capsys) == {"expired": 55}


def test_routine_expire_needs_no_confirmation(leads_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "leads", "expire")
    assert code == 0 and out.strip() == "expired 30", err
    assert statuses(capsys) == {"submitted": 25, "expired": 30}


def _on_a_terminal(directory: Path, args: list[str], answer: bytes) -> tuple[int, str]:
    """Run prm-sync with stdin and stdout on a pseudo-terminal, answering its question."""
    parent, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "PRM_SYNC_CONFIG"}
    process = subprocess.Popen([str(EXE), *args], stdin=child, stdout=child, stderr=child, cwd=directory, env=env)
    os.close(child)
    seen = b""
    while b"Go ahead?" not in seen:
        chunk = os.read(parent, 1024)
        assert chunk, seen
        seen += chunk
    os.write(parent, answer + b"\n")
    while True:
        try:
            chunk = os.read(parent, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(parent)
    return process.wait(timeout=60), seen.decode(errors="replace")


def test_on_a_terminal_a_big_expire_asks_and_no_changes_nothing(leads_site: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    future = (NOW + dt.timedelta(days=200)).strftime("%Y-%m-%d")
    code, shown = _on_a_terminal(leads_site, ["leads", "expire", "--as-of", future], b"n")
    assert code == 1 and "55 registrations to expire. Go ahead? [y/N]" in shown and "Aborted." in shown
    assert statuses(capsys) == {"submitted": 25, "expired": 30}
    code, shown = _on_a_terminal(leads_site, ["leads", "expire", "--as-of", future], b"y")
    assert code == 0 and "expired 25" in shown
    assert statuses(capsys) == {"expired": 55}


def test_approving_and_paying_many_lines_previews_and_confirms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    site = build_site(tmp_path / "prm", {f"p{i}": f"Partner {i}" for i in range(21)})
    capsys.readouterr()
    config = ["--config", str(site.config)]

    def lines() -> dict[str, str]:
        code, out, _ = cli(capsys, *config, "commissions", "list", "--format", "json")
        assert code == 0
        return {x["id"]: x["status"] for x in json.loads(out)}

    ids = sorted(lines())
    assert len(ids) == 21
    for command, after in (("approve", "approved"), ("pay", "paid")):
        code, _, err = cli(capsys, *config, "commissions", command, *ids)
        assert code == 2 and "21 lines to" in err and "--yes" in err
        code, out, err = cli(capsys, *config, "commissions", command, *ids, "--dry-run")
        assert code == 0 and out.count("would change") == 21, err
        assert after not in set(lines().values())
        code, out, err = cli(capsys, *config, "commissions", command, *ids, "--yes")
        assert code == 0, err
        assert set(lines().values()) == {after}
    code, _, err = cli(capsys, *config, "commissions", "approve", ids[0])  # one line: no question
    assert code == 2 and "already paid" in err


def test_retrying_many_quarantined_records_previews_and_confirms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=0) as workspace:
        with open_store(workspace.store_url) as store, store.session(write=True) as s:
            sync_run = SyncRun(status="errors")
            s.add(sync_run)
            s.flush()
            s.add_all([Quarantine(run_id=sync_run.id, entity="partner", side="pull", record_key=f"crm-{i}",
                                  kind="invalid", reason="name: required") for i in range(21)])
        capsys.readouterr()

        def open_entries() -> int:
            code, out, _ = cli(capsys, "--config", str(workspace.config), "errors", "list", "--format", "json")
            assert code == 0
            return len(json.loads(out))

        code, _, err = cli(capsys, "--config", str(workspace.config), "errors", "retry")
        assert code == 2 and "21 quarantined records to retry" in err and "--yes" in err
        code, out, err = cli(capsys, "--config", str(workspace.config), "errors", "retry", "--dry-run")
        assert code in (0, 1), err
        assert "dry run: 21 quarantined records to retry; nothing changed" in out
        assert open_entries() == 21
        code, out, err = cli(capsys, "--config", str(workspace.config), "errors", "retry", "--yes")
        assert code in (0, 1), err
        assert "dry run" not in out
