"""`prm-sync partners ...` as a user runs it: lifecycle, tiers, assignment, certifications, contracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    assert run(["-q", "partners", "add", "Acme Partners", "--tier", "silver"]) == 0
    capsys.readouterr()
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def show(capsys: pytest.CaptureFixture[str], key: str = "Acme Partners") -> dict[str, object]:
    code, out, err = cli(capsys, "partners", "show", key, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_lifecycle_moves_only_along_the_table_and_keeps_history(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "partners", "set-status", "Acme Partners", "active", "--reason", "skip")
    assert code == 2 and "cannot go from prospect to active (allowed: onboarding, terminated)" in err
    code, _, err = cli(capsys, "partners", "set-status", "Acme Partners", "onboarding")
    assert code == 2 and "--reason" in err
    for status, reason in (("onboarding", "contract signed"), ("active", "trained"), ("suspended", "late fees"),
                           ("active", "paid"), ("terminated", "left")):
        code, out, err = cli(capsys, "partners", "set-status", "acme partners", status, "--reason", reason)
        assert code == 0, err
        assert out.strip().endswith(f"-> {status}")
    code, _, err = cli(capsys, "partners", "set-status", "Acme Partners", "active", "--reason", "back?")
    assert code == 2 and "terminated is final" in err
    record = show(capsys)
    history = record["status_history"]
    assert isinstance(history, list)
    assert [(h["from"], h["to"], h["reason"]) for h in history] == [
        (None, "prospect", "added"), ("prospect", "onboarding", "contract signed"), ("onboarding", "active", "trained"),
        ("active", "suspended", "late fees"), ("suspended", "active", "paid"), ("active", "terminated", "left")]
    assert all(h["actor"] and h["at"] for h in history)
    assert record["status"] == "terminated" and record["joined_on"]


def test_tier_territories_channel_manager_and_certifications(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "partners", "set-tier", "Acme Partners", "Platinum")[0] == 0
    code, _, err = cli(capsys, "partners", "set-tier", "Acme Partners", "diamond")
    assert code == 2 and "'diamond' is not one of registered, silver, gold, platinum" in err
    code, _, err = cli(capsys, "partners", "assign", "Acme Partners", "--territories", "us, us-ca, emea",
                       "--channel-manager", "Jane@Example.com")
    assert code == 0, err
    code, _, err = cli(capsys, "partners", "assign", "Acme Partners", "--territories", "USA,XX-1")
    assert code == 2 and "'USA' is not an ISO 3166 country" in err and "XX is not an ISO 3166 country" in err
    assert cli(capsys, "partners", "assign", "Acme Partners")[0] == 2
    code, _, err = cli(capsys, "partners", "certify", "Acme Partners", "Cloud Expert", "--earned", "2026-01-10",
                       "--expires", "2025-01-01")
    assert code == 2 and "before it was earned" in err
    assert cli(capsys, "partners", "certify", "Acme Partners", "Cloud Expert", "--earned", "2026-01-10")[0] == 0
    record = show(capsys)
    assert (record["tier"], record["territories"], record["channel_manager"]) == (
        "platinum", "US,US-CA,EMEA", "jane@example.com")
    assert record["certifications"] == [{"name": "Cloud Expert", "catalogue_id": None, "holder": None,
                                         "earned_on": "2026-01-10", "expires_on": None, "valid": True}]
    code, out, _ = cli(capsys, "partners", "list", "--tier", "platinum", "--format", "csv")
    assert out.splitlines()[0] == "id,name,tier,status,country,channel_manager,territories,flag"
    assert '"US,US-CA,EMEA"' in out.splitlines()[1]


def test_custom_tiers_from_config(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = site / "config.yaml"
    config.write_text(config.read_text() + "\npartners:\n  tiers: [registered, diamond]\n")
    assert cli(capsys, "partners", "set-tier", "Acme Partners", "diamond")[0] == 0
    code, _, err = cli(capsys, "partners", "set-tier", "Acme Partners", "gold")
    assert code == 2 and "not one of registered, diamond" in err


def test_contracts_due_renewed_and_expired_partner_flagged(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "-q", "partners", "add", "Beta")[0] == 0
    code, _, err = cli(capsys, "partners", "contracts", "add", "Acme Partners", "--start", "2026-01-01",
                       "--end", "2026-12-31", "--auto-renew", "--notice-days", "60", "--terms-url", "https://x/t.pdf")
    assert code == 0, err
    assert cli(capsys, "partners", "contracts", "add", "Beta", "--start", "2026-01-01", "--end", "2026-03-31")[0] == 0
    code, _, err = cli(capsys, "partners", "contracts", "add", "Beta", "--start", "2026-01-01", "--auto-renew")
    assert code == 2 and "needs an end date" in err
    code, out, _ = cli(capsys, "partners", "contracts", "--due", "30", "--as-of", "2026-10-15", "--format", "json")
    assert [(r["partner"], r["due"]) for r in json.loads(out)] == [
        ("Beta", "ends 2026-03-31 (overdue)"), ("Acme Partners", "notice deadline 2026-11-01 (due)")]
    code, out, _ = cli(capsys, "partners", "contracts", "renew", "--as-of", "2026-12-31")
    assert code == 0 and out.strip() == "renewed 1, expired 1"
    code, out, _ = cli(capsys, "partners", "contracts", "--partner", "Acme Partners", "--format", "json")
    assert [(r["starts_on"], r["ends_on"], r["state"]) for r in json.loads(out)] == [
        ("2026-01-01", "2026-12-31", "expired"), ("2027-01-01", "2027-12-31", "active")]
    code, out, _ = cli(capsys, "partners", "list", "--flagged", "--format", "json")
    assert [(r["name"], r["flag"]) for r in json.loads(out)] == [("Beta", "contract expired 2026-03-31")]
    assert show(capsys, "Beta")["flag"] == "contract expired 2026-03-31"
