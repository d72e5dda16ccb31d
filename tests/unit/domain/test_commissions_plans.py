"""Commission plans worked by hand: each expected figure has its computation beside it.

Conventions: `fx: EUR 1.10` means 1 EUR = 1.10 USD (plan currency). Slices are written
`amount x rate = commission`. Rounding happens once, at the end, in the deal's currency.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from prm_sync.domain.commissions import DealFacts, calculate, explain
from prm_sync.domain.commissions.plans import CommissionSettings

D = Decimal
Q3 = dt.date(2026, 7, 15)


def settings(*plans: dict[str, Any], **extra: Any) -> CommissionSettings:
    base: dict[str, Any] = {"rounding": "half_up", "decimals": {"default": 2, "JPY": 0, "VND": 0},
                            "fx": {"EUR": "1.10", "VND": "0.00004"}}
    base.update(extra)
    return CommissionSettings.model_validate({**base, "plans": list(plans)})


def plan(**fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "p", "currency": "USD", "effective": {"from": dt.date(2026, 1, 1)},
                           "tier_rates": {"registered": "5%", "silver": "8%", "gold": "10%", "platinum": "12%"}}
    out.update(fields)
    return out


def deal(deal_id: str, amount: str, close: dt.date = Q3, currency: str = "USD", **fields: Any) -> DealFacts:
    fields.setdefault("tier", "gold")
    return DealFacts(deal_id=deal_id, partner_id=fields.pop("partner", "P1"), amount=D(amount), currency=currency,
                     close_date=close, is_won=fields.pop("is_won", True), **fields)


def due(cfg: CommissionSettings, *deals: DealFacts) -> dict[str, Decimal]:
    return {k: v.due for k, v in calculate(cfg, deals).items()}


def test_plan_1_tier_rate_rounds_once_half_up() -> None:
    # gold 10%: 12345.67 x 0.10 = 1234.567 -> half_up, 2 decimals -> 1234.57
    assert due(settings(plan()), deal("d1", "12345.67")) == {"d1": D("1234.57")}


def test_plan_2_registration_bonus_half_up_and_half_even() -> None:
    # silver 8% + bonus 2% = 10%: 10000.05 x 0.10 = 1000.005
    # half_up -> 1000.01 ; half_even -> 1000.00 (the 0 before the 5 is even)
    cfg = plan(registration_bonus="2%")
    d = deal("d1", "10000.05", tier="silver", from_approved_registration=True)
    assert due(settings(cfg), d) == {"d1": D("1000.01")}
    assert due(settings(cfg, rounding="half_even"), d) == {"d1": D("1000.00")}
    # without an approved registration: 8% x 10000.05 = 800.004 -> 800.00
    assert due(settings(cfg), deal("d2", "10000.05", tier="silver")) == {"d2": D("800.00")}


BANDS = [{"up_to": 50000, "rate": "10%"}, {"up_to": 200000, "rate": "12%"}, {"rate": "15%"}]


def test_plan_3_marginal_bands() -> None:
    # 250000: 50000 x 10% = 5000 ; 150000 x 12% = 18000 ; 50000 x 15% = 7500 -> 30500.00
    cfg = settings(plan(bands={"mode": "marginal", "table": BANDS}))
    assert due(cfg, deal("d1", "250000")) == {"d1": D("30500.00")}
    # 50000.01: 50000 x 10% = 5000 ; 0.01 x 12% = 0.0012 -> 5000.0012 -> 5000.00
    assert due(cfg, deal("d2", "50000.01", partner="P2")) == {"d2": D("5000.00")}


def test_plan_4_flat_bands() -> None:
    # 120000 lies in band 2 (50000 < x <= 200000): whole deal at 12% -> 14400.00
    # 50000 lies in band 1 (the bound is inclusive): 10% -> 5000.00
    # 200000.01 lies in band 3: 15% -> 30000.0015 -> 30000.00
    cfg = settings(plan(bands={"mode": "flat", "table": BANDS}))
    result = due(cfg, deal("a", "120000", partner="A"), deal("b", "50000", partner="B"),
                 deal("c", "200000.01", partner="C"))
    assert result == {"a": D("14400.00"), "b": D("5000.00"), "c": D("30000.00")}


def test_plan_5_overrides_first_match_wins() -> None:
    # renewal AND services: the first override (renewal 3%) wins: 10000 x 3% = 300.00
    # new services deal: the second override: 10000 x 15% = 1500.00 (bands are ignored)
    # new software deal: marginal bands: 10000 x 10% = 1000.00
    cfg = settings(plan(bands={"mode": "marginal", "table": BANDS}, overrides=[
        {"when": {"deal_type": "renewal"}, "rate": "3%"}, {"when": {"product_line": "services"}, "rate": "15%"}]))
    result = due(cfg, deal("r", "10000", partner="A", deal_type="renewal", product_line="services"),
                 deal("s", "10000", partner="B", deal_type="new", product_line="services"),
                 deal("n", "10000", partner="C", deal_type="new", product_line="software"))
    assert result == {"r": D("300.00"), "s": D("1500.00"), "n": D("1000.00")}


def test_plan_6_accelerator_crossed_in_the_middle_of_a_deal() -> None:
    # gold 10%, quarter quota 100000, multiplier 1.5
    # d1 (Jul 10) 60000: below quota: 60000 x 10% = 6000.00
    # d2 (Aug 1) 70000: quota reached after 40000 of it: 40000 x 10% = 4000 ; 30000 x 15% = 4500 -> 8500.00
    # d3 (Oct 1, next quarter) 10000: the count restarts: 10000 x 10% = 1000.00
    cfg = settings(plan(accelerator={"period": "quarter", "quota": 100000, "multiplier": "1.5"}))
    result = due(cfg, deal("d2", "70000", dt.date(2026, 8, 1)), deal("d1", "60000", dt.date(2026, 7, 10)),
                 deal("d3", "10000", dt.date(2026, 10, 1)))
    assert result == {"d1": D("6000.00"), "d2": D("8500.00"), "d3": D("1000.00")}


def test_plan_7_accelerator_with_marginal_bands_and_bonus_same_day_by_deal_id() -> None:
    # bands 10% up to 50000, 12% above; bonus 2%; quota 100000 x 1.5; both deals close the same day,
    # so deal id orders them: "a" first.
    # a 80000 (no registration): 50000 x 10% = 5000 ; 30000 x 12% = 3600 -> 8600.00
    # b 70000 (registration): quota reached 20000 into it (100000 - 80000); band edge at 50000:
    #   0-20000 band 1 (10%+2%) = 12% -> 2400 ; 20000-50000 band 1 accelerated 12% x 1.5 = 18% -> 5400 ;
    #   50000-70000 band 2 (12%+2%) x 1.5 = 21% -> 4200 ; total 12000.00
    cfg = settings(plan(bands={"mode": "marginal", "table": [{"up_to": 50000, "rate": "10%"}, {"rate": "12%"}]},
                        registration_bonus="2%",
                        accelerator={"period": "quarter", "quota": 100000, "multiplier": "1.5"}))
    result = due(cfg, deal("b", "70000", from_approved_registration=True), deal("a", "80000"))
    assert result == {"a": D("8600.00"), "b": D("12000.00")}


def test_plan_8_per_deal_cap() -> None:
    # gold 10% of 80000 = 8000 ; per-deal cap 5000 -> 5000.00
    cfg = settings(plan(caps={"per_deal": 5000}))
    earned = calculate(cfg, [deal("d1", "80000")])["d1"]
    assert earned.due == D("5000.00")
    assert "Per-deal cap 5000.00 USD: 8000.00 -> 5000.00" in explain(earned)


def test_plan_9_per_period_cap_reduces_later_deals() -> None:
    # gold 10%, per-deal cap 6000, per-period (quarter) cap 12000
    # a (Jul 1) 40000 -> 4000.00 (running 4000)
    # b (Jul 2) 70000 -> 7000 -> per-deal cap 6000.00 (running 10000)
    # c (Jul 3) 30000 -> 3000 -> only 12000 - 10000 = 2000.00 left
    # d (Jul 4) 10000 -> 1000 -> nothing left: 0.00
    # e (Oct 1) 10000 -> new quarter: 1000.00
    cfg = settings(plan(caps={"per_deal": 6000, "per_period": 12000}))
    days = [dt.date(2026, 7, n) for n in (1, 2, 3, 4)] + [dt.date(2026, 10, 1)]
    amounts = ["40000", "70000", "30000", "10000", "10000"]
    result = due(cfg, *(deal(k, a, d) for k, a, d in zip("abcde", amounts, days, strict=True)))
    assert result == {"a": D("4000.00"), "b": D("6000.00"), "c": D("2000.00"), "d": D("0.00"), "e": D("1000.00")}


def test_plan_10_rule_version_changes_mid_quarter() -> None:
    # v1 (to Aug 15, exclusive): gold 10%, quota 100000 x 1.5 ; v2 (from Aug 15): gold 12%, quota 80000 x 2
    # d1 Jul 20, 70000, v1: 70000 x 10% = 7000.00
    # d2 Aug 14, 20000, v1: 90000 so far < 100000: 20000 x 10% = 2000.00
    # d3 Aug 15, 30000, v2: the quarter already holds 90000 >= 80000, so all of it is accelerated:
    #    30000 x 12% x 2 = 7200.00
    v1 = plan(name="v1", effective={"from": dt.date(2026, 1, 1), "to": dt.date(2026, 8, 15)},
              accelerator={"quota": 100000, "multiplier": "1.5"})
    v2 = plan(name="v2", effective={"from": dt.date(2026, 8, 15)},
              tier_rates={"gold": "12%"}, accelerator={"quota": 80000, "multiplier": "2"})
    earned = calculate(settings(v1, v2), [deal("d1", "70000", dt.date(2026, 7, 20)),
                                          deal("d2", "20000", dt.date(2026, 8, 14)),
                                          deal("d3", "30000", dt.date(2026, 8, 15))])
    assert {k: (e.plan, e.due) for k, e in earned.items()} == {
        "d1": ("v1", D("7000.00")), "d2": ("v1", D("2000.00")), "d3": ("v2", D("7200.00"))}


def test_plan_11_two_currencies_bands_and_cap_in_plan_currency() -> None:
    # fx EUR 1.10. Marginal bands 10% up to 50000 USD, 12% above.
    # e1: 100000 EUR = 110000 USD: 50000 x 10% = 5000 ; 60000 x 12% = 7200 -> 12200 USD
    #     back to EUR: 12200 / 1.10 = 11090.909090... -> 11090.91 EUR
    # u1 (another partner): 100000 USD: 5000 + 50000 x 12% = 6000 -> 11000.00 USD
    table = {"mode": "marginal", "table": [{"up_to": 50000, "rate": "10%"}, {"rate": "12%"}]}
    cfg = settings(plan(bands=table))
    assert due(cfg, deal("e1", "100000", currency="EUR"), deal("u1", "100000", partner="P2")) == {
        "e1": D("11090.91"), "u1": D("11000.00")}
    # with a per-deal cap of 10000 USD: 12200 -> 10000 USD = 10000 / 1.10 = 9090.9090... -> 9090.91 EUR
    capped = settings(plan(bands=table, caps={"per_deal": 10000}))
    assert due(capped, deal("e1", "100000", currency="EUR")) == {"e1": D("9090.91")}


def test_plan_12_zero_decimal_currency_and_mixed_currency_quota() -> None:
    # fx VND 0.00004, EUR 1.10. gold 10%, quota 10000 USD x 2.
    # v1 (Jul 1) 123456789 VND = 4938.27156 USD, below quota: 10% -> 493.827156 USD
    #    / 0.00004 = 12345678.9 VND -> 0 decimals half_up -> 12345679 VND
    # e1 (Jul 2) 10000 EUR = 11000 USD; quota left 10000 - 4938.27156 = 5061.72844 USD:
    #    5061.72844 x 10% = 506.172844 ; 5938.27156 x 20% = 1187.654312 -> 1693.827156 USD
    #    / 1.10 = 1539.842869090... EUR -> 1539.84 EUR
    cfg = settings(plan(accelerator={"quota": 10000, "multiplier": "2"}))
    result = due(cfg, deal("v1", "123456789", dt.date(2026, 7, 1), "VND"),
                 deal("e1", "10000", dt.date(2026, 7, 2), "EUR"))
    assert result == {"v1": D("12345679"), "e1": D("1539.84")}


def test_deals_that_do_not_earn_say_why() -> None:
    cfg = settings(plan(effective={"from": dt.date(2026, 7, 1)}, tier_rates={"gold": "10%"}))
    earned = calculate(cfg, [
        deal("lost", "1000", is_won=False, stage="Closed Lost"),
        deal("early", "1000", dt.date(2026, 6, 30), partner="A"),
        deal("silver", "1000", tier="silver", partner="B"),
        deal("gbp", "1000", currency="GBP", partner="C"),
    ])
    assert all(e.due == 0 for e in earned.values())
    assert "not closed-won (stage Closed Lost)" in earned["lost"].reason
    assert earned["early"].problem and "no commission plan" in earned["early"].reason
    assert earned["silver"].problem and "no tier rate for tier 'silver'" in earned["silver"].reason
    assert earned["gbp"].problem and "no commissions.fx rate for GBP" in earned["gbp"].reason


def test_explanation_shows_every_step() -> None:
    cfg = settings(plan(bands={"mode": "marginal", "table": [{"up_to": 50000, "rate": "10%"}, {"rate": "12%"}]},
                        registration_bonus="2%", accelerator={"quota": 100000, "multiplier": "1.5"},
                        caps={"per_deal": 11000}))
    earned = calculate(cfg, [deal("a", "80000"), deal("b", "60500", currency="EUR", from_approved_registration=True)])
    text = explain(earned["b"])
    # b: 60500 EUR = 66550 USD; quota left 20000; slices 0-20000 12% = 2400 ; 20000-50000 18% = 5400 ;
    #    50000-66550 (12%+2%) x 1.5 = 21% -> 3475.5 ; total 11275.5 -> per-deal cap 11000 USD
    #    -> 11000 / 1.10 = 10000 EUR
    assert earned["b"].due == D("10000.00")
    for part in ("Plan: p (USD); fx 1 EUR = 1.10 USD: deal = 66550.00 USD",
                 "Schedule: marginal bands: band 1 (up to 50000) 10%, band 2 (above) 12%",
                 "Registration bonus: +2%",
                 "earns rate x 1.5",
                 "50000.00 to 66550.00 [band 2 (above) 12%]: "
                 "16550.00 x (12% + 2%) x multiplier = 16550.00 x 21% = 3475.50",
                 "Commission before caps: 11275.50 USD",
                 "Per-deal cap 11000.00 USD: 11275.50 -> 11000.00",
                 "Rounded once (half_up, 2 decimals): 10000.00 EUR"):
        assert part in text, (part, text)
