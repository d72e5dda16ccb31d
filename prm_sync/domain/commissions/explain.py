"""The text a commission line carries: how its amount was reached, step by step."""

from __future__ import annotations

from prm_sync.domain.commissions.model import Earned
from prm_sync.domain.commissions.money import shown
from prm_sync.domain.commissions.schedule import percent


def explain(earned: Earned) -> str:
    deal = earned.deal
    amount = f"{shown(deal.amount)} {deal.currency}" if deal.amount is not None else "no amount"
    lines = [f"Deal {deal.deal_id} (partner {deal.partner_id}), close date {deal.close_date or 'none'}, {amount}"]
    if earned.plan is None or earned.reason:
        if earned.plan:
            lines.append(f"Plan: {earned.plan}")
        lines.append(f"Nothing due: {earned.reason}")
        return "\n".join(lines)
    pc = earned.plan_currency
    plan_line = f"Plan: {earned.plan} ({pc})"
    if deal.currency != pc:
        plan_line += (f"; fx 1 {deal.currency} = {shown(earned.fx or 0)} {pc}: "
                      f"deal = {shown(earned.amount_in_plan or 0)} {pc}")
    lines.append(plan_line)
    lines.append(f"Schedule: {earned.schedule}")
    if earned.bonus:
        lines.append(f"Registration bonus: +{percent(earned.bonus)} (the deal came from an approved registration)")
    if earned.accelerator:
        lines.append(f"Accelerator: {earned.accelerator}")
    lines.append(f"Slices ({pc}):")
    for s in earned.slices:
        steps = f"{shown(s.amount)} x {percent(s.rate)}"
        if earned.bonus or s.accelerated:
            rate = f"({percent(s.base_rate)} + {percent(earned.bonus)})" if earned.bonus else percent(s.base_rate)
            rate = f"{rate} x multiplier" if s.accelerated else rate
            steps = f"{shown(s.amount)} x {rate} = {steps}"
        lines.append(f"  {shown(s.low)} to {shown(s.high)} [{s.source}]: {steps} = {shown(s.commission)}")
    total = sum((s.commission for s in earned.slices), start=earned.in_plan * 0)
    lines.append(f"Commission before caps: {shown(total)} {pc}")
    for cap in earned.caps:
        lines.append(f"{cap.name.capitalize()} {shown(cap.limit)} {pc}: {shown(cap.before)} -> {shown(cap.after)}")
    if not earned.caps:
        lines.append("Caps: none applied")
    if deal.currency != pc:
        lines.append(f"In deal currency: {shown(earned.in_plan)} / {shown(earned.fx or 0)} = "
                     f"{shown(earned.unrounded)} {deal.currency}")
    lines.append(f"Rounded once ({earned.rounding}): {shown(earned.due)} {deal.currency}")
    return "\n".join(lines)
