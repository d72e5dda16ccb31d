"""`prm-sync partners review-tiers` and `set-tier --pin-until` as a user runs them, on a real store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.cli.main import run
from prm_sync.store import Deal, Partner, PartnerTierChange, open_store

PROGRAM = """
program:
  currency: USD
  grace_days: 30
  tiers:
    - name: registered
    - name: silver
      requires: {revenue: 250000, won_deals: 2}
    - name: gold
      requires: {revenue: 1000000, won_deals: 3}
  discounts: {registered: "0%", silver: "10%", gold: "20%"}
commissions:
  fx: {EUR: "1.10"}
  plans: [{name: p, currency: USD, effective: {from: 2020-01-01}, tier_rates: {gold: "10%"}}]
"""
AS_OF = "2026-12-31"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    capsys.readouterr()
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def store_url(site: Path) -> str:
    return f"sqlite:///{site / 'prm.db'}"


def seed(site: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    ids = {}
    for name, tier in (("Nguyễn Đối Tác", "registered"), ("Müller Vertrieb", "gold"), ("Bleu Société", "gold")):
        code, out, err = cli(capsys, "partners", "add", name, "--tier", tier, "--status", "active")
        assert code == 0, err
        ids[name] = out.split()[2]
    deals = [  # (partner, amount, currency, close date)
        ("Nguyễn Đối Tác", "150000", "USD", dt.date(2026, 3, 1)),
        ("Nguyễn Đối Tác", "100000", "USD", dt.date(2026, 12, 31)),    # as-of day: in; exactly 250,000 -> silver
        ("Müller Vertrieb", "200000", "EUR", dt.date(2026, 12, 15)),   # 220,000.00 USD
        ("Müller Vertrieb", "100000", "USD", dt.date(2026, 11, 1)),    # 320,000 in 2 deals: silver, not gold
        ("Bleu Société", "300000", "USD", dt.date(2026, 12, 20)),      # with June: 350,000 in 2 deals: silver now
        ("Bleu Société", "50000", "USD", dt.date(2026, 6, 1)),
        ("Bleu Société", "800000", "USD", dt.date(2025, 12, 10)),      # on 2026-12-01 (the grace look) June and
        ("Bleu Société", "200000", "USD", dt.date(2025, 12, 11)),      # these: 1,050,000 in 3 deals: gold then
    ]
    with open_store(store_url(site), create=False) as store, store.session(write=True) as session:
        for i, (name, amount, currency, day) in enumerate(deals):
            session.add(Deal(partner_id=ids[name], name=f"deal {i}", amount=Decimal(amount), currency=currency,
                             close_date=day, is_won=True, is_closed=True))
    return ids


def test_review_without_a_program_is_a_config_error(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "partners", "review-tiers")
    assert code == 2
    assert "config.yaml:1: program: no `program` section" in err and "Traceback" not in err


def test_review_reports_then_applies_with_history(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (site / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(PROGRAM)
    ids = seed(site, capsys)
    code, out, err = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    report = {p["partner"]: p for p in json.loads(out)["partners"]}
    nguyen, muller, bleu = report["Nguyễn Đối Tác"], report["Müller Vertrieb"], report["Bleu Société"]
    assert (nguyen["current"], nguyen["rules_give"], nguyen["proposed"], nguyen["action"]) == (
        "registered", "silver", "silver", "promote")
    assert nguyen["reasons"][0] == {"tier": "silver", "requirement": "won revenue in 12 months to 2026-12-31",
                                    "needed": "250,000.00 USD", "has": "250,000.00 USD", "met": True}
    assert (muller["rules_give"], muller["proposed"], muller["action"]) == ("silver", "silver", "demote")
    assert {"tier": "gold", "requirement": "won deals in 12 months to 2026-12-31", "needed": "3", "has": "2",
            "met": False} in muller["reasons"]
    assert (bleu["rules_give"], bleu["proposed"], bleu["action"]) == ("silver", "gold", "grace")
    assert bleu["notes"] == ["earns only silver now but still earned gold on 2026-12-01 (grace 30 days): stays gold"]

    code, out, _ = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["partner"], r["action"]) for r in rows] == [
        ("Bleu Société", "grace"), ("Müller Vertrieb", "demote"), ("Nguyễn Đối Tác", "promote")]

    # a pinned partner is reported, never changed
    code, _, err = cli(capsys, "partners", "set-tier", "Müller Vertrieb", "gold", "--pin-until", "2099-01-01",
                       "--reason", "strategic")
    assert code == 0, err
    code, out, err = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--apply", "--yes")
    assert code == 0, err
    assert "1 tier(s) changed" in err
    with open_store(store_url(site), create=False) as store, store.session() as session:
        tiers = {p.name: (p.tier, p.discount_percent) for p in session.exec(select(Partner))}
        history = [(h.partner_id, h.from_tier, h.to_tier, h.to_discount, h.actor)
                   for h in session.exec(select(PartnerTierChange).order_by(PartnerTierChange.id))]
        reason = session.exec(select(PartnerTierChange.reason).where(
            PartnerTierChange.partner_id == ids["Nguyễn Đối Tác"])).one()
    assert tiers == {"Nguyễn Đối Tác": ("silver", Decimal("10.00")), "Müller Vertrieb": ("gold", Decimal("20.00")),
                     "Bleu Société": ("gold", None)}
    assert [(h[0], h[1], h[2], h[3]) for h in history] == [
        (ids["Müller Vertrieb"], "gold", "gold", Decimal("20.00")),
        (ids["Nguyễn Đối Tác"], "registered", "silver", Decimal("10.00"))]
    assert reason is not None and reason.startswith("tier review as of 2026-12-31: promote registered -> silver (")
    assert "silver won deals in 12 months to 2026-12-31: needs 2, has 2 (met)" in reason
    # applied: a second review changes nothing
    code, out, err = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--apply", "--yes")
    assert code == 0 and "0 tier(s) changed" in err
    code, out, _ = cli(capsys, "partners", "show", ids["Nguyễn Đối Tác"], "--format", "json")
    shown = json.loads(out)
    assert shown["tier_history"][0]["to"] == "silver" and shown["discount_percent"] == "10.00"


def test_apply_asks_first_and_a_no_changes_nothing(site: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with (site / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(PROGRAM)
    seed(site, capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--apply")
    assert code == 1 and "change the tier of 2 partner(s)?" in err
    with open_store(store_url(site), create=False) as store, store.session() as session:
        assert session.exec(select(PartnerTierChange)).all() == []
        assert {p.tier for p in session.exec(select(Partner))} == {"registered", "gold"}
