"""What each won deal earns: plan, schedule, bonus, accelerator, caps, one rounding.

Deals are taken per partner in close-date then deal-id order, because the accelerator and
the per-period cap depend on what came earlier in the same period: the quota is reached by
the partner's earlier won deals (converted to plan currency), and the per-period cap is
filled by their earlier commission. A period is the plan's accelerator period (else the
quarter) and counts every won deal of the partner in it, whichever plan version they fell
under; that is what makes a plan change in mid-quarter keep the quarter's quota progress.
"""

from __future__ import annotations

import decimal
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from prm_sync.domain.commissions.model import CapStep, DealFacts, Earned, Slice
from prm_sync.domain.commissions.money import (
    ZERO,
    MissingFx,
    context,
    convert,
    decimals_for,
    fx_rate,
    round_money,
    shown,
)
from prm_sync.domain.commissions.periods import period_of
from prm_sync.domain.commissions.plans import CommissionSettings, Plan
from prm_sync.domain.commissions.schedule import NoRate, Schedule, percent, plan_for, schedule_for


@dataclass(frozen=True)
class _Done:
    """An earlier won deal of the same partner, as later deals of its period see it."""

    close_date: object
    amount: Decimal
    currency: str
    due: Decimal
    due_currency: str


def calculate(settings: CommissionSettings, deals: Iterable[DealFacts]) -> dict[str, Earned]:
    """Deal id -> what it earns. Deals that do not earn get `due` 0 and a reason."""
    result: dict[str, Earned] = {}
    by_partner: dict[str, list[DealFacts]] = defaultdict(list)
    for deal in deals:
        if deal.earns:
            by_partner[deal.partner_id].append(deal)
        else:
            result[deal.deal_id] = _not_earning(deal)
    with decimal.localcontext(context()):
        for partner_deals in by_partner.values():
            partner_deals.sort(key=lambda d: (d.close_date, d.deal_id))
            done: list[_Done] = []
            for deal in partner_deals:
                earned = _earn(settings, deal, done)
                result[deal.deal_id] = earned
                assert deal.amount is not None and deal.currency is not None
                done.append(_Done(deal.close_date, deal.amount, deal.currency, earned.due, deal.currency))
    return result


def _not_earning(deal: DealFacts) -> Earned:
    if deal.deleted:
        reason = "the deal was deleted"
    elif not deal.is_won:
        reason = f"the deal is not closed-won (stage {deal.stage or 'unknown'})"
    else:
        missing = [n for n in ("amount", "currency", "close_date") if getattr(deal, n) is None]
        reason = f"the deal has no {', '.join(missing)}"
    period = period_of(deal.close_date, "quarter").label if deal.close_date else None
    return Earned(deal, ZERO, deal.currency, period, reason=reason)


def _earn(settings: CommissionSettings, deal: DealFacts, done: list[_Done]) -> Earned:
    assert deal.amount is not None and deal.currency is not None and deal.close_date is not None
    quarter = period_of(deal.close_date, "quarter").label
    earned = Earned(deal, ZERO, deal.currency, quarter)
    plan = plan_for(settings, deal.close_date)
    if plan is None:
        earned.reason, earned.problem = f"no commission plan is in force on {deal.close_date}", True
        return earned
    earned.plan, earned.plan_currency = plan.name, plan.currency
    if deal.amount <= 0:
        earned.reason = f"the deal amount is {shown(deal.amount)}"
        return earned
    try:
        earned.fx = fx_rate(settings, deal.currency, plan.currency)
        amount = deal.amount * earned.fx
        schedule = schedule_for(plan, deal, amount)
    except (MissingFx, NoRate) as exc:
        earned.reason, earned.problem = str(exc), True
        return earned
    earned.amount_in_plan = amount
    earned.schedule = schedule.description
    if deal.from_approved_registration:
        earned.bonus = plan.registration_bonus
    period = period_of(deal.close_date, plan.accelerator.period if plan.accelerator else "quarter")
    start = bisect_left([d.close_date for d in done], period.start)  # type: ignore[type-var]
    earlier = done[start:]
    quota_at = _quota_point(settings, plan, amount, earlier, period.label, earned)
    earned.slices = _slices(schedule, amount, earned.bonus, quota_at, plan)
    value = sum((s.commission for s in earned.slices), ZERO)
    value = _caps(settings, plan, value, earlier, earned)
    earned.in_plan = value
    earned.unrounded = value / earned.fx
    earned.due = round_money(settings, earned.unrounded, deal.currency)
    earned.rounding = f"{settings.rounding}, {decimals_for(settings, deal.currency)} decimals"
    return earned


def _sum_in(settings: CommissionSettings, pairs: Iterable[tuple[Decimal, str]], currency: str) -> Decimal:
    total = ZERO
    for amount, cur in pairs:
        try:
            total += convert(settings, amount, cur, currency)
        except MissingFx:
            continue  # that deal is reported as a problem of its own; it cannot count here
    return total


def _quota_point(settings: CommissionSettings, plan: Plan, amount: Decimal, earlier: list[_Done],
                 period: str, earned: Earned) -> Decimal | None:
    """Where inside this deal (plan currency, from 0) the partner crosses the quota; None: never."""
    acc = plan.accelerator
    if acc is None:
        return None
    before = _sum_in(settings, ((d.amount, d.currency) for d in earlier), plan.currency)
    point = acc.quota - before
    head = f"{acc.period} {period}: quota {shown(acc.quota)} {plan.currency}, " \
           f"partner's earlier won deals this period {shown(before)} {plan.currency}"
    if point >= amount:
        earned.accelerator = f"{head}; quota not reached by this deal"
        return None
    point = max(point, ZERO)
    earned.accelerator = (f"{head}; the {shown(amount - point)} {plan.currency} of this deal above the quota "
                          f"earns rate x {acc.multiplier.normalize()}")
    return point


def _slices(schedule: Schedule, amount: Decimal, bonus: Decimal, quota_at: Decimal | None,
            plan: Plan) -> list[Slice]:
    cuts = {ZERO, amount}
    cuts.update(b.up_to for b in schedule.bands if b.up_to is not None and ZERO < b.up_to < amount)
    if quota_at is not None and ZERO < quota_at < amount:
        cuts.add(quota_at)
    points = sorted(cuts)
    multiplier = plan.accelerator.multiplier if plan.accelerator else Decimal(1)
    out = []
    for low, high in pairwise(points):
        band = next(b for b in schedule.bands if b.up_to is None or high <= b.up_to)
        accelerated = quota_at is not None and low >= quota_at
        rate = (band.rate + bonus) * (multiplier if accelerated else 1)
        source = f"{band.source} {percent(band.rate)}"
        out.append(Slice(low, high, band.rate, rate, accelerated, source))
    return out


def _caps(settings: CommissionSettings, plan: Plan, value: Decimal, earlier: list[_Done], earned: Earned) -> Decimal:
    per_deal, per_period = plan.caps.per_deal, plan.caps.per_period
    if per_deal is not None and value > per_deal:
        earned.caps.append(CapStep("per-deal cap", per_deal, value, per_deal))
        value = per_deal
    if per_period is not None:
        before = _sum_in(settings, ((d.due, d.due_currency) for d in earlier), plan.currency)
        room = max(per_period - before, ZERO)
        if value > room:
            earned.caps.append(CapStep(f"per-period cap (earlier commission this period {shown(before)})",
                                       per_period, value, room))
            value = room
    return value
