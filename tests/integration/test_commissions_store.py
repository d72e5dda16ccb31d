"""Commission lines in a real store (SQLite and PostgreSQL): idempotent recalculation, clawbacks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.services.commissions import (
    approve_lines,
    calculate_commissions,
    pay_lines,
    payout_rows,
    period_arg,
)
from prm_sync.store import CommissionLine, Deal, Partner, Registration, Store, open_store, upgrade

SETTINGS = CommissionSettings.model_validate({
    "fx": {"EUR": "1.10"},
    "plans": [{"name": "std", "currency": "USD", "effective": {"from": "2026-01-01"},
               "tier_rates": {"registered": "5%", "silver": "8%", "gold": "10%", "platinum": "12%"},
               "registration_bonus": "2%", "accelerator": {"quota": 100000, "multiplier": "1.5"}}],
})
NOW = dt.datetime(2026, 9, 30, tzinfo=dt.UTC)


def seed(store: Store) -> tuple[str, str, str]:
    with store.session(write=True) as s:
        partner = Partner(name="Acme", tier="gold", status="active")
        s.add(partner)
        s.flush()
        reg = Registration(partner_id=partner.id, company="Cust", status="approved", approved_at=NOW)
        s.add(reg)
        s.flush()
        won = Deal(partner_id=partner.id, name="Big", amount=Decimal("60000.00"), currency="USD",
                   stage="Closed Won", close_date=dt.date(2026, 7, 10), is_won=True, is_closed=True,
                   registration_id=reg.id)
        eur = Deal(partner_id=partner.id, name="Euro", amount=Decimal("50000.00"), currency="EUR",
                   stage="Closed Won", close_date=dt.date(2026, 8, 1), is_won=True, is_closed=True)
        s.add_all([won, eur, Deal(partner_id=partner.id, name="Open", amount=Decimal(5), currency="USD")])
        s.flush()
        return partner.id, won.id, eur.id


def live_lines(store: Store) -> list[CommissionLine]:
    with store.session() as s:
        rows = s.exec(select(CommissionLine).where(CommissionLine.deleted_at == None)).all()  # noqa: E711
        return sorted(rows, key=lambda r: (r.deal_id, r.created_at))


def snapshot(store: Store) -> list[tuple]:
    with store.session() as s:
        return sorted((r.id, r.amount, r.status, r.updated_at, r.deleted_at, r.explanation)
                      for r in s.exec(select(CommissionLine)).all())


def test_calculate_twice_changes_nothing(store: Store) -> None:
    partner_id, won_id, eur_id = seed(store)
    with store.session(write=True) as s:
        first = calculate_commissions(s, SETTINGS, now=NOW)
    assert (first.deals, first.created, first.updated, first.retired) == (2, 2, 0, 0)
    lines = {x.deal_id: x for x in live_lines(store)}
    # Big: 60000 x (10% + 2% bonus) = 7200.00 USD
    # Euro: 50000 EUR = 55000 USD; quota left 40000: 40000 x 10% = 4000 ; 15000 x 15% = 2250 -> 6250 USD
    #       / 1.10 = 5681.8181... -> 5681.82 EUR
    assert (lines[won_id].amount, lines[won_id].currency) == (Decimal("7200.00"), "USD")
    assert (lines[eur_id].amount, lines[eur_id].currency) == (Decimal("5681.82"), "EUR")
    line = lines[won_id]
    assert (line.partner_id, line.status, line.kind, line.period, line.plan) == (
        partner_id, "calculated", "commission", "2026-Q3", "std")
    assert "Registration bonus: +2%" in (line.explanation or "")
    before = snapshot(store)
    with store.session(write=True) as s:
        again = calculate_commissions(s, SETTINGS, period=period_arg("2026-Q3"), now=NOW + dt.timedelta(days=1))
    assert (again.created, again.updated, again.retired) == (0, 0, 0)
    assert snapshot(store) == before


@pytest.mark.parametrize("change", ["lost", "smaller", "deleted"])
def test_clawback_after_payment_is_exactly_one_negative_line(store: Store, change: str) -> None:
    _, won_id, _ = seed(store)
    with store.session(write=True) as s:
        calculate_commissions(s, SETTINGS, now=NOW)
    line_id = next(x.id for x in live_lines(store) if x.deal_id == won_id)
    with store.session(write=True) as s:
        approve_lines(s, [line_id], now=NOW)
        pay_lines(s, [line_id[:8]], now=NOW)
    with store.session(write=True) as s:
        deal = s.get(Deal, won_id)
        assert deal is not None
        if change == "lost":
            deal.is_won, deal.stage = False, "Closed Lost"
        elif change == "smaller":
            deal.amount = Decimal("50000.00")
        else:
            deal.deleted_at = NOW
        s.add(deal)
    for _ in range(2):  # the second run must not add another clawback
        with store.session(write=True) as s:
            calculate_commissions(s, SETTINGS, now=NOW)
    mine = [x for x in live_lines(store) if x.deal_id == won_id]
    assert [(x.kind, x.status) for x in mine] == [("commission", "paid"), ("clawback", "clawback")]
    # paid 7200.00; now due 0 (lost / deleted) or 50000 x 12% = 6000.00 (smaller)
    expected = Decimal("-1200.00") if change == "smaller" else Decimal("-7200.00")
    assert mine[1].amount == expected
    assert mine[0].amount == Decimal("7200.00")  # the paid line is untouched


def test_status_from_the_crm_is_respected_and_payout_file_lists_approved(store: Store) -> None:
    _, won_id, eur_id = seed(store)
    with store.session(write=True) as s:
        calculate_commissions(s, SETTINGS, now=NOW)
    with store.session(write=True) as s:  # what a sync pull does when finance approves in the CRM
        for line in s.exec(select(CommissionLine)).all():
            line.status = "approved"
            s.add(line)
    with store.session(write=True) as s:
        eur = s.get(Deal, eur_id)
        assert eur is not None
        eur.amount = Decimal("60000.00")  # more due now: an adjustment line, the approved one stays
        s.add(eur)
    with store.session(write=True) as s:
        report = calculate_commissions(s, SETTINGS, now=NOW)
        rows = payout_rows(s, period_arg("2026-Q3"))  # type: ignore[arg-type]
    assert (report.created, report.updated) == (1, 0)
    # 60000 EUR = 66000 USD; 40000 x 10% + 26000 x 15% = 4000 + 3900 = 7900 USD / 1.10 = 7181.8181.. -> 7181.82
    # approved 5681.82 -> adjustment 1500.00 EUR
    adjustment = [x for x in live_lines(store) if x.status == "calculated"]
    assert [(x.deal_id, x.amount, x.currency) for x in adjustment] == [(eur_id, Decimal("1500.00"), "EUR")]
    assert sorted((r["deal_id"], r["amount"]) for r in rows) == sorted(
        [(won_id, Decimal("7200.00")), (eur_id, Decimal("5681.82"))])


def test_round_trip_through_the_sync_engine_with_the_fake_crm(tmp_path: Path) -> None:
    """Won deal pulled -> line calculated -> pushed -> marked paid in the CRM -> pulled back as paid ->
    deal lost in the CRM -> exactly one clawback line, pushed too. (The real emulators: integrator's e2e.)"""
    from tests.unit.sync.fake_crm import FakeCrm
    from tests.unit.sync.test_engine import Clock, partner_fields, sync

    clock = Clock()
    crm = FakeCrm(clock, page_size=50)
    company = crm.create("companies", partner_fields("Acme"))
    deal_id = crm.create("deals", {"pipeline": "default", "dealname": "Big", "amount": "60000.00",
                                   "deal_currency_code": "USD", "dealstage": "closedwon", "hs_is_closed_won": "true",
                                   "hs_is_closed": "true", "closedate": "2026-07-10T00:00:00Z"},
                         {"companies": {company}})
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as store:
        upgrade(store)
        sync(store, crm, tmp_path, clock)
        with store.session(write=True) as s:
            assert calculate_commissions(s, SETTINGS, now=NOW).created == 1
        sync(store, crm, tmp_path, clock, entities=["commission"])
        pushed = crm.live("partner_commissions")
        # gold 10% of 60000 (no registration) = 6000.00
        assert [(str(r.fields["amount"]), r.fields["status"], r.fields["period"]) for r in pushed] == [
            ("6000.00", "calculated", "2026-Q3")]
        assert "Plan: std" in pushed[0].fields["explanation"]
        crm.modify(pushed[0].crm_id, status="paid")  # finance pays it in the CRM
        sync(store, crm, tmp_path, clock, entities=["commission"])
        assert [x.status for x in live_lines(store)] == ["paid"]
        crm.modify(deal_id, dealstage="closedlost", hs_is_closed_won="false")
        sync(store, crm, tmp_path, clock)
        for _ in range(2):
            with store.session(write=True) as s:
                calculate_commissions(s, SETTINGS, now=NOW)
        sync(store, crm, tmp_path, clock, entities=["commission"])
        assert sorted((x.status, x.amount) for x in live_lines(store)) == [
            ("clawback", Decimal("-6000.00")), ("paid", Decimal("6000.00"))]
        assert sorted((r.fields["status"], str(r.fields["amount"])) for r in crm.live("partner_commissions")) == [
            ("clawback", "-6000.00"), ("paid", "6000.00")]
