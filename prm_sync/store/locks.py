"""One sync run at a time per store.

SQLite: an OS file lock on `<dbfile>.lock` (released by the kernel if the holder dies), with
the holder's pid, host and start time in `<dbfile>.lock.holder` for the error message.
PostgreSQL: a session advisory lock on a dedicated connection held for the run (released by
the server when that connection ends, including when the holder is killed).
Both fail at once when the lock is taken: cron will simply try again next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from prm_sync.store.engine import Store, unavailable
from prm_sync.store.errors import LockHeld
from prm_sync.store.types import utcnow

# pg_try_advisory_lock takes a signed 64-bit key: the first 8 bytes of sha256("prm-sync").
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"prm-sync").digest()[:8], "big", signed=True)


@contextmanager
def run_lock(store: Store) -> Iterator[None]:
    """Hold the store's run lock for the block; raise LockHeld at once if another run has it."""
    if store.backend == "sqlite":
        with _sqlite_lock(store):
            yield
    else:
        with _postgres_lock(store):
            yield


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


@contextmanager
def _sqlite_lock(store: Store) -> Iterator[None]:
    if store.sqlite_path is None:  # in-memory: private to this process, nothing to share
        yield
        return
    lock_path = store.sqlite_path.with_name(store.sqlite_path.name + ".lock")
    lock = FileLock(lock_path, mode=0o600, thread_local=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        holder = _read_holder(_holder_file(lock_path))
        raise LockHeld(
            f"another prm-sync run holds the lock on {store.display_url} ({holder})",
            holder=holder,
        ) from None
    holder_file = _holder_file(lock_path)
    try:
        _write_holder(holder_file)
        yield
    finally:
        with suppress(FileNotFoundError):
            holder_file.unlink()
        lock.release()


def _write_holder(path: Path) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow().isoformat()}
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(info, out)


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']} on {info['host']} since {info['started_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


@contextmanager
def _postgres_lock(store: Store) -> Iterator[None]:
    try:
        connection = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except DBAPIError as err:
        raise unavailable(store.display_url, err, password=store.url.password) from None
    try:
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar_one()
        if not got:
            holder = _postgres_holder(connection)
            raise LockHeld(
                f"another prm-sync run holds the lock on {store.display_url} ({holder})",
                holder=holder,
            )
        try:
            yield
        finally:
            with suppress(DBAPIError):
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
    finally:
        connection.close()


def _postgres_holder(connection: Connection) -> str:
    unsigned = ADVISORY_LOCK_KEY & 0xFFFFFFFFFFFFFFFF
    row = connection.execute(
        text(
            "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = CAST(:high AS oid) AND l.objid = CAST(:low AS oid) "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return "holder unknown"
    pid, application, client, started = row
    started_text = started.isoformat() if started is not None else "?"
    return (
        f"backend pid {pid}, application {application or '?'!s}, "
        f"client {client or 'local'!s}, since {started_text}"
    )
