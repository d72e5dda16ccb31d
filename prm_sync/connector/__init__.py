"""The connector contract: the ONLY part of prm_sync a connector package imports.

A CRM connector (connectors/salesforce, connectors/hubspot, a third-party package) is found through
the `prm_sync.connectors` entry point and builds a `Connector` from the config. Everything it needs
from prm_sync is named here; `__all__` is pinned by tests/unit/connector/test_contract_surface.py,
so a change to the contract is a visible, reviewed change. The error tree is described once, in
prm_sync.errors.
"""

from typing import TYPE_CHECKING, Any

from prm_sync.connector.budget import DailyBudget
from prm_sync.connector.deadline import call_timeouts, capped_sleep
from prm_sync.connector.protocol import DEFAULT_PUSH_BATCH, Capabilities, Connector, SettledRechecks
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
from prm_sync.crm_plugins import CrmPlugin, CrmTimeouts, SecretField, SecureUrl
from prm_sync.domain.fields import FieldKind
from prm_sync.errors import (
    BudgetExhausted,
    ConfigError,
    CrmError,
    CrmUnavailable,
    MissingCrmField,
    Problem,
    TransientCrmError,
)
from prm_sync.mapping import EntityMapper
from prm_sync.mapping.values import format_datetime, format_decimal
from prm_sync.sandbox import Sandbox

if TYPE_CHECKING:
    from prm_sync.config import Config


def __getattr__(name: str) -> Any:
    """`Config` is loaded on first use: prm_sync.config finds the installed CRMs, whose settings
    modules import this package, so this package must not import prm_sync.config at its own import."""
    if name == "Config":
        from prm_sync.config import Config

        return Config
    raise AttributeError(name)


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
