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
from prm_sync.store import Deal, Partner, PartnerTierChange, Registration, open_store

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


SCORED_PROGRAM = """
program:
  tiers:
    - name: registered
    - name: silver
      requires: {min_score: 25}
    - name: gold
      requires: {min_score: 40}
  score:
    weights: {revenue: 3, won_deals: 1, registration_approval: 1, registration_win: 1, certifications: 0}
    targets: {revenue: 1000000, won_deals: 4}
commissions:
  fx: {EUR: "1.10"}
  plans: [{name: p, currency: USD, effective: {from: 2020-01-01}, tier_rates: {gold: "10%"}}]
"""


def test_min_score_in_review_and_the_score_in_the_scorecard(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scores on 2026-12-31 (weights 3/1/1/1/0 of 6; targets 1,000,000 USD and 4 won deals):
    Nguyễn: revenue 250,000 -> 0.25 x 3 = 0.75; won 2/4 = 0.5; registrations submitted in the window:
            1 approved (its deal won), 1 rejected, 1 undecided -> approval 1/2 = 0.5, win 1/1 = 1
            -> 2.75 / 6 = 45.833.. -> 45.8: gold (>= 40)
    Müller: 320,000 -> 0.96; won 2/4 -> 0.5; no registrations -> 1.46 / 6 = 24.333.. -> 24.3: registered
    Bleu:   350,000 (the 2025 deals are out) -> 1.05; won 2/4 -> 0.5 -> 1.55 / 6 = 25.833.. -> 25.8: silver
    """
    with (site / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(SCORED_PROGRAM)
    ids = seed(site, capsys)
    submitted = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    with open_store(store_url(site), create=False) as store, store.session(write=True) as session:
        approved = Registration(partner_id=ids["Nguyễn Đối Tác"], company="Công ty A", status="converted",
                                approved_at=submitted + dt.timedelta(days=1), created_at=submitted)
        session.add(approved)
        session.add(Registration(partner_id=ids["Nguyễn Đối Tác"], company="Firma B", status="rejected",
                                 created_at=submitted))
        session.add(Registration(partner_id=ids["Nguyễn Đối Tác"], company="Firma C", created_at=submitted))
        session.add(Registration(partner_id=ids["Müller Vertrieb"], company="Alt GmbH", status="rejected",
                                 created_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)))   # before the window
        session.flush()
        deal = session.exec(select(Deal).where(Deal.amount == Decimal(150000))).one()
        deal.registration_id = approved.id
    code, out, err = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    report = {p["partner"]: p for p in json.loads(out)["partners"]}
    assert {name: (p["rules_give"], p["action"]) for name, p in report.items()} == {
        "Nguyễn Đối Tác": ("gold", "promote"), "Müller Vertrieb": ("registered", "demote"),
        "Bleu Société": ("silver", "demote")}
    score = "partner score in 12 months to 2026-12-31"
    assert report["Nguyễn Đối Tác"]["reasons"] == [
        {"tier": "gold", "requirement": score, "needed": "40", "has": "45.8", "met": True}]
    assert report["Müller Vertrieb"]["reasons"] == [
        {"tier": "silver", "requirement": score, "needed": "25", "has": "24.3", "met": False}]
    assert report["Bleu Société"]["reasons"] == [
        {"tier": "silver", "requirement": score, "needed": "25", "has": "25.8", "met": True},
        {"tier": "gold", "requirement": score, "needed": "40", "has": "25.8", "met": False}]
    assert report["Nguyễn Đối Tác"]["notes"] == ["score 45.8 (revenue 25.0%, won_deals 50.0%, "
                                                 "registration_approval 50.0%, registration_win 100.0%, "
                                                 "certifications 0.0%)"]
    code, out, _ = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF, "--format", "csv")
    rows = {r["partner"]: r["reasons"] for r in csv.DictReader(io.StringIO(out))}
    assert rows["Müller Vertrieb"].startswith(f"silver {score}: needs 25, has 24.3 (NOT met)")
    code, out, _ = cli(capsys, "partners", "review-tiers", "--as-of", AS_OF)
    assert code == 0 and "has 45.8 (met)" in out

    code, out, err = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--format", "json")
    assert code == 0, err
    assert {c["partner"]: c["score"] for c in json.loads(out)} == {
        "Nguyễn Đối Tác": "45.8", "Müller Vertrieb": "24.3", "Bleu Société": "25.8"}
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--format", "csv")
    assert sorted((r["partner"], r["score"]) for r in csv.DictReader(io.StringIO(out))) == [
        ("Bleu Société", "25.8"), ("Müller Vertrieb", "24.3"), ("Nguyễn Đối Tác", "45.8")]
    # the score is on the period's last day: on 2026-06-30 Nguyễn has 150,000 in 1 deal, the same registrations
    # -> 0.45 + 0.25 + 0.5 + 1 = 2.2 / 6 = 36.666.. -> 36.7
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q2", "--format", "json")
    assert {c["partner"]: c["score"] for c in json.loads(out)}["Nguyễn Đối Tác"] == "36.7"
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--format", "html", "--out", "s.html")
    assert code == 0 and "registered</span> score 45.8" in (site / "s.html").read_text(encoding="utf-8")
