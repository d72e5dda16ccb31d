"""Scorecards over several periods (trends) and rolled up by channel manager, territory or tier.

- Periods: the N periods of one kind ending with the given one, oldest first.
- Roll-up: a group's counts and amounts are the sums of its partners'; its rates are recomputed
  from the sums (approval = approved / (approved + rejected), win rate = won / closed, ...), never
  averaged. A partner with several territories counts in each of them (the territory totals then
  add up to more than the whole); one without a channel manager or territory is in "(none)".
- Direction: the last period against the one before: "up", "down" or "flat"; "–" when either
  value is missing (a rate with nothing to divide).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from prm_sync.domain.commissions.periods import Period, period_of
from prm_sync.domain.scorecards import PartnerInfo, Scorecard

RollUp = Literal["channel_manager", "territory", "tier"]
NONE = "(none)"
CENT = Decimal("0.01")
FIGURES: tuple[str, ...] = ("revenue", "open_pipeline", "deals_won", "win_rate", "registrations",
                            "approval_rate", "commission_earned")
_SUMMED = ("registrations", "approved", "rejected", "conflicts", "deals_closed", "deals_won", "revenue",
           "commission_earned", "commission_paid", "open_pipeline", "cycle_days_total", "cycle_count")


def last_periods(period: Period, count: int) -> list[Period]:
    """`count` periods of `period.kind` ending with `period`, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(period_of(out[-1].start - dt.timedelta(days=1), period.kind))
    return out[::-1]


def group_keys(partner: PartnerInfo, by: RollUp) -> list[str]:
    if by == "tier":
        return [partner.tier]
    if by == "channel_manager":
        return [partner.channel_manager or NONE]
    return list(partner.territories) or [NONE]


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else None


def roll_up(cards: Sequence[Scorecard], partners: Mapping[str, PartnerInfo], by: RollUp) -> list[Scorecard]:
    """One card per group (its `partner` is the group's name), sorted by revenue then name."""
    groups: dict[str, Scorecard] = {}
    for card in cards:
        info = partners.get(card.partner_id) or PartnerInfo(card.partner_id, card.partner, card.tier)
        for key in group_keys(info, by):
            group = groups.get(key)
            if group is None:
                group = groups[key] = Scorecard(f"{by}:{key}", key, key if by == "tier" else "", card.period,
                                                card.currency)
            for name in _SUMMED:
                setattr(group, name, getattr(group, name) + getattr(card, name))
    for group in groups.values():
        group.approval_rate = _ratio(group.approved, group.approved + group.rejected)
        group.conflict_rate = _ratio(group.conflicts, group.registrations)
        group.win_rate = _ratio(group.deals_won, group.deals_closed)
        if group.deals_won:
            group.average_deal_size = (group.revenue / group.deals_won).quantize(CENT, ROUND_HALF_UP)
        if group.cycle_count:
            group.average_cycle_days = (Decimal(group.cycle_days_total) / group.cycle_count).quantize(
                Decimal("0.1"), ROUND_HALF_UP)
    return sorted(groups.values(), key=lambda c: (-c.revenue, c.partner.lower()))


@dataclass(frozen=True)
class TrendRow:
    key: str                      # partner id, or "<roll-up>:<group>"
    name: str
    figure: str
    values: tuple[Decimal | int | None, ...]   # one per period, oldest first
    direction: str                # up / down / flat / –


def direction(values: Sequence[Decimal | int | None]) -> str:
    if len(values) < 2 or values[-1] is None or values[-2] is None:
        return "–"
    last, before = Decimal(values[-1]), Decimal(values[-2])
    return "up" if last > before else "down" if last < before else "flat"


def trends(series: Sequence[Sequence[Scorecard]], figures: Sequence[str] = FIGURES) -> list[TrendRow]:
    """Per partner (or group) and figure: its value in each period and its direction.

    `series`: the cards of each period, oldest first. Rows follow the last period's card order."""
    by_period = [{c.partner_id: c for c in cards} for cards in series]
    order: list[tuple[str, str]] = []
    seen: set[str] = set()
    for cards in reversed(series):
        for card in cards:
            if card.partner_id not in seen:
                seen.add(card.partner_id)
                order.append((card.partner_id, card.partner))
    rows = []
    for key, name in order:
        for figure in figures:
            values = tuple(getattr(p[key], figure) if key in p else None for p in by_period)
            rows.append(TrendRow(key, name, figure, values, direction(values)))
    return rows
