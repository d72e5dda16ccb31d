"""The connector contract: the ONLY part of prm_sync a connector package imports.

A CRM connector (connectors/salesforce, connectors/hubspot, a third-party package) is found through
the `prm_sync.connectors` entry point and builds a `Connector` from the config. Everything it needs
from prm_sync is named here; `__all__` is pinned by tests/unit/connector/test_contract_surface.py,
so a change to the contract is a visible, reviewed change. The error tree is described once, in
prm_sync.errors.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Cheap, and what every CRM's settings module needs at config load: imported at once.
from prm_sync.crm_plugins import CrmPlugin, CrmTimeouts, SecretField, SecureUrl
from prm_sync.domain.fields import FieldKind
from prm_sync.errors import (
    BudgetExhausted,
    ConfigError,
    CrmError,
    CrmRefusedMapping,
    CrmUnavailable,
    MissingCrmField,
    Problem,
    TransientCrmError,
)

if TYPE_CHECKING:
    from prm_sync.config import Config
    from prm_sync.connector.budget import DailyBudget
    from prm_sync.connector.deadline import call_timeouts, capped_sleep
    from prm_sync.connector.protocol import (
        DEFAULT_PUSH_BATCH,
        Capabilities,
        Connector,
        PreparedChanges,
        PreparedReads,
        SettledRechecks,
    )
    from prm_sync.connector.retry import RetryPolicy, no_wait_policy
    from prm_sync.connector.setup import (
        CrmSetup,
        MappingPath,
        SetupConflict,
        SetupItem,
        SetupKind,
        SetupOutcome,
        SetupPlan,
        SetupRefusal,
        ValueRename,
    )
    from prm_sync.connector.types import (
        DONE,
        ApiUsage,
        CrmRecord,
        Cursor,
        Deletion,
        FieldInfo,
        Outcome,
        Page,
        PushRecord,
        UpsertResult,
        float_refused,
    )
    from prm_sync.mapping import EntityMapper
    from prm_sync.mapping.values import format_datetime, format_decimal
    from prm_sync.sandbox import Sandbox

#: The rest of the contract is loaded on first use (PEP 562): config.yaml validation imports every
#: installed CRM's settings module, which imports this package, and a store-only command
#: (`partners list`) needs neither the mapping compiler, tenacity nor the protocol (issue 17).
#: `Config` must be lazy anyway: prm_sync.config finds the installed CRMs, whose settings modules
#: import this package.
_LAZY = {
    **dict.fromkeys(["DailyBudget"], "prm_sync.connector.budget"),
    **dict.fromkeys(["call_timeouts", "capped_sleep"], "prm_sync.connector.deadline"),
    **dict.fromkeys(["DEFAULT_PUSH_BATCH", "Capabilities", "Connector", "PreparedChanges", "PreparedReads",
                     "SettledRechecks"],
                    "prm_sync.connector.protocol"),
    **dict.fromkeys(["RetryPolicy", "no_wait_policy"], "prm_sync.connector.retry"),
    **dict.fromkeys(["CrmSetup", "MappingPath", "SetupConflict", "SetupItem", "SetupKind", "SetupOutcome",
                     "SetupPlan", "SetupRefusal", "ValueRename"], "prm_sync.connector.setup"),
    **dict.fromkeys(["DONE", "ApiUsage", "CrmRecord", "Cursor", "Deletion", "FieldInfo", "Outcome", "Page",
                     "PushRecord", "UpsertResult", "float_refused"], "prm_sync.connector.types"),
    "EntityMapper": "prm_sync.mapping",
    **dict.fromkeys(["format_datetime", "format_decimal"], "prm_sync.mapping.values"),
    "Sandbox": "prm_sync.sandbox",
    "Config": "prm_sync.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_PUSH_BATCH",
    "DONE",
    "ApiUsage",
    "BudgetExhausted",
    "Capabilities",
    "Config",
    "ConfigError",
    "Connector",
    "CrmError",
    "CrmPlugin",
    "CrmRecord",
    "CrmRefusedMapping",
    "CrmSetup",
    "CrmTimeouts",
    "CrmUnavailable",
    "Cursor",
    "DailyBudget",
    "Deletion",
    "EntityMapper",
    "FieldInfo",
    "FieldKind",
    "MappingPath",
    "MissingCrmField",
    "Outcome",
    "Page",
    "PreparedChanges",
    "PreparedReads",
    "Problem",
    "PushRecord",
    "RetryPolicy",
    "Sandbox",
    "SecretField",
    "SecureUrl",
    "SettledRechecks",
    "SetupConflict",
    "SetupItem",
    "SetupKind",
    "SetupOutcome",
    "SetupPlan",
    "SetupRefusal",
    "TransientCrmError",
    "UpsertResult",
    "ValueRename",
    "call_timeouts",
    "capped_sleep",
    "float_refused",
    "format_datetime",
    "format_decimal",
    "no_wait_policy",
]
