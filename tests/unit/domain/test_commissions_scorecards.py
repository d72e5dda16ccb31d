"""Scorecard figures from hand-made facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.domain.commissions import parse_period
from prm_sync.domain.scorecards import DealFact, LineFact, PartnerInfo, RegistrationFact, TierTarget, scorecards

D = Decimal
Q3 = parse_period("2026-Q3")
# the program's yearly targets (config `program.tiers`, a 12-month window), lowest first
TARGETS = [TierTarget("registered"), TierTarget("silver", D(250_000), D(5)),
           TierTarget("gold", D(1_000_000), D(15)), TierTarget("platinum", D(3_000_000), D(40))]


def test_scorecard_metrics_for_a_quarter() -> None:
    partners = [PartnerInfo("a", "Acme", "silver"), PartnerInfo("b", "Beta", "platinum")]
    regs = [RegistrationFact("a", dt.date(2026, 7, 1), True, False, False),
            RegistrationFact("a", dt.date(2026, 7, 2), False, True, True),
            RegistrationFact("a", dt.date(2026, 8, 2), True, False, False),
            RegistrationFact("a", dt.date(2026, 9, 2), False, False, False),   # still pending
            RegistrationFact("a", dt.date(2026, 6, 30), True, False, True)]    # previous quarter
    deals = [DealFact("a", dt.date(2026, 7, 20), True, True, D("100000"), dt.date(2026, 7, 1)),
             DealFact("a", dt.date(2026, 9, 10), True, True, D("50000.50"), dt.date(2026, 8, 2)),
             DealFact("a", dt.date(2026, 8, 1), False, True, None, None),            # lost
             DealFact("a", dt.date(2026, 8, 5), False, False, D("999"), None),       # open: not counted
             DealFact("a", dt.date(2026, 10, 1), True, True, D("7"), None),          # next quarter
             DealFact("b", dt.date(2026, 7, 3), True, True, D("10"), None)]
    lines = [LineFact("a", dt.date(2026, 7, 20), D("8000.00"), True),
             LineFact("a", dt.date(2026, 9, 10), D("4000.04"), False),
             LineFact("a", dt.date(2026, 9, 10), D("-1000.00"), False)]
    cards = scorecards(Q3, "USD", partners, regs, deals, lines, TARGETS)
    acme, beta = cards
    assert acme.partner == "Acme" and beta.partner == "Beta"  # sorted by revenue
    assert acme.registrations == 4
    assert acme.approval_rate == D("0.6667")       # 2 approved / (2 approved + 1 rejected)
    assert acme.conflict_rate == D("0.2500")       # 1 flagged / 4
    assert (acme.deals_won, acme.revenue) == (2, D("150000.50"))
    assert acme.win_rate == D("0.6667")            # 2 won / 3 closed
    assert acme.average_deal_size == D("75000.25")  # 150000.50 / 2
    assert acme.average_cycle_days == D("29.0")    # (19 + 39) / 2
    assert (acme.commission_earned, acme.commission_paid) == (D("11000.04"), D("8000.00"))
    # silver -> gold needs 1000000 / 4 = 250000 revenue and 15 / 4 = 3.75 deals a quarter:
    # min(150000.50 / 250000, 2 / 3.75) = min(0.600002, 0.5333) = 0.5333
    assert (acme.next_tier, acme.tier_progress) == ("gold", D("0.5333"))
    assert acme.monthly_revenue == [("2026-07", D("100000.00")), ("2026-08", D("0.00")), ("2026-09", D("50000.50"))]
    assert (beta.next_tier, beta.tier_progress, beta.approval_rate, beta.average_cycle_days) == (
        None, None, None, None)


def test_progress_is_capped_and_prorated_by_period() -> None:
    partners = [PartnerInfo("a", "Acme", "registered")]
    deals = [DealFact("a", dt.date(2026, 7, day), True, True, D("100000"), None) for day in (1, 2)]
    month = scorecards(parse_period("2026-07"), "USD", partners, [], deals, [], TARGETS)[0]
    # registered -> silver in a month: 250000 / 12 = 20833.33 revenue, 5 / 12 deals: both exceeded -> 100%
    assert (month.next_tier, month.tier_progress) == ("silver", D("1.0000"))
    year = scorecards(parse_period("2026"), "USD", partners, [], deals, [], TARGETS)[0]
    # in a year: min(200000 / 250000, 2 / 5) = 0.4
    assert year.tier_progress == D("0.4000")


def test_without_a_program_there_is_no_tier_progress() -> None:
    partners = [PartnerInfo("a", "Acme", "registered")]
    deals = [DealFact("a", dt.date(2026, 7, 1), True, True, D("100000"), None)]
    card = scorecards(parse_period("2026-07"), "USD", partners, [], deals, [])[0]
    assert (card.next_tier, card.tier_progress) == (None, None)


def test_a_tier_without_a_deal_target_is_measured_on_revenue_alone() -> None:
    partners = [PartnerInfo("a", "Acme", "registered")]
    deals = [DealFact("a", dt.date(2026, 7, 1), True, True, D("30000"), None)]
    targets = [TierTarget("registered"), TierTarget("silver", D(240_000), None)]
    card = scorecards(parse_period("2026-Q3"), "USD", partners, [], deals, [], targets)[0]
    assert (card.next_tier, card.tier_progress) == ("silver", D("0.5000"))   # 30000 / (240000 / 4)
