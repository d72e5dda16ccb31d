"""`prm-sync leads ...` as a user runs it: register, import, list, approve, reject, extend, expire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run

HEADER = "partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    for name, status in (("Alpha", "active"), ("Beta", "active"), ("Gone", "terminated")):
        assert run(["-q", "partners", "add", name, "--status", status]) == 0
    capsys.readouterr()
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def leads(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    code, out, err = cli(capsys, "leads", "list", "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def register(capsys: pytest.CaptureFixture[str], partner: str, company: str, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "leads", "register", "--partner", partner, "--company", company, "--contact", "Pat Doe", *extra)


def test_register_flags_a_second_partner_with_the_first_named(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = register(capsys, "Alpha", "ACME, Inc.", "--email", "ceo@acme.com", "--value", "50000",
                              "--currency", "usd", "--close", "2099-06-30", "--products", "Software")
    assert code == 0 and out.startswith("registered ") and err == ""
    first_id = out.split()[1]
    code, out, err = register(capsys, "beta", "Acme Incorporated", "--website", "https://sales.acme.com/")
    assert code == 0
    assert f"conflict: other_partner: registered by another partner: Alpha (registration {first_id})" in err
    assert "matched on name 'acme', domain acme.com" in err
    rows = leads(capsys)
    assert [(r["partner"], r["conflict_reason"], r["conflict_with"]) for r in rows] == [
        ("Beta", "other_partner", f"Alpha (registration {first_id})"), ("Alpha", None, None)]
    assert rows[1]["estimated_value"] == "50000" and rows[1]["currency"] == "USD"
    assert [r["company"] for r in leads(capsys, "--conflicts")] == ["Acme Incorporated"]
    code, _, err = register(capsys, "Gone", "Initech")
    assert code == 2 and "'Gone' is terminated and may not register deals" in err
    code, _, err = register(capsys, "Alpha", "Initech", "--email", "bad", "--value", "x")
    assert code == 2 and "email: 'bad'" in err and "estimated_value: 'x'" in err


def test_approve_reject_extend_expire(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = register(capsys, "Alpha", "Globex")[1].split()[1]
    second = register(capsys, "Beta", "Globex Corporation")[1].split()[1]
    code, _, err = cli(capsys, "leads", "approve", second[:8])
    assert code == 2 and "Alpha" in err and "--force" in err
    code, out, _ = cli(capsys, "leads", "approve", first[:8])
    assert code == 0 and out.startswith(f"approved {first}, protected until ")
    code, _, err = cli(capsys, "leads", "reject", second)
    assert code == 2 and "--reason" in err
    assert cli(capsys, "leads", "reject", second, "--reason", "Alpha registered first")[0] == 0
    code, out, _ = cli(capsys, "leads", "extend", first, "--days", "30")
    assert code == 0 and "until" in out
    code, _, err = cli(capsys, "leads", "extend", second, "--days", "30")
    assert code == 2 and "is rejected" in err
    code, out, _ = cli(capsys, "leads", "expire", "--as-of", "2099-01-01")
    assert (code, out.strip()) == (0, "expired 1")
    statuses = {r["id"]: (r["status"], r["protected_until"]) for r in leads(capsys)}
    assert statuses == {first: ("expired", None), second: ("rejected", None)}
    code, _, err = cli(capsys, "leads", "approve", "nope")
    assert code == 2 and "no registration" in err


def test_import_reports_bad_rows_by_line_and_strict_imports_nothing(
    site: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (site / "regs.csv").write_text(HEADER + "\n".join([
        "Alpha,Globex,Hank Scorpio,hank@globex.com,,1200.50,USD,2099-01-31,Software",
        "Alpha,,Pat Doe,,,,,,",
        "Beta,GLOBEX LLC,Ann Lee,ann@globex.com,,,,,",
        "Nobody,Hooli,Pat Doe,,,,,,",
        "Gone,Hooli,Pat Doe,,,,,,",
    ]) + "\n", encoding="utf-8")
    code, _, err = cli(capsys, "leads", "import", "regs.csv", "--strict")
    assert code == 1 and "--strict: 3 invalid rows, nothing imported" in err
    assert leads(capsys) == []
    code, out, err = cli(capsys, "leads", "import", "regs.csv")
    assert code == 1
    assert out.strip() == "imported 2, invalid 3, flagged as conflicts 1"
    assert err.splitlines() == [
        "regs.csv:3: company: missing",
        "regs.csv:5: partner: no partner with id or name 'Nobody' (see `prm-sync partners list`)",
        "regs.csv:6: partner: 'Gone' is terminated and may not register deals",
    ]
    rows = {r["company"]: r for r in leads(capsys)}
    assert rows["GLOBEX LLC"]["conflict_with"] == f"Alpha (registration {rows['Globex']['id']})"
    (site / "clean.csv").write_text(HEADER + "Beta,Initech,Bob Slydell,,,,,,\n", encoding="utf-8")
    assert cli(capsys, "leads", "import", "clean.csv")[0] == 0
    (site / "bad.csv").write_text("company,colour\nX,red\n", encoding="utf-8")
    code, _, err = cli(capsys, "leads", "import", "bad.csv")
    assert code == 2 and "missing: partner" in err and "unknown: colour" in err
