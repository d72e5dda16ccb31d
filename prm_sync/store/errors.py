"""Errors raised by the store (their place in the whole tree: prm_sync.errors). Every message is
one line a user can act on, and names the store by its URL with any password hidden.

    StoreError                  anything that stops us from using the store
    ├── BadStoreUrl             the URL is not one we can open (unknown backend, malformed)
    ├── StoreUnavailable        cannot connect / open: missing directory, read-only file or disk,
    │                           not a database, connection refused, authentication failed
    ├── NotAPrmStore            the database holds tables that are not prm-sync's; nothing touched
    ├── StoreNotInitialized     empty database: run `prm-sync init` or `prm-sync db upgrade`
    ├── SchemaBehind            older schema: run `prm-sync db upgrade`
    ├── SchemaAhead             schema written by a newer prm-sync
    └── LockHeld                another prm-sync run holds the run lock (CLI exit code 75)
        └── LockBroken          this run's lock was broken as stale: it may not commit (exit 75)
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error; `str(err)` is the one-line message for the user."""


class BadStoreUrl(StoreError):
    """The store URL names a backend or form we do not support."""


class StoreUnavailable(StoreError):
    """The store exists in config but cannot be opened or reached."""


class NotAPrmStore(StoreError):
    """The database has tables, but no prm-sync schema version: it belongs to something else."""


class StoreNotInitialized(StoreError):
    """The database is empty: no prm-sync schema yet."""


class SchemaBehind(StoreError):
    """The store's schema is older than this prm-sync needs."""

    def __init__(self, message: str, *, current: str, head: str) -> None:
        super().__init__(message)
        self.current = current
        self.head = head


class SchemaAhead(StoreError):
    """The store's schema revision is unknown here: written by a newer prm-sync."""

    def __init__(self, message: str, *, current: str, head: str) -> None:
        super().__init__(message)
        self.current = current
        self.head = head


class LockHeld(StoreError):
    """Another run holds this store's run lock. `holder` describes it, as far as known; `stale`
    says it is past its run deadline (then cron's quiet mode reports it: someone must look)."""

    def __init__(self, message: str, *, holder: str, stale: bool = False) -> None:
        super().__init__(message)
        self.holder = holder
        self.stale = stale

    @property
    def worth_reporting(self) -> bool:
        """False for the normal overlap of two cron runs, which `-q` keeps silent."""
        return self.stale


class LockBroken(LockHeld):
    """This run's lock was broken as stale by another run (fencing): it must stop committing."""

    def __init__(self, message: str) -> None:
        super().__init__(message, holder="another run", stale=True)
