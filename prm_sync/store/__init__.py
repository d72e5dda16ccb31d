"""The PRM store: tables, opening a store, schema versions, the run lock.

Importing this package creates no engine, session or file; `open_store(url)` does.
"""

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
from prm_sync.store.locks import lock_status, run_lock
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
