"""Commission calculation: pure rules from deal facts and the `commissions` config to line changes.

    calculate(settings, deals) -> {deal id: Earned}     plan, schedule, bonus, accelerator, caps, rounding
    calculate_spiffs(settings, deals, base, locked)    SPIFF lines: window, value, caps, budget
    explain(earned) -> str                               the line's explanation text
    reconcile(earned, existing lines) -> LineChanges     new / updated / retired lines, clawbacks
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prm_sync.domain.commissions.calculate import calculate
    from prm_sync.domain.commissions.explain import explain
    from prm_sync.domain.commissions.model import CapStep, DealFacts, Earned, Slice, SpiffEarned
    from prm_sync.domain.commissions.money import MissingFx, convert, round_money
    from prm_sync.domain.commissions.periods import Period, parse_period, period_of
    from prm_sync.domain.commissions.reconcile import (
        LOCKED_STATUSES,
        LineChanges,
        LineState,
        LineValues,
        reconcile,
    )
    from prm_sync.domain.commissions.schedule import plan_for
    from prm_sync.domain.commissions.spiffs import calculate_spiffs

#: Loaded on first use (PEP 562): config.yaml validation imports `.plans` (the settings model),
#: which must not pull the whole calculator into a store-only command such as `partners list`.
_LAZY = {
    "calculate": "calculate", "explain": "explain",
    **dict.fromkeys(["CapStep", "DealFacts", "Earned", "Slice", "SpiffEarned"], "model"),
    **dict.fromkeys(["MissingFx", "convert", "round_money"], "money"),
    **dict.fromkeys(["Period", "parse_period", "period_of"], "periods"),
    **dict.fromkeys(["LOCKED_STATUSES", "LineChanges", "LineState", "LineValues", "reconcile"], "reconcile"),
    "plan_for": "schedule", "calculate_spiffs": "spiffs",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
