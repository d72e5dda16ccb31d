"""From what a deal has earned and the lines it already has, to the line changes to make.

Approved and paid lines are never touched. What they do not cover becomes one open line:
a `commission` line (status calculated) when more is due, a `clawback` line (negative,
status clawback) when less is due. An open line is updated in place, and open lines no
longer needed are retired, so recalculating an unchanged deal changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from prm_sync.domain.commissions.explain import explain
from prm_sync.domain.commissions.model import Earned, SpiffEarned
from prm_sync.domain.commissions.money import ZERO, shown

LOCKED_STATUSES = frozenset({"approved", "paid"})


@dataclass(frozen=True)
class LineState:
    """An existing, live commission line of the deal."""

    id: str
    amount: Decimal
    currency: str
    status: str
    kind: str
    period: str | None = None
    plan: str | None = None
    explanation: str | None = None

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_STATUSES


@dataclass(frozen=True)
class LineValues:
    kind: str
    status: str
    amount: Decimal
    currency: str
    period: str | None
    plan: str | None
    explanation: str


@dataclass
class LineChanges:
    create: list[LineValues] = field(default_factory=list)
    update: list[tuple[str, LineValues]] = field(default_factory=list)
    retire: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.retire)


def reconcile(earned: Earned | SpiffEarned, lines: list[LineState]) -> LineChanges:
    """`lines`: the live lines of this deal for this component (its commission, or one SPIFF)."""
    changes = LineChanges()
    currencies = sorted({line.currency for line in lines} | ({earned.currency} if earned.due and earned.currency
                                                             else set()))
    for currency in currencies:
        target = earned.due if currency == earned.currency else ZERO
        mine = [line for line in lines if line.currency == currency]
        locked = [line for line in mine if line.locked]
        open_lines = [line for line in mine if not line.locked]
        covered = sum((line.amount for line in locked), ZERO)
        missing = target - covered
        wanted = _wanted(earned, currency, target, locked, covered, missing) if missing else None
        keep = next((line for line in open_lines if wanted and line.kind == wanted.kind), None)
        changes.retire += [line.id for line in open_lines if line is not keep]
        if wanted is None:
            continue
        if keep is None:
            changes.create.append(wanted)
        elif (keep.amount, keep.explanation, keep.period, keep.plan, keep.status) != (
                wanted.amount, wanted.explanation, wanted.period, wanted.plan, wanted.status):
            changes.update.append((keep.id, wanted))
    return changes


def _wanted(earned: Earned | SpiffEarned, currency: str, target: Decimal, locked: list, covered: Decimal,
            missing: Decimal) -> LineValues:
    calculation = earned.text if isinstance(earned, SpiffEarned) else explain(earned)
    period = earned.period or max((line.period or "" for line in locked), default="") or None
    if not locked:
        return LineValues("commission", "calculated", missing, currency, period, earned.plan, calculation)
    ids = ", ".join(f"{line.id} ({line.status} {shown(line.amount)})" for line in locked)
    history = (f"Already approved or paid: {shown(covered)} {currency} in {ids}; now due {shown(target)} "
               f"{currency}; difference {shown(missing)} {currency}.")
    if missing > 0:
        text = f"Adjustment: the deal now earns more than was approved or paid. {history}\n{calculation}"
        return LineValues("commission", "calculated", missing, currency, period, earned.plan, text)
    why = earned.reason if earned.due == 0 and earned.reason else "the deal now earns less"
    if currency != earned.currency and earned.due:
        why = f"the deal is now in {earned.currency}"
    text = f"Clawback: {why}. {history}\n{calculation}"
    return LineValues("clawback", "clawback", missing, currency, period, earned.plan, text)
