"""The partner score: one 0-100 figure a channel manager can reason about (config `program.score`).

The score is a weighted average of five components, each a ratio between 0 and 1 computed from
what the store knows about the partner over a trailing window ending on the as-of day (the same
window rule as the tier requirements: `start < day <= as_of`):

- `revenue`: won revenue in the window (program currency, converted with fx) / the revenue target;
- `won_deals`: deals won in the window / the won-deals target;
- `registration_approval`: among registrations submitted in the window, approved / (approved +
  rejected); none decided yet: 0;
- `registration_win`: among registrations submitted in the window and approved, those that
  became a won deal / approved ones; none approved: 0;
- `certifications`: distinct (certification, holder) pairs valid on the as-of day / the target.

A ratio above 1 counts as 1 (over-achieving one component cannot make up for another beyond
its weight). score = 100 x sum(weight x ratio) / sum(weights), computed exactly in Decimal and
rounded once, half up, to one decimal (`SCORE_STEP`). A partner with no data scores 0.0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
SCORE_STEP = Decimal("0.1")
COMPONENTS = ("revenue", "won_deals", "registration_approval", "registration_win", "certifications")


@dataclass(frozen=True)
class ScoreRule:
    """Weights (component -> non-negative, summing above 0) and the targets the ratios are taken of.
    A target may be None only when its component weighs 0."""

    weights: Mapping[str, Decimal]
    window_months: int = 12
    revenue_target: Decimal | None = None
    won_deals_target: int | None = None
    certifications_target: int | None = None


@dataclass(frozen=True)
class RegistrationOutcome:
    """A registration as the score sees it: when submitted, whether approved or rejected, and
    whether a won deal came from it."""

    submitted: dt.date
    approved: bool
    rejected: bool
    won: bool


@dataclass(frozen=True)
class ScoreFacts:
    """The raw figures of one partner in the window (revenue in the program currency)."""

    revenue: Decimal
    won_deals: int
    submitted: int
    approved: int
    rejected: int
    approved_won: int
    certifications: int


@dataclass(frozen=True)
class PartnerScore:
    score: Decimal                       # 0.0 .. 100.0
    ratios: Mapping[str, Decimal]        # component -> 0..1, unrounded
    facts: ScoreFacts

    def explain(self) -> str:
        parts = ", ".join(f"{name} {(ratio * HUNDRED).quantize(SCORE_STEP, ROUND_HALF_UP)}%"
                          for name, ratio in self.ratios.items())
        return f"score {self.score} ({parts})"


def _capped(has: Decimal | int, target: Decimal | int | None) -> Decimal:
    if target is None or Decimal(target) <= ZERO:
        return ZERO
    return min(ONE, Decimal(has) / Decimal(target))


def _rate(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else ZERO


def combine(rule: ScoreRule, ratios: Mapping[str, Decimal]) -> Decimal:
    """100 x the weighted average of the ratios, rounded half up to `SCORE_STEP`."""
    total = sum((rule.weights.get(name, ZERO) for name in COMPONENTS), ZERO)
    if total <= ZERO:
        raise ValueError("score weights must sum to more than 0")
    weighted = sum((rule.weights.get(name, ZERO) * ratios.get(name, ZERO) for name in COMPONENTS), ZERO)
    return (HUNDRED * weighted / total).quantize(SCORE_STEP, ROUND_HALF_UP)


def partner_score(rule: ScoreRule, *, as_of: dt.date, start: dt.date, won: Sequence[tuple[dt.date, Decimal | None,
                                                                                            str]],
                  registrations: Sequence[RegistrationOutcome], valid_certifications: int,
                  fx: Mapping[str, Decimal]) -> PartnerScore:
    """The score on `as_of` from won deals (close date, amount, currency), registrations and the
    count of valid certifications; `start` is the window's excluded first day. A deal in a
    currency without an fx rate adds no revenue but counts as a won deal."""
    in_window = [(day, amount, cur) for day, amount, cur in won if start < day <= as_of]
    revenue = sum((amount * fx[cur] for _, amount, cur in in_window if amount is not None and cur in fx), ZERO)
    regs = [r for r in registrations if start < r.submitted <= as_of]
    approved = sum(1 for r in regs if r.approved)
    facts = ScoreFacts(revenue=revenue, won_deals=len(in_window), submitted=len(regs), approved=approved,
                       rejected=sum(1 for r in regs if r.rejected and not r.approved),
                       approved_won=sum(1 for r in regs if r.approved and r.won),
                       certifications=valid_certifications)
    ratios = {
        "revenue": _capped(facts.revenue, rule.revenue_target),
        "won_deals": _capped(facts.won_deals, rule.won_deals_target),
        "registration_approval": _rate(facts.approved, facts.approved + facts.rejected),
        "registration_win": _rate(facts.approved_won, facts.approved),
        "certifications": _capped(facts.certifications, rule.certifications_target),
    }
    return PartnerScore(combine(rule, ratios), ratios, facts)
