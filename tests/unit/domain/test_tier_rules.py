"""Tier review, worked by hand: each partner's record, the tier the rules give and why.

The program (as config.example.yaml ships it, USD; EUR = 1.10 USD, GBP = 1.25 USD):
  registered: nothing
  silver:   won revenue >= 250,000 and >= 5 won deals in 12 months
  gold:     >= 1,000,000 and >= 15 deals and >= 2 valid sales-pro holders
  platinum: >= 3,000,000 and >= 40 deals
As-of 2026-12-31: the 12-month window is 2026-01-01 .. 2026-12-31 (2025-12-31 is out).
Grace: 60 days, so the earlier look is on 2026-11-01 (window 2025-11-02 .. 2026-11-01).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from prm_sync.domain.tier_rules import (
    HeldCertification,
    PartnerRecord,
    Requirements,
    TierRule,
    WonDeal,
    months_before,
    review_partner,
)

D = Decimal
AS_OF = dt.date(2026, 12, 31)
RULES = [
    TierRule("registered"),
    TierRule("silver", Requirements(revenue=D(250_000), won_deals=5)),
    TierRule("gold", Requirements(revenue=D(1_000_000), won_deals=15, certifications={"sales-pro": 2})),
    TierRule("platinum", Requirements(revenue=D(3_000_000), won_deals=40)),
]
FX = {"USD": D(1), "EUR": D("1.10"), "GBP": D("1.25")}


def deals(total: str, count: int, day: dt.date = dt.date(2026, 6, 1), currency: str = "USD") -> list[WonDeal]:
    """`count` deals on `day` adding up to exactly `total` (the first one carries the remainder)."""
    each = (D(total) / count).quantize(D("0.01"), rounding="ROUND_DOWN")
    first = D(total) - each * (count - 1)
    return [WonDeal(day, first if i == 0 else each, currency) for i in range(count)]


def cert(holder: str, expires: dt.date | None, cert_id: str = "sales-pro") -> HeldCertification:
    return HeldCertification(cert_id, holder, dt.date(2025, 1, 1), expires)


def review(record: PartnerRecord, grace_days: int = 60) -> tuple[str, str, str, list[str], list[str]]:
    r = review_partner(RULES, record, AS_OF, grace_days=grace_days, fx=FX, currency="USD")
    return r.qualified, r.proposed, r.action, [str(c) for c in r.reasons], r.notes


def test_revenue_exactly_at_the_silver_threshold_promotes() -> None:
    # 250,000.00 in 5 deals: both silver requirements met exactly; gold needs 1,000,000 / 15 / 2 sales-pro.
    record = PartnerRecord("p1", "Alpha", "registered", won_deals=deals("250000", 5))
    assert review(record) == ("silver", "silver", "promote", [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 250,000.00 USD (met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 5 (met)",
        "gold won revenue in 12 months to 2026-12-31: needs 1,000,000.00 USD, has 250,000.00 USD (NOT met)",
        "gold won deals in 12 months to 2026-12-31: needs 15, has 5 (NOT met)",
        "gold valid 'sales-pro' certifications on 2026-12-31: needs 2, has 0 (NOT met)",
    ], [])


def test_one_cent_under_the_threshold_stays_registered() -> None:
    record = PartnerRecord("p2", "Beta", "registered", won_deals=deals("249999.99", 5))
    qualified, proposed, action, reasons, _ = review(record)
    assert (qualified, proposed, action) == ("registered", "registered", "keep")
    assert reasons == [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 249,999.99 USD (NOT met)",
    ]


def test_a_deal_on_the_first_day_outside_the_window_does_not_count() -> None:
    # 4 deals inside the window, the fifth closed on 2025-12-31: the window's excluded first day.
    record = PartnerRecord("p3", "Gamma", "registered",
                           won_deals=[*deals("200000", 4), WonDeal(dt.date(2025, 12, 31), D(100_000), "USD")])
    qualified, _, _, reasons, _ = review(record)
    assert qualified == "registered"
    assert reasons == [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 200,000.00 USD (NOT met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 4 (NOT met)",
    ]


def test_a_certification_expiring_the_day_before_as_of_no_longer_counts_for_gold() -> None:
    # Revenue and deals earn gold, but of the two sales-pro holders Bob's expired on 2026-12-30.
    record = PartnerRecord("p4", "Delta", "silver", won_deals=deals("1200000", 15, dt.date(2026, 11, 15)),
                           certifications=[cert("Anna", None), cert("Bob", dt.date(2026, 12, 30))])
    assert review(record) == ("silver", "silver", "keep", [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 1,200,000.00 USD (met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 15 (met)",
        "gold valid 'sales-pro' certifications on 2026-12-31: needs 2, has 1 (NOT met)",
    ], [])
    # Expiring on as-of itself still counts: gold.
    renewed = PartnerRecord("p4", "Delta", "silver", won_deals=record.won_deals,
                            certifications=[cert("Anna", None), cert("Bob", AS_OF)])
    assert review(renewed)[:3] == ("gold", "gold", "promote")


def test_a_demotion_inside_the_grace_period_is_deferred() -> None:
    # Gold on 2026-11-01 (window 2025-11-02 .. 2026-11-01 holds the Dec 2025 deals), silver on 2026-12-31.
    record = PartnerRecord("p5", "Epsilon", "gold",
                           won_deals=[*deals("700000", 10, dt.date(2025, 12, 15)), *deals("400000", 6)],
                           certifications=[cert("Anna", None), cert("Bob", None)])
    assert review(record) == ("silver", "gold", "grace", [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 400,000.00 USD (met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 6 (met)",
        "gold won revenue in 12 months to 2026-12-31: needs 1,000,000.00 USD, has 400,000.00 USD (NOT met)",
        "gold won deals in 12 months to 2026-12-31: needs 15, has 6 (NOT met)",
    ], ["earns only silver now but still earned gold on 2026-11-01 (grace 60 days): stays gold"])
    # Without grace the same record is demoted at once.
    assert review(record, grace_days=0)[:3] == ("silver", "silver", "demote")


def test_a_demotion_past_the_grace_period_goes_to_the_higher_tier_of_both_dates() -> None:
    # Platinum partner: on 2026-11-01 it earned silver (deals of Oct 2026), on 2026-12-31 nothing
    # more than silver either -> demoted to silver (both dates short of platinum and of gold).
    record = PartnerRecord("p6", "Zeta", "platinum", won_deals=deals("300000", 5, dt.date(2026, 10, 1)))
    qualified, proposed, action, reasons, notes = review(record)
    assert (qualified, proposed, action) == ("silver", "silver", "demote")
    assert reasons == [   # why silver, and why not gold (the tier above)
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 300,000.00 USD (met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 5 (met)",
        "gold won revenue in 12 months to 2026-12-31: needs 1,000,000.00 USD, has 300,000.00 USD (NOT met)",
        "gold won deals in 12 months to 2026-12-31: needs 15, has 5 (NOT met)",
        "gold valid 'sales-pro' certifications on 2026-12-31: needs 2, has 0 (NOT met)",
    ]
    assert notes == []


def test_multi_currency_revenue_is_converted_into_the_program_currency() -> None:
    # 100,000 EUR (110,000.00 USD) + 80,000 GBP (100,000.00 USD) + 40,000 USD = 250,000.00 USD: silver.
    # A 1,000,000 JPY deal has no fx rate: it counts as a won deal but adds no revenue (said so).
    record = PartnerRecord("p7", "Ê Việt Đối Tác", "registered", won_deals=[
        WonDeal(dt.date(2026, 3, 1), D(100_000), "EUR"), WonDeal(dt.date(2026, 4, 1), D(80_000), "GBP"),
        WonDeal(dt.date(2026, 5, 1), D(40_000), "USD"), WonDeal(dt.date(2026, 6, 1), D(1_000_000), "JPY"),
        WonDeal(dt.date(2026, 7, 1), None, "USD")])
    qualified, proposed, action, reasons, notes = review(record)
    assert (qualified, proposed, action) == ("silver", "silver", "promote")
    assert reasons[:2] == [
        "silver won revenue in 12 months to 2026-12-31: needs 250,000.00 USD, has 250,000.00 USD (met)",
        "silver won deals in 12 months to 2026-12-31: needs 5, has 5 (met)",
    ]
    assert notes == ["1 won deal(s) in JPY left out of revenue: no fx rate into USD"]


def test_a_pinned_partner_is_reported_but_never_changed() -> None:
    record = PartnerRecord("p8", "Müller Partner GmbH", "gold", pinned_until=AS_OF)
    qualified, proposed, action, _, notes = review(record)
    assert (qualified, proposed, action) == ("registered", "gold", "pinned")
    assert notes == ["pinned at gold until 2026-12-31: rules give registered, not applied"]
    expired_pin = PartnerRecord("p8", "Müller Partner GmbH", "gold", pinned_until=AS_OF - dt.timedelta(days=1))
    # past the pin, and short of gold on 2026-11-01 too: demoted
    assert review(expired_pin)[:3] == ("registered", "registered", "demote")


def test_platinum_needs_every_requirement_and_gold_certifications_count_distinct_holders() -> None:
    # 3,000,000.00 in 40 deals earns platinum's numbers, but platinum sits above gold only in the
    # order: its own requirements hold, so the highest tier whose requirements hold is platinum.
    record = PartnerRecord("p9", "Société Générale Partenaires", "gold", won_deals=deals("3000000", 40),
                           certifications=[cert("Anna", None), cert("Anna", None)])   # one holder, twice
    qualified, proposed, action, reasons, _ = review(record)
    assert (qualified, proposed, action) == ("platinum", "platinum", "promote")
    assert reasons == [
        "platinum won revenue in 12 months to 2026-12-31: needs 3,000,000.00 USD, has 3,000,000.00 USD (met)",
        "platinum won deals in 12 months to 2026-12-31: needs 40, has 40 (met)",
    ]


def test_approved_registrations_count_inside_the_window() -> None:
    rules = [TierRule("registered"), TierRule("silver", Requirements(window_months=6, approved_registrations=3))]
    record = PartnerRecord("p10", "Kappa", "registered", approved_registrations=[
        dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 12, 31)])   # 6 months: 2026-07-01 .. 2026-12-31
    result = review_partner(rules, record, AS_OF, grace_days=0, fx=FX, currency="USD")
    assert result.qualified == "registered"
    assert [str(c) for c in result.reasons] == [
        "silver approved registrations in 6 months to 2026-12-31: needs 3, has 2 (NOT met)"]


@pytest.mark.parametrize(("day", "months", "start"), [
    (dt.date(2026, 12, 31), 12, dt.date(2025, 12, 31)),
    (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),
    (dt.date(2026, 1, 15), 13, dt.date(2024, 12, 15)),
])
def test_window_start(day: dt.date, months: int, start: dt.date) -> None:
    assert months_before(day, months) == start


def test_a_tier_outside_the_program_is_reported_and_left_alone() -> None:
    record = PartnerRecord("p11", "Lambda", "diamond", won_deals=deals("250000", 5))
    qualified, proposed, action, _, notes = review(record)
    assert (qualified, proposed, action) == ("silver", "diamond", "keep")
    assert notes == ["current tier 'diamond' is not in program.tiers: left as it is"]
