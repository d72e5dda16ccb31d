"""A plain read of the store: the DB-API driver (sqlite3, psycopg) and SQL, without SQLAlchemy.

Importing SQLAlchemy and building the ORM tables costs a short read-only command (`partners list`)
more than its whole work (issue 17). Such a command asks `open_plain_store` first; it answers only
when everything is ordinary: a plain store URL (`sqlite:///FILE` without options, or
`postgresql[+psycopg]://...`), an SQLite file that exists and is writable (`open_store` refuses a
read-only one), and a store exactly at the shipped schema head (prm_sync.store.revisions). In every
other case it returns None and the command takes the full path (`open_store` + `check_schema`),
which acts, and explains any problem, exactly as before. A PostgreSQL server that cannot be reached
is reported here, in `open_store`'s words (so its connect timeout is not waited for twice).

The SQL a command sends here is its own, against column names the migrations made; tests compare
each plain read with the ORM's answer on both stores.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

from prm_sync.store.revisions import VERSION_TABLE, shipped_head

PG_CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_MS = 5000   # as the full path's PRAGMA busy_timeout

_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)")
_POSTGRES_URL = re.compile(r"postgresql(?:\+psycopg)?://(?P<rest>[^#]*)")


def postgres_connect_args() -> dict[str, Any]:
    """What every PostgreSQL connection of prm-sync is opened with (the full path's engine too)."""
    return {"application_name": f"prm-sync {socket.gethostname()}:{os.getpid()}"[:63],
            "connect_timeout": PG_CONNECT_TIMEOUT_S}


class PlainStore:
    """An open DB-API connection in one read transaction (one snapshot for every query).

    `rows(sql, params)` takes `?` placeholders on both backends. Close it (or use `with`)."""

    def __init__(self, backend: Literal["sqlite", "postgresql"], connection: Any) -> None:
        self.backend = backend
        self.connection = connection

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def close(self) -> None:
        try:
            self.connection.rollback()   # a read: nothing to keep
        finally:
            self.connection.close()

    def __enter__(self) -> PlainStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def sqlite_file(url: str, base_dir: Path) -> Path | None:
    """The file of a plain `sqlite:///FILE` URL (relative to `base_dir`, as the full path resolves
    it); None for any other URL (in-memory, options, URIs, percent-escapes, another backend)."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None or found["path"] == ":memory:":
        return None
    path = Path(found["path"])
    return path if path.is_absolute() else (base_dir / path).resolve()


def open_plain_store(url: str, base_dir: Path) -> PlainStore | None:
    """The store at `url`, opened plainly and checked to be at the shipped schema head; None when
    the full path must decide (see the module's docstring)."""
    head = shipped_head()
    if head is None:
        return None
    path = sqlite_file(url, base_dir)
    if path is not None:
        store = _open_sqlite(path)
    elif _POSTGRES_URL.fullmatch(url):
        store = _open_postgres(url)
    else:
        return None
    if store is None:
        return None
    try:
        versions = store.rows(f"SELECT version_num FROM {VERSION_TABLE}")
    except Exception:   # no version table, not a database...: the full path says which
        store.close()
        return None
    if [row[0] for row in versions] != [head]:
        store.close()
        return None
    return store


def _open_sqlite(path: Path) -> PlainStore | None:
    # what open_store(create=False) and its read-only check would refuse, the full path refuses
    if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
        return None
    try:
        # mode=rw: never creates the file; isolation_level=None: BEGIN is ours (one snapshot)
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.execute("BEGIN")
    except sqlite3.Error:
        connection.close()
        return None
    return PlainStore("sqlite", connection)


def _open_postgres(url: str) -> PlainStore | None:
    import psycopg

    conninfo = "postgresql://" + url.split("://", 1)[1]
    try:
        connection = psycopg.connect(conninfo, **postgres_connect_args())
    except psycopg.OperationalError as err:
        # the server cannot be reached or refuses us: said as open_store says it (SQLAlchemy only now)
        from prm_sync.store.engine import parse_store_url, unavailable

        parsed = parse_store_url(url)
        raise unavailable(parsed.render_as_string(hide_password=True), err, password=parsed.password) from None
    except psycopg.Error:
        return None
    return PlainStore("postgresql", connection)
