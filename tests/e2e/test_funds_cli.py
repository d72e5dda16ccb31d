"""`prm-sync funds ...` in-process: budgets, allocations from tiers, requests, claims, the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import FundHistory, Partner, PartnerTierChange, open_store

FUNDS = """
funds:
  default_allocation: {gold: "10000", silver: "4000"}
  claim_over_approval: refuse
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(FUNDS)
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}", create=False) as store, store.session(write=True) as s:
        gold = Partner(name="Công ty Ánh Dương", tier="gold", status="active")
        silver = Partner(name="Müller Systemhaus", tier="gold", status="active")
        s.add_all([gold, silver])
        s.flush()
        # Müller was silver when the quarter started; promoted mid-quarter: its allocation stays silver's
        s.add(PartnerTierChange(partner_id=silver.id, from_tier="silver", to_tier="gold", actor="review",
                                at=dt.datetime(2026, 11, 15, tzinfo=dt.UTC)))
    capsys.readouterr()
    return tmp_path


def test_funds_flow_through_the_cli(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "funds", "budget", "set", "--period", "2026-Q4", "--currency", "USD",
                         "--total", "50000")
    assert code == 0, err
    code, out, _ = cli(capsys, "funds", "budget", "show", "--period", "2026-q4", "--format", "json")
    shown = {r["partner"]: (r["allocation"], r["source"]) for r in json.loads(out)}
    assert shown == {"Công ty Ánh Dương": ("10000.00", "tier gold on 2026-10-01"),
                     "Müller Systemhaus": ("4000.00", "tier silver on 2026-10-01")}
    ids = []
    for amount in ("4000", "3500", "3000"):
        code, out, err = cli(capsys, "funds", "request", "add", "--partner", "công ty ánh dương", "--amount", amount,
                             "--period", "2026-Q4", "--activity", "event", "--end", "2026-11-30")
        assert code == 0, err
        ids.append(out.split()[1])
    assert cli(capsys, "funds", "request", "approve", ids[0])[0] == 0
    assert cli(capsys, "funds", "request", "approve", ids[1])[0] == 0
    code, out, err = cli(capsys, "funds", "request", "approve", ids[2])
    assert code == 2
    assert "only 2,500.00 USD of the allocation of 10,000.00 USD remains" in err and "Traceback" not in err
    assert cli(capsys, "funds", "request", "approve", ids[2], "--amount", "2500")[0] == 0
    # no budget: a clear message, exit 2
    code, _, err = cli(capsys, "funds", "request", "add", "--partner", "Müller Systemhaus", "--amount", "10",
                       "--currency", "EUR", "--period", "2026-Q4")
    assert code == 2 and "no EUR budget for 2026-Q4" in err
    code, _, err = cli(capsys, "funds", "request", "add", "--partner", "Müller Systemhaus", "--amount", "10.005",
                       "--period", "2026-Q4")
    assert code == 2 and "more decimals than USD allows (2)" in err

    # claims: above the approval refused; approved, paid once
    code, _, err = cli(capsys, "funds", "claim", "add", ids[0], "--amount", "4500", "--proof", "https://x.example/i")
    assert code == 2 and "exceeds what remains of the approved 4,000.00 USD: 4,000.00 USD" in err
    code, out, err = cli(capsys, "funds", "claim", "add", ids[0], "--amount", "4000", "--proof",
                         "https://files.example/hóa-đơn.pdf")
    assert code == 0, err
    claim = out.split()[1]
    assert cli(capsys, "funds", "claim", "approve", claim)[0] == 0
    assert cli(capsys, "funds", "claim", "pay", claim, "--reason", "wire 2026-12-01")[0] == 0
    code, _, err = cli(capsys, "funds", "claim", "pay", claim)
    assert code == 2 and "already paid on" in err
    code, out, _ = cli(capsys, "funds", "request", "list", "--format", "json")
    status = {r["id"]: (r["status"], r["approved"], r["claimed"]) for r in json.loads(out)}
    assert status[ids[0]] == ("paid", "4000.00", "4000.00")
    assert status[ids[2]] == ("approved", "2500.00", "0.00")

    with open_store(f"sqlite:///{site / 'prm.db'}", create=False) as store, store.session() as s:
        from sqlmodel import select

        trail = [(h.from_status, h.to_status, h.reason) for h in s.exec(
            select(FundHistory).where(FundHistory.subject_id == ids[0]).order_by(FundHistory.id))]
    assert trail == [(None, "submitted", None), ("submitted", "approved", None),
                     ("approved", "claimed", "its approved claims cover the approved amount"),
                     ("claimed", "paid", "its claims are paid")]

    code, out, err = cli(capsys, "funds", "report", "--period", "2026-Q4", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    anh = next(r for r in report["partners"] if r["partner"] == "Công ty Ánh Dương")
    # 10,000 allocation; 4,000 + 3,500 + 2,500 reserved; 4,000 claimed and paid
    assert (anh["allocation"], anh["reserved"], anh["claimed"], anh["paid"], anh["remaining"]) == (
        "10000.00", "10000.00", "4000.00", "4000.00", "0.00")
    # tiers as the allocations know them: Müller was silver on 2026-10-01 (gold since 2026-11-15)
    tiers = {t["tier"]: (t["partners"], t["allocation"], t["reserved"]) for t in report["tiers"]}
    assert tiers == {"gold": (1, "10000.00", "10000.00"), "silver": (1, "4000.00", "0.00")}
    assert report["budgets"] == [{"period": "2026-Q4", "currency": "USD", "total": "50000.00",
                                  "allocated": "14000.00", "unallocated": "36000.00", "reserved": "10000.00",
                                  "paid": "4000.00"}]
    code, out, _ = cli(capsys, "funds", "report", "--period", "2026-Q4", "--format", "html")
    assert code == 0 and "Công ty Ánh Dương" in out and "<table>" in out
    code, out, _ = cli(capsys, "funds", "report", "--period", "2026-Q4")
    assert code == 0 and "Market development funds 2026-Q4" in out
