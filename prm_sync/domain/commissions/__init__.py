"""Commission calculation: pure rules from deal facts and the `commissions` config to line changes.

    calculate(settings, deals) -> {deal id: Earned}     plan, schedule, bonus, accelerator, caps, rounding
    calculate_spiffs(settings, deals, base, locked)    SPIFF lines: window, value, caps, budget
    explain(earned) -> str                               the line's explanation text
    reconcile(earned, existing lines) -> LineChanges     new / updated / retired lines, clawbacks
"""

from prm_sync.domain.commissions.calculate import calculate
from prm_sync.domain.commissions.explain import explain
from prm_sync.domain.commissions.model import CapStep, DealFacts, Earned, Slice, SpiffEarned
from prm_sync.domain.commissions.money import MissingFx, convert, round_money
from prm_sync.domain.commissions.periods import Period, parse_period, period_of
from prm_sync.domain.commissions.reconcile import LOCKED_STATUSES, LineChanges, LineState, LineValues, reconcile
from prm_sync.domain.commissions.schedule import plan_for
from prm_sync.domain.commissions.spiffs import calculate_spiffs

__all__ = [
    "LOCKED_STATUSES",
    "CapStep",
    "DealFacts",
    "Earned",
    "LineChanges",
    "LineState",
    "LineValues",
    "MissingFx",
    "Period",
    "Slice",
    "SpiffEarned",
    "calculate",
    "calculate_spiffs",
    "convert",
    "explain",
    "parse_period",
    "period_of",
    "plan_for",
    "reconcile",
    "round_money",
]
