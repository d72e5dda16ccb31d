"""SPIFFs worked by hand, to the cent. Plan currency USD; fx EUR 1.10 (1 EUR = 1.10 USD).

The window is [from, to): `from` inclusive, `to` exclusive. Budgets are granted in close-date,
then deal-id order; SPIFF lines already approved or paid keep their share.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from prm_sync.domain.commissions import LineState, SpiffEarned, calculate, calculate_spiffs, reconcile
from tests.unit.domain.test_commissions_plans import deal, plan, settings

D = Decimal
Q4 = {"from": dt.date(2026, 10, 1), "to": dt.date(2027, 1, 1)}


def spiff(name: str = "q4", **fields: Any) -> dict[str, Any]:
    return {"name": name, **Q4, **fields}


def run(cfg: Any, *deals: Any, locked: dict[tuple[str, str], Decimal] | None = None,
        existing: tuple[tuple[str, str], ...] = ()) -> dict[tuple[str, str], SpiffEarned]:
    base = calculate(cfg, deals)
    return calculate_spiffs(cfg, deals, base, locked or {}, existing)


def dues(result: dict[tuple[str, str], SpiffEarned]) -> dict[str, Decimal]:
    return {f"{d}/{s}": e.due for (d, s), e in sorted(result.items())}


def line_of(earned: SpiffEarned, status: str, line_id: str = "S1") -> LineState:
    return LineState(line_id, earned.due, earned.currency or "", status, "commission", earned.period, earned.plan,
                     earned.text)


def test_case_1_window_edges_from_inclusive_to_exclusive() -> None:
    cfg = settings(plan(spiffs=[spiff(amount="500")]))
    result = run(cfg, deal("sep30", "1000", dt.date(2026, 9, 30), partner="A"),
                 deal("oct01", "1000", dt.date(2026, 10, 1), partner="B"),
                 deal("dec31", "1000", dt.date(2026, 12, 31), partner="C"),
                 deal("jan01", "1000", dt.date(2027, 1, 1), partner="D"))
    # 2026-09-30: before `from`; 2027-01-01: `to` itself is out. The two inside get 500.00 each.
    assert dues(result) == {"dec31/q4": D("500.00"), "oct01/q4": D("500.00")}
    text = result[("oct01", "q4")].text
    assert "Window: close dates 2026-10-01 (inclusive) to 2027-01-01 (exclusive); when every won deal" in text
    assert "Outside the plan's caps (counts_toward_caps: false)." in text


def test_case_2_budget_exhausted_mid_deal_in_close_date_then_id_order() -> None:
    # 2% with a 1000.00 budget: a (Oct 5) 30000 x 2% = 600.00 -> 400.00 left;
    # b1 (Oct 6) wants 600.00, gets the 400.00 left; b2 (Oct 6, later id) and c (Oct 7) get 0.
    cfg = settings(plan(spiffs=[spiff(rate="2%", budget="1000", when={"product_line": "Cloud"})]))
    deals = [deal("c", "30000", dt.date(2026, 10, 7), partner="P3", product_line="cloud"),
             deal("b2", "30000", dt.date(2026, 10, 6), partner="P2", product_line="cloud"),
             deal("b1", "30000", dt.date(2026, 10, 6), partner="P1", product_line="cloud"),
             deal("a", "30000", dt.date(2026, 10, 5), partner="P1", product_line="cloud"),
             deal("hw", "30000", dt.date(2026, 10, 1), partner="P1", product_line="hardware")]   # not cloud
    result = run(cfg, *deals)
    assert dues(result) == {"a/q4": D("600.00"), "b1/q4": D("400.00"), "b2/q4": D("0.00"), "c/q4": D("0.00")}
    assert ("Budget 1000.00 USD, granted in close-date order; already approved or paid SPIFFs keep their share: "
            "budget exhausted: this deal gets 400.00 of 600.00 USD") in result[("b1", "q4")].text
    assert "400.00 USD left after this deal" in result[("a", "q4")].text
    assert reconcile(result[("b2", "q4")], []).empty    # nothing due: no line
    # the cut line is one line of 400.00, and recalculating changes nothing
    [created] = reconcile(result[("b1", "q4")], []).create
    assert (created.kind, created.amount) == ("commission", D("400.00"))
    again = run(cfg, *deals)
    assert reconcile(again[("b1", "q4")], [line_of(result[("b1", "q4")], "calculated")]).empty


def test_case_3_beside_an_accelerator_and_a_cap() -> None:
    # Commission: gold 10%, quarter quota 10000 x 1.5, per-deal cap 2700.
    #   20000: 10000 x 10% = 1000.00; 10000 x 15% = 1500.00 -> 2500.00 (under the 2700 cap)
    # SPIFF "push" 2%, outside caps: 20000 x 2% = 400.00 (not x 1.5: not 600.00)
    # SPIFF "bonus" 500, counts toward caps: 2700 - 2500 leaves 200.00 -> 200.00
    cfg = settings(plan(accelerator={"period": "quarter", "quota": 10000, "multiplier": "1.5"},
                        caps={"per_deal": 2700},
                        spiffs=[spiff("push", rate="2%"), spiff("bonus", amount="500", counts_toward_caps=True)]))
    d = deal("d1", "20000", dt.date(2026, 11, 2))
    assert calculate(cfg, [d])["d1"].due == D("2500.00")
    result = run(cfg, d)
    assert dues(result) == {"d1/bonus": D("200.00"), "d1/push": D("400.00")}
    assert "SPIFF: 2% x 20000.00 USD = 400.00 USD\nNot multiplied by the accelerator." in result[("d1", "push")].text
    assert ("Counts toward caps: per-deal cap 2700.00 less the deal's commission 2500.00 leaves 200.00 USD"
            in result[("d1", "bonus")].text)


def test_case_4_backdated_deal_after_the_budget_was_paid_out() -> None:
    # Budget 1200.00, 500.00 per deal. x (Oct 10) and y (Oct 20) were paid 500.00 each.
    # w closes on Oct 5 (entered late, backdated): x and y keep their 1000.00; w gets the 200.00 left.
    cfg = settings(plan(spiffs=[spiff(amount="500", budget="1200")]))
    x = deal("x", "8000", dt.date(2026, 10, 10), partner="P1")
    y = deal("y", "8000", dt.date(2026, 10, 20), partner="P2")
    w = deal("w", "8000", dt.date(2026, 10, 5), partner="P3")
    paid = {("x", "q4"): D("500.00"), ("y", "q4"): D("500.00")}
    result = run(cfg, x, y, w, locked=paid)
    assert dues(result) == {"w/q4": D("200.00"), "x/q4": D("500.00"), "y/q4": D("500.00")}
    assert "budget exhausted: this deal gets 200.00 of 500.00 USD" in result[("w", "q4")].text
    # the paid lines are not touched (no clawback), the new deal gets one line of 200.00
    for key in (("x", "q4"), ("y", "q4")):
        assert reconcile(result[key], [LineState("L" + key[0], D("500.00"), "USD", "paid", "commission")]).empty
    assert [c.amount for c in reconcile(result[("w", "q4")], []).create] == [D("200.00")]


def test_case_5_deal_currency_conversion_rounds_once() -> None:
    # 10000 EUR = 11000.00 USD. Fixed 500 USD: 500 / 1.10 = 454.5454... -> 454.55 EUR.
    # 2%: 11000 x 2% = 220.00 USD / 1.10 = 200.00 EUR.
    cfg = settings(plan(spiffs=[spiff("fixed", amount="500"), spiff("rated", rate="2%")]))
    result = run(cfg, deal("e1", "10000", dt.date(2026, 10, 15), currency="EUR"))
    assert dues(result) == {"e1/fixed": D("454.55"), "e1/rated": D("200.00")}
    assert result[("e1", "fixed")].currency == "EUR"
    assert "In deal currency: 500.00 / 1.10 = 454.545454545455... EUR" in result[("e1", "fixed")].text


def test_case_6_clawback_of_a_lost_deal_claws_its_spiff_back_once_and_frees_the_budget() -> None:
    cfg = settings(plan(spiffs=[spiff(amount="500", budget="1200")]))
    paid = {("x", "q4"): D("500.00"), ("y", "q4"): D("500.00")}
    lost_x = deal("x", "8000", dt.date(2026, 10, 10), partner="P1", is_won=False)
    y = deal("y", "8000", dt.date(2026, 10, 20), partner="P2")
    w = deal("w", "8000", dt.date(2026, 10, 5), partner="P3")
    result = run(cfg, lost_x, y, w, locked=paid, existing=(("x", "q4"), ("y", "q4")))
    # x is due 0 now: its paid 500.00 is clawed back; only y's 500.00 is kept, so w gets its full 500.00
    assert dues(result) == {"w/q4": D("500.00"), "x/q4": D("0.00"), "y/q4": D("500.00")}
    paid_x = LineState("Lx", D("500.00"), "USD", "paid", "commission", "2026-Q4", "p", "old")
    changes = reconcile(result[("x", "q4")], [paid_x])
    assert [(c.kind, c.status, c.amount) for c in changes.create] == [("clawback", "clawback", D("-500.00"))]
    assert "Nothing due: the deal is no longer closed-won with an amount" in changes.create[0].explanation
    claw = changes.create[0]
    again = run(cfg, lost_x, y, w, locked=paid, existing=(("x", "q4"), ("y", "q4")))
    assert reconcile(again[("x", "q4")], [paid_x, LineState("Cx", claw.amount, "USD", claw.status, claw.kind,
                                                            claw.period, claw.plan, claw.explanation)]).empty


def test_registration_and_deal_type_conditions() -> None:
    cfg = settings(plan(spiffs=[spiff(amount="100", when={"registration": True, "deal_type": "new"})]))
    result = run(cfg, deal("r", "1000", dt.date(2026, 10, 2), partner="A", deal_type="new",
                           from_approved_registration=True),
                 deal("n", "1000", dt.date(2026, 10, 2), partner="B", deal_type="new"),
                 deal("u", "1000", dt.date(2026, 10, 2), partner="C", deal_type="upsell",
                      from_approved_registration=True))
    assert dues(result) == {"r/q4": D("100.00")}
