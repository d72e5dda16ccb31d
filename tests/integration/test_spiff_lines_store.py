"""SPIFF lines in a real store (SQLite and PostgreSQL): their own lines, idempotent, a backdated deal
after payout gets what the budget has left, a lost deal's SPIFF is clawed back once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.services.commissions import approve_lines, calculate_commissions, pay_lines
from prm_sync.store import CommissionLine, Deal, Partner, Store

SETTINGS = CommissionSettings.model_validate({"plans": [{
    "name": "std", "currency": "USD", "effective": {"from": "2026-01-01"}, "tier_rates": {"gold": "10%"},
    "spiffs": [{"name": "q4", "from": "2026-10-01", "to": "2027-01-01", "amount": "500", "budget": "1200"}]}]})
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def add_deal(store: Store, partner_id: str, name: str, day: dt.date) -> str:
    with store.session(write=True) as s:
        deal = Deal(partner_id=partner_id, name=name, amount=Decimal("8000"), currency="USD", close_date=day,
                    is_won=True, is_closed=True)
        s.add(deal)
        s.flush()
        return deal.id


def lines(store: Store) -> dict[tuple[str, str | None, str], Decimal]:
    """(deal name, component, kind) -> amount of the live lines."""
    with store.session() as s:
        names = dict(s.exec(select(Deal.id, Deal.name)).all())
        out: dict[tuple[str, str | None, str], Decimal] = {}
        for line in s.exec(select(CommissionLine).where(CommissionLine.deleted_at == None)):  # noqa: E711
            key = (names[line.deal_id], line.component, line.kind)
            out[key] = out.get(key, Decimal(0)) + line.amount
        return out


def calc(store: Store) -> tuple[int, int, int]:
    with store.session(write=True) as s:
        report = calculate_commissions(s, SETTINGS, now=NOW)
        return report.created, report.updated, report.retired


def test_spiff_lines_budget_backdating_and_clawback(store: Store) -> None:
    with store.session(write=True) as s:
        partner = Partner(name="Đại Lý Sài Gòn", tier="gold", status="active")
        s.add(partner)
        s.flush()
        pid = partner.id
    x = add_deal(store, pid, "x", dt.date(2026, 10, 10))
    add_deal(store, pid, "y", dt.date(2026, 10, 20))
    assert calc(store) == (4, 0, 0)
    assert lines(store) == {
        ("x", None, "commission"): Decimal("800.00"), ("x", "spiff:q4", "commission"): Decimal("500.00"),
        ("y", None, "commission"): Decimal("800.00"), ("y", "spiff:q4", "commission"): Decimal("500.00")}
    assert calc(store) == (0, 0, 0)          # idempotent
    with store.session(write=True) as s:
        ids = [line.id for line in s.exec(select(CommissionLine))]
        approve_lines(s, ids, NOW)
        pay_lines(s, ids, NOW)
    add_deal(store, pid, "w", dt.date(2026, 10, 5))   # backdated into the window, after the payout
    assert calc(store) == (2, 0, 0)
    assert lines(store)[("w", "spiff:q4", "commission")] == Decimal("200.00")
    assert lines(store)[("x", "spiff:q4", "commission")] == Decimal("500.00")   # paid: kept
    with store.session() as s:
        text = s.exec(select(CommissionLine.explanation).where(CommissionLine.component == "spiff:q4",
                                                               CommissionLine.amount == Decimal("200.00"))).one()
    assert text is not None and "budget exhausted: this deal gets 200.00 of 500.00 USD" in text
    # x is lost: its commission and its SPIFF are clawed back, once each
    with store.session(write=True) as s:
        deal = s.get(Deal, x)
        assert deal is not None
        deal.is_won, deal.stage = False, "Closed Lost"
        s.add(deal)
    calc(store)
    found = lines(store)
    assert found[("x", "spiff:q4", "clawback")] == Decimal("-500.00")
    assert found[("x", None, "clawback")] == Decimal("-800.00")
    assert found[("w", "spiff:q4", "commission")] == Decimal("500.00")   # the freed budget goes to w (not paid yet)
    assert calc(store) == (0, 0, 0)
