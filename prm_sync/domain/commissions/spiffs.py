"""SPIFFs: time-boxed incentives of a commission plan, each paid as a line of its own.

Rules, in order:
1. A SPIFF of the plan in force at the deal's close date applies when the close date lies in
   [from, to) (`from` inclusive, `to` exclusive) and every `when` condition holds
   (product_line / deal_type equal, case-insensitive; registration: the deal came from an
   approved registration). Only closed-won live deals with an amount qualify.
2. Value, in plan currency: `amount` per deal, or `rate` x the deal amount converted with
   `commissions.fx`. It is never multiplied by the accelerator.
3. Caps: ignored, unless `counts_toward_caps: true`: then the SPIFF fits in what the deal's
   per-deal cap leaves after the deal's commission, and in what the per-period cap leaves after
   the partner's commission of the period so far (earlier deals, this deal, and earlier SPIFFs
   that count toward caps).
4. Budget (plan currency), shared by every partner: what SPIFF lines already approved or paid
   hold (up to what their deal still earns) is kept, never clawed back by a later or backdated
   deal; the rest of the budget goes to deals in close-date, then deal-id order. A deal the
   budget cuts says so in its explanation.
5. The due amount is converted back to the deal currency and rounded once.
A deal that no longer qualifies (lost, deleted, moved out of the window) is due 0: an open line
is retired; an approved or paid one is clawed back once (see reconcile).
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from prm_sync.domain.commissions.model import DealFacts, Earned, SpiffEarned
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
from prm_sync.domain.commissions.plans import CommissionSettings, Plan, Spiff
from prm_sync.domain.commissions.schedule import percent, plan_for

Key = tuple[str, str]   # (deal id, spiff name)


@dataclass
class _Candidate:
    deal: DealFacts
    plan: Plan
    spiff: Spiff
    fx: Decimal
    value: Decimal          # plan currency, after caps when it counts toward them
    steps: list[str]


def _matches(spiff: Spiff, deal: DealFacts) -> tuple[bool, str]:
    when = spiff.when
    given = []
    if when.product_line is not None:
        given.append((f"product_line={when.product_line}",
                      (deal.product_line or "").lower() == when.product_line.lower()))
    if when.deal_type is not None:
        given.append((f"deal_type={when.deal_type}", (deal.deal_type or "").lower() == str(when.deal_type).lower()))
    if when.registration is not None:
        given.append((f"registration={'true' if when.registration else 'false'}",
                      deal.from_approved_registration == when.registration))
    text = ", ".join(name for name, _ in given) or "every won deal"
    return all(ok for _, ok in given), text


def _window(spiff: Spiff) -> str:
    return f"close dates {spiff.from_} (inclusive) to {spiff.to} (exclusive)"


def calculate_spiffs(settings: CommissionSettings, deals: Iterable[DealFacts], base: Mapping[str, Earned],
                     locked: Mapping[Key, Decimal], existing: Iterable[Key] = ()) -> dict[Key, SpiffEarned]:
    """(deal id, spiff name) -> what the deal earns from that SPIFF.

    `base`: the deals' commissions (from `calculate`); `locked`: per (deal, spiff) the amount of
    its approved or paid SPIFF lines (deal currency); `existing`: (deal, spiff) pairs with live
    lines, so a deal that no longer qualifies gets its 0 (and its clawback).
    """
    facts = list(deals)
    result: dict[Key, SpiffEarned] = {}
    with decimal.localcontext(context()):
        candidates = _candidates(settings, facts, base, result)
        _grant(settings, candidates, locked, result)
    by_id = {d.deal_id: d for d in facts}
    for key in {*existing, *locked}:
        if key not in result and key[0] in by_id:
            deal = by_id[key[0]]
            reason = _why_not(settings, deal, key[1])
            period = period_of(deal.close_date, "quarter").label if deal.close_date else None
            text = (f"SPIFF {key[1]}: deal {deal.deal_id} (partner {deal.partner_id}), close date "
                    f"{deal.close_date or 'none'}\nNothing due: {reason}")
            result[key] = SpiffEarned(deal, key[1], ZERO, deal.currency, period, None, text, reason)
    return result


def _why_not(settings: CommissionSettings, deal: DealFacts, name: str) -> str:
    if not deal.earns:
        return "the deal is no longer closed-won with an amount" if not deal.deleted else "the deal was deleted"
    plan = plan_for(settings, deal.close_date) if deal.close_date else None
    spiff = next((s for s in plan.spiffs if s.name == name), None) if plan else None
    if spiff is None:
        return f"the plan in force on {deal.close_date} has no SPIFF '{name}'"
    return f"the deal no longer qualifies ({_window(spiff)}; when {_matches(spiff, deal)[1]})"


def _candidates(settings: CommissionSettings, deals: list[DealFacts], base: Mapping[str, Earned],
                result: dict[Key, SpiffEarned]) -> list[_Candidate]:
    """Qualifying (deal, SPIFF) pairs with their value after caps, in close-date then deal-id order."""
    out: list[_Candidate] = []
    used: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)   # (partner, period) -> counting SPIFFs
    for deal in sorted((d for d in deals if d.earns), key=lambda d: (d.close_date, d.deal_id)):
        assert deal.close_date is not None and deal.amount is not None and deal.currency is not None
        plan = plan_for(settings, deal.close_date)
        if plan is None or deal.amount <= 0:
            continue
        for spiff in plan.spiffs:
            matches, conditions = _matches(spiff, deal)
            if not (spiff.from_ <= deal.close_date < spiff.to and matches):
                continue
            steps = [f"Window: {_window(spiff)}; when {conditions}: the deal qualifies"]
            try:
                fx = fx_rate(settings, deal.currency, plan.currency)
            except MissingFx as exc:
                key = (deal.deal_id, spiff.name)
                result[key] = SpiffEarned(deal, spiff.name, ZERO, deal.currency, None, plan.name,
                                          f"SPIFF {spiff.name}: nothing due: {exc}", str(exc), problem=True)
                continue
            if spiff.amount is not None:
                value = spiff.amount
                steps.append(f"SPIFF: {shown(value)} {plan.currency} per deal")
            else:
                assert spiff.rate is not None
                value = spiff.rate * deal.amount * fx
                steps.append(f"SPIFF: {percent(spiff.rate)} x {shown(deal.amount * fx)} {plan.currency} = "
                             f"{shown(value)} {plan.currency}")
            steps.append("Not multiplied by the accelerator.")
            if spiff.counts_toward_caps:
                value = _fit_caps(settings, plan, deal, value, base, used, steps)
            else:
                steps.append("Outside the plan's caps (counts_toward_caps: false).")
            out.append(_Candidate(deal, plan, spiff, fx, value, steps))
    return out


def _fit_caps(settings: CommissionSettings, plan: Plan, deal: DealFacts, value: Decimal,
              base: Mapping[str, Earned], used: dict[tuple[str, str], Decimal], steps: list[str]) -> Decimal:
    assert deal.close_date is not None
    mine = base.get(deal.deal_id)
    commission = mine.in_plan if mine is not None and mine.plan_currency == plan.currency else ZERO
    if plan.caps.per_deal is not None:
        room = max(plan.caps.per_deal - commission, ZERO)
        steps.append(f"Counts toward caps: per-deal cap {shown(plan.caps.per_deal)} less the deal's commission "
                     f"{shown(commission)} leaves {shown(room)} {plan.currency}")
        value = min(value, room)
    period = period_of(deal.close_date, plan.accelerator.period if plan.accelerator else "quarter")
    if plan.caps.per_period is not None:
        earlier = ZERO
        for other in base.values():
            d = other.deal
            if (d.partner_id == deal.partner_id and d.close_date is not None and d.close_date in period
                    and (d.close_date, d.deal_id) <= (deal.close_date, deal.deal_id) and other.due):
                try:
                    earlier += convert(settings, other.due, other.currency or "", plan.currency)
                except MissingFx:
                    continue
        earlier += used[(deal.partner_id, period.label)]
        room = max(plan.caps.per_period - earlier, ZERO)
        steps.append(f"Counts toward caps: per-period cap {shown(plan.caps.per_period)} less the partner's "
                     f"commission in {period.label} so far {shown(earlier)} leaves {shown(room)} {plan.currency}")
        value = min(value, room)
        used[(deal.partner_id, period.label)] += value
    if not plan.caps.per_deal and not plan.caps.per_period:
        steps.append("Counts toward caps: the plan has none.")
    return value


def _grant(settings: CommissionSettings, candidates: list[_Candidate], locked: Mapping[Key, Decimal],
           result: dict[Key, SpiffEarned]) -> None:
    by_spiff: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in candidates:
        by_spiff[(c.plan.name, c.spiff.name)].append(c)
    for group in by_spiff.values():
        spiff, currency = group[0].spiff, group[0].plan.currency
        kept = {c.deal.deal_id: min(locked.get((c.deal.deal_id, spiff.name), ZERO) * c.fx, c.value) for c in group}
        left = None if spiff.budget is None else spiff.budget - sum(kept.values(), ZERO)
        for c in group:
            steps = list(c.steps)
            value = c.value
            if left is not None:
                assert spiff.budget is not None
                held = kept[c.deal.deal_id]
                want = c.value - held
                grant = min(want, max(left, ZERO))
                left -= grant
                value = held + grant
                head = (f"Budget {shown(spiff.budget)} {currency}, granted in close-date order; already approved "
                        f"or paid SPIFFs keep their share")
                if held:
                    head += f" (this deal's {shown(held)} {currency} is kept)"
                if grant < want:
                    steps.append(f"{head}: budget exhausted: this deal gets {shown(value)} of {shown(c.value)} "
                                 f"{currency}")
                else:
                    steps.append(f"{head}: {shown(max(left, ZERO))} {currency} left after this deal")
            result[(c.deal.deal_id, spiff.name)] = _earned(settings, c, value, steps)


def _earned(settings: CommissionSettings, c: _Candidate, value: Decimal, steps: list[str]) -> SpiffEarned:
    deal = c.deal
    assert deal.currency is not None and deal.close_date is not None and deal.amount is not None
    unrounded = value / c.fx
    due = round_money(settings, unrounded, deal.currency)
    head = (f"SPIFF {c.spiff.name} (plan {c.plan.name}, {c.plan.currency}): deal {deal.deal_id} "
            f"(partner {deal.partner_id}), close date {deal.close_date}, {shown(deal.amount)} {deal.currency}")
    lines = [head, *steps]
    if deal.currency != c.plan.currency:
        lines.append(f"In deal currency: {shown(value)} / {shown(c.fx)} = {shown(unrounded)} {deal.currency}")
    lines.append(f"Rounded once ({settings.rounding}, {decimals_for(settings, deal.currency)} decimals): "
                 f"{shown(due)} {deal.currency}")
    reason = "" if due else "nothing left of the SPIFF for this deal"
    return SpiffEarned(deal, c.spiff.name, due, deal.currency, period_of(deal.close_date, "quarter").label,
                       c.plan.name, "\n".join(lines), reason)

