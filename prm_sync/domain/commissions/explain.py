"""The text a commission line carries: how its amount was reached, step by step."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

from prm_sync.domain.commissions.model import Earned
from prm_sync.domain.commissions.money import shown
from prm_sync.domain.commissions.schedule import percent
from prm_sync.domain.currencies import minor_units


def _in(currency: str | None) -> Callable[[Decimal], str]:
    """`shown` with the currency's ISO 4217 decimals (JPY 0, USD 2, BHD 3)."""
    return partial(shown, places=minor_units(currency or ""))


def explain(earned: Earned) -> str:
    deal = earned.deal
    in_deal = _in(deal.currency)
    amount = f"{in_deal(deal.amount)} {deal.currency}" if deal.amount is not None else "no amount"
    lines = [f"Deal {deal.deal_id} (partner {deal.partner_id}), close date {deal.close_date or 'none'}, {amount}"]
    if earned.plan is None or earned.reason:
        if earned.plan:
            lines.append(f"Plan: {earned.plan}")
        lines.append(f"Nothing due: {earned.reason}")
        return "\n".join(lines)
    pc = earned.plan_currency
    in_plan = _in(pc)
    plan_line = f"Plan: {earned.plan} ({pc})"
    if deal.currency != pc:
        plan_line += (f"; fx 1 {deal.currency} = {shown(earned.fx or Decimal(0))} {pc}: "
                      f"deal = {in_plan(earned.amount_in_plan or Decimal(0))} {pc}")
    lines.append(plan_line)
    lines.append(f"Schedule: {earned.schedule}")
    if earned.bonus:
        lines.append(f"Registration bonus: +{percent(earned.bonus)} (the deal came from an approved registration)")
    if earned.accelerator:
        lines.append(f"Accelerator: {earned.accelerator}")
    lines.append(f"Slices ({pc}):")
    for s in earned.slices:
        steps = f"{in_plan(s.amount)} x {percent(s.rate)}"
        if earned.bonus or s.accelerated:
            rate = f"({percent(s.base_rate)} + {percent(earned.bonus)})" if earned.bonus else percent(s.base_rate)
            rate = f"{rate} x multiplier" if s.accelerated else rate
            steps = f"{in_plan(s.amount)} x {rate} = {steps}"
        lines.append(f"  {in_plan(s.low)} to {in_plan(s.high)} [{s.source}]: {steps} = {in_plan(s.commission)}")
    total = sum((s.commission for s in earned.slices), start=earned.in_plan * 0)
    lines.append(f"Commission before caps: {in_plan(total)} {pc}")
    for cap in earned.caps:
        lines.append(f"{cap.name.capitalize()} {in_plan(cap.limit)} {pc}: {in_plan(cap.before)} -> "
                     f"{in_plan(cap.after)}")
    if not earned.caps:
        lines.append("Caps: none applied")
    if deal.currency != pc:
        lines.append(f"In deal currency: {in_plan(earned.in_plan)} / {shown(earned.fx or Decimal(0))} = "
                     f"{in_deal(earned.unrounded)} {deal.currency}")
    lines.append(f"Rounded once ({earned.rounding}): {in_deal(earned.due)} {deal.currency}")
    return "\n".join(lines)
