"""Partner scorecards for a month, quarter or year: pipeline, wins, money, progress to the next tier.

Definitions (amounts in one report currency; the service converts with `commissions.fx`):
- registrations: registrations created in the period; approval rate = approved / (approved +
  rejected) among them; conflict rate = those flagged with a channel conflict / registrations.
- deals won / revenue: deals closed-won with a close date in the period; win rate = won /
  closed (won or lost) in the period; average deal size = revenue / deals won; average cycle
  = days from the deal's start (its registration's creation, else the deal's) to close.
- open pipeline: open deals whose close date, and approved registrations not yet converted whose
  expected close, falls in the period (what is expected to close then).
- commission earned: live lines (clawbacks included) dated by their deal's close date;
  paid: those of them with status paid.
- progress to the next tier: against the program's tier targets (`TierTarget`: yearly revenue
  and won deals, from config `program.tiers`), prorated to the period (a quarter needs a
  quarter of the year's target); progress is the lower of the ratios, at most 100%. Without a
  program there are no targets and no progress.
- score: the partner score (domain/partner_score.py) on the period's last day, when the program
  uses one; set by the service, None otherwise and on roll-ups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from prm_sync.domain.commissions.periods import Period

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TierTarget:
    """What a tier takes in a year (report currency); None: not required."""

    tier: str
    revenue_per_year: Decimal | None = None
    deals_per_year: Decimal | None = None


PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


@dataclass(frozen=True)
class PartnerInfo:
    id: str
    name: str
    tier: str
    channel_manager: str | None = None
    territories: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineFact:
    """Open business expected to close on `expected`: an open deal (its close date) or an approved
    registration not yet converted (its expected close); report currency."""

    partner_id: str
    expected: dt.date
    amount: Decimal


@dataclass(frozen=True)
class RegistrationFact:
    partner_id: str
    created: dt.date
    approved: bool
    rejected: bool
    conflict: bool


@dataclass(frozen=True)
class DealFact:
    partner_id: str
    close_date: dt.date | None
    is_won: bool
    is_closed: bool
    amount: Decimal | None     # report currency; None when it cannot be converted
    started: dt.date | None


@dataclass(frozen=True)
class LineFact:
    partner_id: str
    day: dt.date
    amount: Decimal            # report currency
    paid: bool


@dataclass
class Scorecard:
    partner_id: str
    partner: str
    tier: str
    period: str
    currency: str
    registrations: int = 0
    approved: int = 0
    rejected: int = 0
    approval_rate: Decimal | None = None
    conflict_rate: Decimal | None = None
    deals_closed: int = 0
    deals_won: int = 0
    revenue: Decimal = ZERO
    win_rate: Decimal | None = None
    average_deal_size: Decimal | None = None
    average_cycle_days: Decimal | None = None
    commission_earned: Decimal = ZERO
    commission_paid: Decimal = ZERO
    open_pipeline: Decimal = ZERO
    conflicts: int = 0
    cycle_days_total: int = 0
    cycle_count: int = 0
    next_tier: str | None = None
    tier_progress: Decimal | None = None
    monthly_revenue: list[tuple[str, Decimal]] = field(default_factory=list)
    score: Decimal | None = None


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else None


def next_tier_progress(tier: str, revenue: Decimal, won: int, period: Period,
                       targets: Sequence[TierTarget] = ()) -> tuple[str | None, Decimal | None]:
    """The tier above `tier` (targets are lowest first) and how far (0..1) the period's revenue
    and wins go toward it."""
    order = [t.tier for t in targets]
    if tier not in order or order.index(tier) == len(order) - 1:
        return None, None
    need = targets[order.index(tier) + 1]
    share = Decimal(PERIODS_PER_YEAR[period.kind])
    ratios = [Decimal(1)]
    if need.revenue_per_year:
        ratios.append(revenue / (need.revenue_per_year / share))
    if need.deals_per_year:
        ratios.append(Decimal(won) / (need.deals_per_year / share))
    return need.tier, min(ratios).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def scorecards(period: Period, currency: str, partners: Sequence[PartnerInfo],
               registrations: Iterable[RegistrationFact], deals: Iterable[DealFact],
               lines: Iterable[LineFact], targets: Sequence[TierTarget] = (),
               pipeline: Iterable[PipelineFact] = ()) -> list[Scorecard]:
    """One scorecard per partner (sorted by revenue, then name)."""
    cards = {p.id: Scorecard(p.id, p.name, p.tier, period.label, currency) for p in partners}
    months = period.months()
    monthly = {pid: {m.label: ZERO for m in months} for pid in cards}
    regs: dict[str, list[RegistrationFact]] = {pid: [] for pid in cards}
    for reg in registrations:
        if reg.partner_id in cards and reg.created in period:
            regs[reg.partner_id].append(reg)
    closed: dict[str, int] = dict.fromkeys(cards, 0)
    cycles: dict[str, list[int]] = {pid: [] for pid in cards}
    for deal in deals:
        card = cards.get(deal.partner_id)
        if card is None or deal.close_date is None or deal.close_date not in period or not deal.is_closed:
            continue
        closed[card.partner_id] += 1
        if not deal.is_won:
            continue
        card.deals_won += 1
        if deal.amount is not None:
            card.revenue += deal.amount
            month = next(m for m in months if deal.close_date in m)
            monthly[card.partner_id][month.label] += deal.amount
        if deal.started is not None and deal.started <= deal.close_date:
            cycles[card.partner_id].append((deal.close_date - deal.started).days)
    for line in lines:
        card = cards.get(line.partner_id)
        if card is not None and line.day in period:
            card.commission_earned += line.amount
            card.commission_paid += line.amount if line.paid else ZERO
    for item in pipeline:
        card = cards.get(item.partner_id)
        if card is not None and item.expected in period:
            card.open_pipeline += item.amount
    for pid, card in cards.items():
        mine = regs[pid]
        card.registrations = len(mine)
        card.approved, card.rejected = sum(r.approved for r in mine), sum(r.rejected for r in mine)
        card.approval_rate = _ratio(card.approved, card.approved + card.rejected)
        card.conflicts = sum(r.conflict for r in mine)
        card.conflict_rate = _ratio(card.conflicts, len(mine))
        card.deals_closed = closed[pid]
        card.win_rate = _ratio(card.deals_won, closed[pid])
        card.revenue = card.revenue.quantize(CENT, ROUND_HALF_UP)
        card.commission_earned = card.commission_earned.quantize(CENT, ROUND_HALF_UP)
        card.commission_paid = card.commission_paid.quantize(CENT, ROUND_HALF_UP)
        card.open_pipeline = card.open_pipeline.quantize(CENT, ROUND_HALF_UP)
        card.cycle_days_total, card.cycle_count = sum(cycles[pid]), len(cycles[pid])
        if card.deals_won:
            card.average_deal_size = (card.revenue / card.deals_won).quantize(CENT, ROUND_HALF_UP)
        if cycles[pid]:
            card.average_cycle_days = (Decimal(sum(cycles[pid])) / len(cycles[pid])).quantize(Decimal("0.1"),
                                                                                           ROUND_HALF_UP)
        card.next_tier, card.tier_progress = next_tier_progress(card.tier, card.revenue, card.deals_won, period,
                                                                 targets)
        card.monthly_revenue = [(label, value.quantize(CENT, ROUND_HALF_UP)) for label, value in monthly[pid].items()]
    return sorted(cards.values(), key=lambda c: (-c.revenue, c.partner.lower(), c.partner_id))
