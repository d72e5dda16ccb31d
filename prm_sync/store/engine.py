"""Opening a store: URL checks, the SQLite file, connection settings, units of work.

Nothing here runs at import: `open_store(url)` builds the engine when asked.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from prm_sync.store.errors import (
    BadStoreUrl,
    StoreError,
    StoreNotInitialized,
    StoreUnavailable,
)
from prm_sync.store.jsoncodec import dumps_json
from prm_sync.store.plainread import postgres_connect_args

Backend = Literal["sqlite", "postgresql"]

# WAL is not here: it is persistent and changes the file, so it is set by `upgrade` only once the
# file is known to be prm-sync's (a foreign SQLite file opened by mistake is left byte-for-byte alone).
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    # Checkpoint the WAL into the database every ~40 MB instead of SQLite's default ~4 MB: a page
    # of pulled records dirties more than 4 MB of a large store, so each commit paid a checkpoint
    # (measured: ~12 % of a 300,000-record pull). The last connection to close checkpoints the rest.
    "PRAGMA wal_autocheckpoint=10000",
    # 16 MB of page cache instead of SQLite's 2 MB: the indexes of a store of a few hundred
    # thousand records no longer fit in 2 MB, and each page of inserts then re-read index pages
    # from the OS (measured: ~12 % of a 300,000-record pull).
    "PRAGMA cache_size=-16000",
)


class Store:
    """An opened store: its engine and a way to run units of work. Close it when done."""

    def __init__(self, url: URL, engine: Engine, sqlite_path: Path | None) -> None:
        self.url = url
        self.engine = engine
        self.sqlite_path = sqlite_path

    @property
    def backend(self) -> Backend:
        return "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"

    @property
    def display_url(self) -> str:
        """The URL as it may be shown to a user or logged: the password is masked."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back on any exception.

        `write=True` takes SQLite's write lock at BEGIN (BEGIN IMMEDIATE), so a unit of work
        that reads and then writes waits for other writers (busy_timeout) instead of failing
        with "database is locked" half way. It makes no difference on PostgreSQL.
        """
        bind = self.engine.execution_options(prm_sync_immediate=True) if write else self.engine
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"


def open_store(url: str, *, create: bool = True) -> Store:
    """Open the store at `url` and check that it can be reached (not its schema: see schema.py).

    SQLite: the file is created with mode 0600 if missing (unless `create=False`, which raises
    StoreNotInitialized instead). `sqlite://` is an in-memory store (tests, dry runs).
    PostgreSQL: `postgresql://` or `postgresql+psycopg://`; psycopg 3 is the driver.
    """
    parsed = parse_store_url(url)
    display = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None:
            _ensure_sqlite_file(path, display, create=create)
        engine = _sqlite_engine(parsed, in_memory=path is None and not _is_uri(parsed))
    else:
        path = None
        engine = _postgres_engine(parsed)
    store = Store(parsed, engine, path)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as err:
        engine.dispose()
        raise unavailable(display, err, password=parsed.password) from None
    if parsed.get_backend_name() == "sqlite" and _read_only(parsed, path):
        # Fail now, not halfway through a run (access() reports a read-only disk even to root).
        engine.dispose()
        raise StoreUnavailable(f"cannot open store {display}: the store is read-only")
    return store


def _read_only(url: URL, path: Path | None) -> bool:
    if url.query.get("mode") == "ro" or "mode=ro" in (url.database or ""):
        return True
    return path is not None and path.exists() and not os.access(path, os.W_OK)


def parse_store_url(url: str) -> URL:
    """Parse and normalise a store URL; `postgresql://` means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadStoreUrl(f"store URL {_mask_raw(url)!r} is not a database URL") from None
    if parsed.drivername in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return parsed
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    raise BadStoreUrl(
        f"store URL {shown!r}: prm-sync supports sqlite:///FILE and postgresql+psycopg://… only"
    )


def unavailable(display: str, err: BaseException, *, password: str | None = None) -> StoreError:
    """A driver error as a one-line StoreUnavailable naming the store, never its password."""
    original = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = lines[0] if lines else type(original).__name__
    if isinstance(original, sqlite3.DatabaseError) and "not a database" in reason:
        reason = "the file is not an SQLite database"
    elif "readonly" in reason or "read-only" in reason:
        reason = f"the store is read-only ({reason})"
    if password:
        reason = reason.replace(password, "***")
    return StoreUnavailable(f"cannot open store {display}: {reason}")


def _mask_raw(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _is_uri(url: URL) -> bool:
    return str(url.query.get("uri", "")).lower() in ("true", "1")


def _sqlite_path(url: URL) -> Path | None:
    if not url.database or url.database == ":memory:" or _is_uri(url):
        return None
    return Path(url.database)


def _ensure_sqlite_file(path: Path, display: str, *, create: bool) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise StoreUnavailable(f"cannot open store {display}: directory {parent} does not exist")
    if path.is_dir():
        raise StoreUnavailable(f"cannot open store {display}: {path} is a directory")
    if path.exists():
        return
    if not create:
        raise StoreNotInitialized(
            f"store {display} does not exist: run `prm-sync init` or `prm-sync db upgrade`"
        )
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as err:
        raise StoreUnavailable(f"cannot create store {display}: {err.strerror}") from None
    os.close(fd)


def _sqlite_engine(url: URL, *, in_memory: bool) -> Engine:
    extra: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_engine(url, json_serializer=dumps_json, **extra)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get("prm_sync_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_engine(url: URL) -> Engine:
    return create_engine(url, json_serializer=dumps_json, pool_pre_ping=True, connect_args=postgres_connect_args())
