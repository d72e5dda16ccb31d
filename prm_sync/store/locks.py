"""One sync run at a time per store.

SQLite: an OS file lock on `<dbfile>.lock` (released by the kernel if the holder dies), with
the holder's pid, host and start time in `<dbfile>.lock.holder` for the error message.
PostgreSQL: a session advisory lock on a dedicated connection held for the run (released by
the server when that connection ends, including when the holder is killed).
Both fail at once when the lock is taken: cron will simply try again next time.

A real run also takes a fencing token and records its deadline in the store (fence.py): a holder
still there past its deadline is reported stale, and `sync --break-stale-lock` breaks it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from prm_sync.store import fence
from prm_sync.store.engine import Store, unavailable
from prm_sync.store.errors import LockHeld
from prm_sync.store.types import utcnow

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes a signed 64-bit key: the first 8 bytes of sha256("prm-sync").
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"prm-sync").digest()[:8], "big", signed=True)
#: how long a breaker waits for the broken holder's lock to go (PostgreSQL ends a terminated
#: backend asynchronously)
BREAK_WAIT_S = 10.0


@dataclass(frozen=True)
class LockGrant:
    """What holding the lock gives a run: its fencing token (None when the run is not fenced:
    a dry run, an in-memory store, or a caller that asked for no fencing)."""

    generation: int | None = None


@dataclass(frozen=True)
class HeldBy:
    """The holder of the OS-level lock: `owner` matches run_fence.owner, `holder` is for people."""

    owner: str | None
    holder: str


@contextmanager
def run_lock(store: Store, *, max_run_seconds: float | None = None, fenced: bool = False,
             break_stale: bool = False) -> Iterator[LockGrant]:
    """Hold the store's run lock for the block; raise LockHeld at once if another run has it.

    `fenced`: take a fencing token (run_fence.generation) and record the holder and its deadline
    (`max_run_seconds`), so that the lock can be reported stale and broken. `break_stale`: when
    the holder is stale, fence it out and take the lock (a holder that is not stale is never
    broken)."""
    if store.backend == "sqlite" and store.sqlite_path is None:  # in-memory: private to this process
        yield LockGrant()
        return
    os_lock: _SqliteLock | _PostgresLock = _SqliteLock(store) if store.backend == "sqlite" else _PostgresLock(store)
    try:
        owner = os_lock.acquire()
    except _Taken as taken:
        owner = _break_or_refuse(store, os_lock, taken.held_by, break_stale)
    generation: int | None = None
    try:
        if fenced:
            generation = fence.claim(store, owner=owner, holder=os_lock.describe_self(),
                                     max_run_seconds=max_run_seconds)
        yield LockGrant(generation)
    finally:
        try:
            if generation is not None:
                with suppress(DBAPIError):
                    fence.release(store, generation)
        finally:
            os_lock.release()


def lock_status(store: Store) -> dict[str, object]:
    """For `status`: whether a run holds the lock, who, until when, and whether it is stale.

    Looks without taking the lock (a run starting meanwhile must not find it taken by `status`):
    PostgreSQL's pg_locks says who holds the advisory lock; for SQLite the last claim in
    run_fence is held while its process lives (same host)."""
    state = fence.read(store)
    now = utcnow()
    held_by: HeldBy | None
    if store.backend == "postgresql":
        held_by = _PostgresLock(store).current_holder()
    elif state is not None and state.released_at is None and state.owner and _process_alive(state.owner):
        held_by = HeldBy(state.owner, state.holder or "holder unknown")
    else:
        held_by = None
    current = state if state is not None and held_by is not None and state.describes(held_by.owner) else None
    return {
        "held": held_by is not None,
        "holder": held_by.holder if held_by else None,
        "generation": state.generation if state else None,
        "acquired_at": current.acquired_at.isoformat() if current and current.acquired_at else None,
        "deadline_at": current.deadline_at.isoformat() if current and current.deadline_at else None,
        "stale": bool(current and current.stale(now)),
    }


class _Taken(Exception):
    def __init__(self, held_by: HeldBy) -> None:
        super().__init__(held_by.holder)
        self.held_by = held_by


def _break_or_refuse(store: Store, os_lock: _SqliteLock | _PostgresLock, held_by: HeldBy,
                     break_stale: bool) -> str:
    """The lock is taken: raise LockHeld (saying whether the holder is stale), or break it."""
    state = fence.read(store)
    now = utcnow()
    current = state if state is not None and state.describes(held_by.owner) else None
    stale = bool(current and current.stale(now))
    message = f"another prm-sync run holds the lock on {store.display_url} ({held_by.holder})"
    if current is not None:
        message += current.describe_deadline(now)
    if not (break_stale and stale and current is not None):
        if break_stale and not stale:
            message += "; it is not stale, so it was not broken"
        raise LockHeld(message, holder=held_by.holder, stale=stale)
    try:
        fence.fence_out(store, current.generation)
    except DBAPIError as err:  # e.g. SQLite: the frozen holder is inside a write transaction
        raise LockHeld(f"{message}; breaking it failed, the store could not be written: {err.orig}",
                       holder=held_by.holder, stale=True) from None
    os_lock.break_holder(held_by)
    log.warning("broke the stale run lock on %s held by %s", store.display_url, held_by.holder)
    waited_until = time.monotonic() + BREAK_WAIT_S
    while True:
        try:
            return os_lock.acquire()
        except _Taken as taken:
            if time.monotonic() > waited_until:
                raise LockHeld(f"the stale lock on {store.display_url} was fenced but is still held "
                               f"({taken.held_by.holder}); try again", holder=taken.held_by.holder,
                               stale=True) from None
            time.sleep(0.05)


# ----- SQLite: a file lock ---------------------------------------------------------------------
def _this_process() -> str:
    return f"pid {os.getpid()}@{socket.gethostname()}"


def _process_alive(owner: str) -> bool:
    """Whether a SQLite run's owner ("pid N@host") still lives; another host's is assumed alive."""
    try:
        pid_text, host = owner.removeprefix("pid ").split("@", 1)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _SqliteLock:
    """An OS file lock on `<dbfile>.lock` (released by the kernel if the holder dies), with the
    holder's pid, host and start time in `<dbfile>.lock.holder`. Breaking a stale lock unlinks
    the lock file: the old holder keeps its lock on a file no one else opens any more, and the
    breaker locks a new one (filelock checks it locked the file that is at the path)."""

    def __init__(self, store: Store) -> None:
        assert store.sqlite_path is not None
        self.store = store
        self.lock_path = store.sqlite_path.with_name(store.sqlite_path.name + ".lock")
        self.holder_file = _holder_file(self.lock_path)
        self.lock: FileLock | None = None

    def acquire(self) -> str:
        lock = FileLock(self.lock_path, mode=0o600, thread_local=False)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            info = _read_holder_info(self.holder_file)
            raise _Taken(HeldBy(_owner_of(info), _describe_holder(info))) from None
        self.lock = lock
        _write_holder(self.holder_file)
        return _this_process()

    def describe_self(self) -> str:
        return _describe_holder(_read_holder_info(self.holder_file))

    def break_holder(self, held_by: HeldBy) -> None:
        with suppress(FileNotFoundError):
            self.lock_path.unlink()

    def release(self) -> None:
        if self.lock is None:
            return
        if _owner_of(_read_holder_info(self.holder_file)) == _this_process():  # not the breaker's
            with suppress(FileNotFoundError):
                self.holder_file.unlink()
        self.lock.release()
        self.lock = None


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


def _write_holder(path: Path) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow().isoformat()}
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(info, out)


def _read_holder_info(path: Path) -> dict[str, object] | None:
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _owner_of(info: dict[str, object] | None) -> str | None:
    if not info or "pid" not in info or "host" not in info:
        return None
    return f"pid {info['pid']}@{info['host']}"


def _describe_holder(info: dict[str, object] | None) -> str:
    try:
        assert info is not None
        return f"pid {info['pid']} on {info['host']} since {info['started_at']}"
    except (AssertionError, KeyError):
        return "holder unknown"


def _read_holder(path: Path) -> str:
    return _describe_holder(_read_holder_info(path))


# ----- PostgreSQL: a session advisory lock ------------------------------------------------------
class _PostgresLock:
    """A session advisory lock on a dedicated connection held for the run (released by the server
    when that connection ends, including when the holder is killed). Breaking a stale lock ends
    the holder's lock connection (pg_terminate_backend)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.connection: Connection | None = None

    def _connect(self) -> Connection:
        try:
            return self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as err:
            raise unavailable(self.store.display_url, err, password=self.store.url.password) from None

    def acquire(self) -> str:
        connection = self._connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar_one()
            if not got:
                raise _Taken(_postgres_holder(connection))
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        except BaseException:
            connection.close()
            raise
        self.connection = connection
        return f"backend {backend}"

    def describe_self(self) -> str:
        if self.connection is None:
            return "holder unknown"
        return _postgres_holder(self.connection).holder

    def current_holder(self) -> HeldBy | None:
        connection = self._connect()
        try:
            held = _postgres_holder(connection)
        finally:
            connection.close()
        return held if held.owner is not None else None

    def break_holder(self, held_by: HeldBy) -> None:
        if held_by.owner is None:
            return
        pid = int(held_by.owner.removeprefix("backend "))
        connection = self._connect()
        try:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        except DBAPIError as err:
            raise LockHeld(f"could not end the stale lock holder's connection (backend pid {pid}) on "
                           f"{self.store.display_url}: {err.orig}; ask a database administrator to run "
                           f"SELECT pg_terminate_backend({pid})", holder=held_by.holder, stale=True) from None
        finally:
            connection.close()

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            with suppress(DBAPIError):
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        finally:
            with suppress(DBAPIError):
                self.connection.close()
            self.connection = None


def _postgres_holder(connection: Connection) -> HeldBy:
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
        return HeldBy(None, "holder unknown")
    pid, application, client, started = row
    started_text = started.isoformat() if started is not None else "?"
    return HeldBy(f"backend {pid}", (
        f"backend pid {pid}, application {application or '?'!s}, "
        f"client {client or 'local'!s}, since {started_text}"
    ))
