"""The PRM store: tables, opening a store, schema versions, the run lock.

Importing this package creates no engine, session or file; `open_store(url)` does.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from prm_sync.store.bookkeeping import link_for_crm, link_for_prm, load_cursor, save_cursor
from prm_sync.store.engine import Store, open_store, parse_store_url
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
from prm_sync.store.schema import check_schema, current_revision, head_revision, upgrade
from prm_sync.store.tables import (
    STORE_METADATA,
    Certification,
    CommissionLine,
    Conflict,
    Contract,
    Deal,
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

if TYPE_CHECKING:
    from prm_sync.store.locks import lock_status, run_lock

#: Loaded on first use (PEP 562): a read-only command (`partners list`) takes no lock, so it need
#: not import filelock (issue 17).
_LAZY = {"lock_status": "prm_sync.store.locks", "run_lock": "prm_sync.store.locks"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "STORE_METADATA",
    "BadStoreUrl",
    "Certification",
    "CommissionLine",
    "Conflict",
    "Contract",
    "Deal",
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
