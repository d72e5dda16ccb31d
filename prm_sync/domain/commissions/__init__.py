"""Commission calculation: pure rules from deal facts and the `commissions` config to line changes.

    calculate(settings, deals) -> {deal id: Earned}     plan, schedule, bonus, accelerator, caps, rounding
    calculate_spiffs(settings, deals, base, locked)    SPIFF lines: window, value, caps, budget
    explain(earned) -> str                               the line's explanation text
    reconcile(earned, existing lines) -> LineChanges     new / updated / retired lines, clawbacks

Each name is imported on first use (PEP 562): loading config.yaml needs the plan models
(prm_sync.domain.commissions.plans) only, not the calculation (issue 17, CLI start-up).
"""

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prm_sync.domain.commissions.calculate import calculate
    from prm_sync.domain.commissions.explain import explain
    from prm_sync.domain.commissions.model import CapStep, DealFacts, Earned, Slice, SpiffEarned
    from prm_sync.domain.commissions.money import MissingFx, convert, round_money
    from prm_sync.domain.commissions.periods import Period, parse_period, period_of
    from prm_sync.domain.commissions.reconcile import LOCKED_STATUSES, LineChanges, LineState, LineValues, reconcile
    from prm_sync.domain.commissions.schedule import plan_for
    from prm_sync.domain.commissions.spiffs import calculate_spiffs

_MODULES = {
    "calculate": "calculate", "explain": "explain",
    **dict.fromkeys(["CapStep", "DealFacts", "Earned", "Slice", "SpiffEarned"], "model"),
    **dict.fromkeys(["MissingFx", "convert", "round_money"], "money"),
    **dict.fromkeys(["Period", "parse_period", "period_of"], "periods"),
    **dict.fromkeys(["LOCKED_STATUSES", "LineChanges", "LineState", "LineValues", "reconcile"], "reconcile"),
    "plan_for": "schedule", "calculate_spiffs": "spiffs",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})


class _Package(ModuleType):
    """`calculate` and `explain` name both a submodule and its function. Importing a submodule sets
    it as the package's attribute; here the function it is named for takes its place, as the eager
    `from .calculate import calculate` did, whoever imports the submodule first."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _MODULES.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
