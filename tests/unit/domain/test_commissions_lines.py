"""Line lifecycle: open lines follow the calculation, approved/paid lines never move, clawbacks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from prm_sync.domain.commissions import LineState, calculate, parse_period, period_of, reconcile
from tests.unit.domain.test_commissions_plans import deal, plan, settings

D = Decimal
CFG = settings(plan())  # gold 10%


def earned(amount: str, **fields: object):  # type: ignore[no-untyped-def]
    return calculate(CFG, [deal("d1", amount, **fields)])["d1"]  # type: ignore[arg-type]


def line(amount: str, status: str, kind: str = "commission", line_id: str = "L1", currency: str = "USD") -> LineState:
    return LineState(line_id, D(amount), currency, status, kind, "2026-Q3", "p", "old text")


def test_new_won_deal_gets_one_calculated_line() -> None:
    changes = reconcile(earned("10000"), [])
    assert [(c.kind, c.status, c.amount, c.currency, c.period) for c in changes.create] == [
        ("commission", "calculated", D("1000.00"), "USD", "2026-Q3")]
    assert not changes.update and not changes.retire


def test_recalculating_an_unchanged_deal_changes_nothing() -> None:
    first = reconcile(earned("10000"), []).create[0]
    existing = LineState("L1", first.amount, first.currency, first.status, first.kind, first.period, first.plan,
                         first.explanation)
    assert reconcile(earned("10000"), [existing]).empty
    # the same holds once the line is paid
    paid = LineState("L1", first.amount, "USD", "paid", "commission", first.period, first.plan, "x")
    assert reconcile(earned("10000"), [paid]).empty


def test_open_line_follows_the_deal_without_a_clawback() -> None:
    # not approved yet: 10000 -> 6000 simply updates the line to 600.00
    changes = reconcile(earned("6000"), [line("1000.00", "calculated")])
    assert not changes.create and not changes.retire
    assert [(i, v.amount, v.kind) for i, v in changes.update] == [("L1", D("600.00"), "commission")]


def test_clawback_after_payment_is_one_negative_line() -> None:
    # paid 1000.00 on 10000; the amount drops to 6000: now due 600.00 -> clawback 600.00 - 1000.00 = -400.00
    changes = reconcile(earned("6000"), [line("1000.00", "paid")])
    assert [(c.kind, c.status, c.amount) for c in changes.create] == [("clawback", "clawback", D("-400.00"))]
    assert "Already approved or paid: 1000.00 USD in L1 (paid 1000.00); now due 600.00" in changes.create[0].explanation
    # recalculating with that clawback in place changes nothing, and no second clawback appears
    claw = changes.create[0]
    existing = [line("1000.00", "paid"),
                LineState("L2", claw.amount, "USD", claw.status, claw.kind, claw.period, claw.plan, claw.explanation)]
    assert reconcile(earned("6000"), existing).empty


def test_deal_leaving_closed_won_claws_back_everything_approved_or_paid() -> None:
    lost = earned("10000", is_won=False, stage="Closed Lost")
    changes = reconcile(lost, [line("1000.00", "approved", line_id="A"), line("250.00", "paid", line_id="B"),
                               line("80.00", "calculated", line_id="C")])
    # approved 1000.00 + paid 250.00 = 1250.00 to recover; the open line C is retired
    assert [(c.kind, c.amount) for c in changes.create] == [("clawback", D("-1250.00"))]
    assert changes.retire == ["C"]
    assert "Clawback: the deal is not closed-won (stage Closed Lost)" in changes.create[0].explanation


def test_more_due_after_payment_is_an_adjustment_line() -> None:
    # paid 1000.00 and a paid clawback -400.00; back to 10000 -> due 1000.00: adjustment +400.00
    changes = reconcile(earned("10000"), [line("1000.00", "paid"), line("-400.00", "paid", "clawback", "L2")])
    assert [(c.kind, c.status, c.amount) for c in changes.create] == [("commission", "calculated", D("400.00"))]
    assert changes.create[0].explanation.startswith("Adjustment:")


def test_open_clawback_is_dropped_when_the_deal_recovers() -> None:
    changes = reconcile(earned("10000"), [line("1000.00", "paid"), line("-400.00", "clawback", "clawback", "L2")])
    assert changes.retire == ["L2"] and not changes.create and not changes.update


def test_currency_change_claws_back_in_the_old_currency() -> None:
    # paid 1000.00 USD; the deal is now 10000 EUR -> 10000 x 1.10 x 10% / 1.10 = 1000.00 EUR
    changes = reconcile(earned("10000", currency="EUR"), [line("1000.00", "paid")])
    assert sorted((c.kind, c.amount, c.currency) for c in changes.create) == [
        ("clawback", D("-1000.00"), "USD"), ("commission", D("1000.00"), "EUR")]


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 10, 1), "2026-Q3"),
    ("2026q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026-Q4"),
    ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "2026-02"),
    ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1), "2026-12"),
    ("2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1), "2026"),
])
def test_periods(text: str, start: dt.date, end: dt.date, label: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert start in period and end not in period


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "Q3", "26-Q1", ""])
def test_bad_periods_say_what_is_expected(bad: str) -> None:
    with pytest.raises(ValueError, match="use 2026-Q3"):
        parse_period(bad)


def test_months_of_a_quarter() -> None:
    assert [p.label for p in period_of(dt.date(2026, 8, 9), "quarter").months()] == ["2026-07", "2026-08", "2026-09"]
