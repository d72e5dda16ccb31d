"""The partner score and the `min_score` tier requirement, worked by hand.

Score rule used below (the shipped default weights):
  weights: revenue 40, won_deals 20, registration_approval 10, registration_win 10, certifications 20 (sum 100)
  targets: revenue 1,000,000 USD, won deals 10, valid certifications 4; window 12 months
As-of 2026-12-31: the window is 2026-01-01 .. 2026-12-31 (2025-12-31 is out).
score = 100 x sum(weight x min(1, ratio)) / sum(weights), rounded half up to 0.1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.domain.partner_score import RegistrationOutcome, ScoreRule
from prm_sync.domain.tier_rules import (
    HeldCertification,
    PartnerRecord,
    Requirements,
    TierRule,
    WonDeal,
    record_score,
    review_partner,
)

D = Decimal
AS_OF = dt.date(2026, 12, 31)
FX = {"USD": D(1), "EUR": D("1.10")}
DEFAULT_WEIGHTS = {"revenue": D(40), "won_deals": D(20), "registration_approval": D(10),
                   "registration_win": D(10), "certifications": D(20)}
RULE = ScoreRule(DEFAULT_WEIGHTS, 12, revenue_target=D(1_000_000), won_deals_target=10, certifications_target=4)
TIERS = [TierRule("registered"), TierRule("gold", Requirements(min_score=D(70)))]


def deals(total: str, count: int, day: dt.date = dt.date(2026, 6, 1)) -> list[WonDeal]:
    each = D(total) / count
    return [WonDeal(day, each, "USD") for _ in range(count)]


def registrations() -> list[RegistrationOutcome]:
    # 4 approved in the window, 2 of them won; a rejection from before the window does not count
    in_window = dt.date(2026, 3, 1)
    return [RegistrationOutcome(in_window, True, False, True), RegistrationOutcome(in_window, True, False, True),
            RegistrationOutcome(in_window, True, False, False), RegistrationOutcome(in_window, True, False, False),
            RegistrationOutcome(dt.date(2025, 12, 31), False, True, False)]


def certs() -> list[HeldCertification]:
    # three valid holders; a fourth expired the day before as-of
    earned = dt.date(2025, 1, 1)
    return [HeldCertification("sales-pro", "An", earned, None),
            HeldCertification("sales-pro", "Bảo", earned, dt.date(2027, 1, 1)),
            HeldCertification("tech-expert", "Jürgen", earned, AS_OF),
            HeldCertification("sales-pro", "Dora", earned, dt.date(2026, 12, 30))]


def record(revenue: str, name: str = "Nguyễn Đối Tác") -> PartnerRecord:
    return PartnerRecord("p1", name, "registered", won_deals=deals(revenue, 10), certifications=certs(),
                         registrations=registrations())


def test_exactly_at_the_threshold_meets_min_score() -> None:
    # revenue 500,000 / 1,000,000 = 0.5 x 40 = 20; won 10 / 10 x 20 = 20; approval 4 / 4 x 10 = 10;
    # win 2 / 4 x 10 = 5; certifications 3 / 4 x 20 = 15  ->  70.0
    scored = record_score(RULE, record("500000"), AS_OF, FX)
    assert scored.score == D("70.0")
    assert scored.explain() == ("score 70.0 (revenue 50.0%, won_deals 100.0%, registration_approval 100.0%, "
                                "registration_win 50.0%, certifications 75.0%)")
    review = review_partner(TIERS, record("500000"), AS_OF, grace_days=0, fx=FX, currency="USD", scoring=RULE)
    assert (review.qualified, review.action) == ("gold", "promote")
    assert [str(c) for c in review.reasons] == [
        "gold partner score in 12 months to 2026-12-31: needs 70, has 70.0 (met)"]


def test_one_point_under_the_threshold_does_not() -> None:
    # revenue 475,000 -> 0.475 x 40 = 19; the rest as above (20 + 10 + 5 + 15)  ->  69.0
    review = review_partner(TIERS, record("475000"), AS_OF, grace_days=0, fx=FX, currency="USD", scoring=RULE)
    assert (review.qualified, review.action) == ("registered", "keep")
    assert [str(c) for c in review.reasons] == [
        "gold partner score in 12 months to 2026-12-31: needs 70, has 69.0 (NOT met)"]
    assert review.notes == ["score 69.0 (revenue 47.5%, won_deals 100.0%, registration_approval 100.0%, "
                            "registration_win 50.0%, certifications 75.0%)"]


def test_the_score_is_rounded_half_up_to_one_decimal_before_the_comparison() -> None:
    # revenue 498,750 -> 0.49875 x 40 = 19.95; + 50 = 69.95 -> 70.0: meets 70
    assert record_score(RULE, record("498750"), AS_OF, FX).score == D("70.0")
    # 498,725 -> 19.949 + 50 = 69.949 -> 69.9
    assert record_score(RULE, record("498725"), AS_OF, FX).score == D("69.9")


def test_weights_change_the_outcome() -> None:
    # The partner one point under with the default weights, scored on deals, approvals and certifications only:
    # won 1 x 50 + approval 1 x 25 + certifications 0.75 x 25 = 93.75 of 100 -> 93.8: gold
    weights = {"revenue": D(0), "won_deals": D(50), "registration_approval": D(25), "registration_win": D(0),
               "certifications": D(25)}
    rule = ScoreRule(weights, 12, revenue_target=None, won_deals_target=10, certifications_target=4)
    review = review_partner(TIERS, record("475000"), AS_OF, grace_days=0, fx=FX, currency="USD", scoring=rule)
    assert review.qualified == "gold"
    assert str(review.reasons[0]) == "gold partner score in 12 months to 2026-12-31: needs 70, has 93.8 (met)"
    # and the same partner weighted on revenue alone: 0.475 -> 47.5: registered
    only_revenue = ScoreRule({"revenue": D(3)}, 12, revenue_target=D(1_000_000))
    assert record_score(only_revenue, record("475000"), AS_OF, FX).score == D("47.5")


def test_a_partner_with_no_data_scores_zero() -> None:
    scored = record_score(RULE, PartnerRecord("p0", "Leer GmbH", "registered"), AS_OF, FX)
    assert scored.score == D("0.0")
    assert set(scored.ratios.values()) == {D(0)}
    review = review_partner(TIERS, PartnerRecord("p0", "Leer GmbH", "registered"), AS_OF, grace_days=0, fx=FX,
                            currency="USD", scoring=RULE)
    assert (review.qualified, [c.has for c in review.checks]) == ("registered", ["0.0"])


def test_window_edges_caps_currencies_and_rejections() -> None:
    # 2,000,000 USD (capped at 1 -> 40) on 2026-01-01 (in); 900,000 on 2025-12-31 (out, not a won deal either);
    # 100,000 EUR = 110,000 USD in (revenue already capped); won deals 2 / 10 x 20 = 4;
    # registrations in the window: 1 approved (not won), 3 rejected -> approval 1/4 x 10 = 2.5, win 0;
    # no certifications  ->  40 + 4 + 2.5 = 46.5
    won = [WonDeal(dt.date(2026, 1, 1), D(2_000_000), "USD"), WonDeal(dt.date(2025, 12, 31), D(900_000), "USD"),
           WonDeal(dt.date(2026, 12, 31), D(100_000), "EUR")]
    day = dt.date(2026, 5, 5)
    regs = [RegistrationOutcome(day, True, False, False), *[RegistrationOutcome(day, False, True, False)] * 3]
    scored = record_score(RULE, PartnerRecord("p2", "Müller Vertrieb", "gold", won_deals=won, registrations=regs),
                          AS_OF, FX)
    assert (scored.facts.revenue, scored.facts.won_deals) == (D("2110000.00"), 2)
    assert scored.score == D("46.5")


def test_min_score_is_anded_with_the_other_requirements() -> None:
    # 70.0 meets the score, but gold also needs 600,000 revenue: 500,000 is short, so not gold
    tiers = [TierRule("registered"), TierRule("gold", Requirements(revenue=D(600_000), min_score=D(70)))]
    review = review_partner(tiers, record("500000"), AS_OF, grace_days=0, fx=FX, currency="USD", scoring=RULE)
    assert review.qualified == "registered"
    assert [(c.requirement.split(" in ")[0], c.met) for c in review.checks] == [
        ("won revenue", False), ("partner score", True)]
    assert [c.requirement.split(" in ")[0] for c in review.reasons] == ["won revenue"]   # why not gold
    assert review.notes == []   # the score is not among the reasons: no note of what it is made of
