"""The PRM store: tables, opening a store, schema versions, the run lock.

Importing this package creates no engine, session or file; `open_store(url)` does. Nor does it
import SQLAlchemy: the plain read path (prm_sync.store.plainread) lives in this package too.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from prm_sync.store.errors import (
    BadStoreUrl,
    LockBroken,
    LockHeld,
    NotAPrmStore,
    SchemaAhead,
    SchemaBehind,
    StoreError,
    StoreNotInitialized,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from prm_sync.store.bookkeeping import link_for_crm, link_for_prm, load_cursor, save_cursor
    from prm_sync.store.engine import Store, open_store, parse_store_url
    from prm_sync.store.locks import lock_status, run_lock
    from prm_sync.store.schema import check_schema, current_revision, head_revision, upgrade
    from prm_sync.store.tables import (
        STORE_METADATA,
        Certification,
        CommissionLine,
        Conflict,
        Contract,
        Deal,
        FundAllocation,
        FundBudget,
        FundClaim,
        FundHistory,
        FundRequest,
        Link,
        Notification,
        Partner,
        PartnerContact,
        PartnerStatusChange,
        PartnerTierChange,
        Quarantine,
        Registration,
        SyncCursor,
        SyncRun,
    )
    from prm_sync.store.types import Money, UtcDateTime, new_id, utcnow

#: Loaded on first use (PEP 562), so a store-only command pays only for what it touches (issue 17):
#: `partners list` takes no run lock (no filelock) and needs the partner tables only (each table
#: module is built on first use, see prm_sync.store.tables); on a plain store URL it needs no
#: SQLAlchemy at all (prm_sync.store.plainread).
_LAZY = {
    **dict.fromkeys(["Store", "open_store", "parse_store_url"], "prm_sync.store.engine"),
    **dict.fromkeys(["check_schema", "current_revision", "head_revision", "upgrade"], "prm_sync.store.schema"),
    **dict.fromkeys(["Money", "UtcDateTime", "new_id", "utcnow"], "prm_sync.store.types"),
    **dict.fromkeys(["link_for_crm", "link_for_prm", "load_cursor", "save_cursor"], "prm_sync.store.bookkeeping"),
    **dict.fromkeys(["lock_status", "run_lock"], "prm_sync.store.locks"),
    **dict.fromkeys(["STORE_METADATA", "Certification", "CommissionLine", "Conflict", "Contract", "Deal",
                     "FundAllocation", "FundBudget", "FundClaim", "FundHistory", "FundRequest", "Link",
                     "Notification", "Partner", "PartnerContact", "PartnerStatusChange", "PartnerTierChange",
                     "Quarantine", "Registration", "SyncCursor", "SyncRun"], "prm_sync.store.tables"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "STORE_METADATA",
    "BadStoreUrl",
    "Certification",
    "CommissionLine",
    "Conflict",
    "Contract",
    "Deal",
    "FundAllocation",
    "FundBudget",
    "FundClaim",
    "FundHistory",
    "FundRequest",
    "Link",
    "LockBroken",
    "LockHeld",
    "Money",
    "NotAPrmStore",
    "Notification",
    "Partner",
    "PartnerContact",
    "PartnerStatusChange",
    "PartnerTierChange",
    "Quarantine",
    "Registration",
    "SchemaAhead",
    "SchemaBehind",
    "Store",
    "StoreError",
    "StoreNotInitialized",
    "StoreUnavailable",
    "SyncCursor",
    "SyncRun",
    "UtcDateTime",
    "check_schema",
    "current_revision",
    "head_revision",
    "link_for_crm",
    "link_for_prm",
    "load_cursor",
    "lock_status",
    "new_id",
    "open_store",
    "parse_store_url",
    "run_lock",
    "save_cursor",
    "upgrade",
    "utcnow",
]
