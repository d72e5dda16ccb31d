"""Write a first load's big INSERTs in a worker thread while the main thread maps the next page.

In a first load, a fifth or more of the pull is the database's own work on the rows: SQLite's in
`executemany` (B-tree and index pages; the sqlite3 module runs it with the GIL released), the
PostgreSQL server's on a COPY (ingest, index upkeep, in its own process while the client waits on
a socket). Handed to a worker thread, it overlaps the main thread's Python work on the next page
(CSV, mapping, the PRM's rules), so on two cores much of it costs no wall time. What the worker
runs is prepared in the main thread (values bound, COPY text formatted: `sync/inserts.py`), so
it holds the GIL only between waits.

The order of what reaches the database does not change: any other statement on that connection,
a commit or a rollback first waits until every write handed over has run (SQLAlchemy's
`before_cursor_execute`, `commit` and `rollback` events). A write that fails is raised in the main
thread by the next statement or commit, as the same write in line raises it, and the unit of work
rolls back whole; writes handed over after it are not run.

Only writes of at least `MIN_ROWS` rows go this way (a small one costs more to hand over than it
gives), only on a file SQLite store (an in-memory connection belongs to its thread) or PostgreSQL
through psycopg, and only for the duration of one entity's first load (`pull_entity`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

MIN_ROWS = 200
#: INSERTs handed over and not yet run, at most (a page makes a few: its table and its links); a
#: main thread ahead of the writer then waits, so memory holds a couple of pages' values, not a unit's
MAX_PENDING = 8

_Job = Callable[[], object]


class WriteBehind:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=MAX_PENDING)
        self._error: BaseException | None = None
        self._failed = False  # a job failed: later jobs of the unit are skipped until it is drained
        self._target: Any = None  # the DBAPI connection the jobs handed over write to
        self._thread = threading.Thread(target=self._run, name="prm-sync-write", daemon=True)
        self._thread.start()
        event.listen(engine, "before_cursor_execute", self._before_statement)
        event.listen(engine, "commit", self._before_commit)
        event.listen(engine, "rollback", self._before_rollback)

    def submit(self, dbapi_connection: Any, job: _Job) -> None:
        """Run `job` (a write on `dbapi_connection`, SQLAlchemy's pooled connection's
        `dbapi_connection`, raising what it would raise in line) in the worker thread, after the
        jobs handed over before it."""
        if not self._thread.is_alive():
            raise RuntimeError("the write-behind thread has stopped")
        if dbapi_connection is not self._target:
            self.drain()  # another connection's jobs first (a unit of work's connection is one)
            self._target = dbapi_connection
        self._jobs.put(job)

    def drain(self) -> None:
        """Wait until every write handed over has run; raise the first that failed."""
        self._jobs.join()
        if self._error is not None:
            error, self._error, self._failed = self._error, None, False
            raise error

    def close(self) -> None:
        """Wait for what was handed over (its error is dropped: the caller is leaving anyway) and stop."""
        event.remove(self._engine, "before_cursor_execute", self._before_statement)
        event.remove(self._engine, "commit", self._before_commit)
        event.remove(self._engine, "rollback", self._before_rollback)
        self._jobs.join()
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if not self._failed:
                    try:
                        job()
                    except BaseException as exc:  # raised in the main thread by drain()
                        self._error, self._failed = exc, True
            finally:
                self._jobs.task_done()

    def _mine(self, connection: Any) -> bool:
        """Whether `connection` (SQLAlchemy's) is the one the jobs write to: other connections (a
        read of what earlier units committed, another thread's) need not wait for them."""
        if self._target is None:
            return False
        try:
            return connection.connection.dbapi_connection is self._target
        except Exception:  # a closed or invalidated connection: not one a job can write to
            return False

    def _before_statement(self, connection: Any, *_args: Any) -> None:
        if threading.current_thread() is not self._thread and self._mine(connection):
            self.drain()

    def _before_commit(self, connection: Any) -> None:
        if self._mine(connection):
            self.drain()

    def _before_rollback(self, connection: Any) -> None:
        if self._mine(connection):
            self._jobs.join()  # everything is undone: a failed INSERT's error has nothing left to say
            self._error, self._failed = None, False


def usable(engine: Engine) -> bool:
    """A file-backed SQLite store (its connections may be used from another thread) or PostgreSQL
    through psycopg (whose connections are thread-safe)."""
    dialect = engine.dialect
    if dialect.name == "sqlite":
        return not isinstance(engine.pool, StaticPool)
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


#: SQLite page cache of the reads beside the writes, KiB (a pooled connection gets its own back after)
READS_CACHE_KIB = 2000


@contextmanager
def committed_reads(engine: Engine) -> Iterator[Connection]:
    """A second connection for reading what earlier units of work committed while this one's writes
    run behind. On SQLite with a small page cache: what it reads (another entity's links by CRM id,
    partner names) is a few index pages per page of records, and a second full cache would make a
    big first load's peak memory grow with the store."""
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            yield connection
            return
        raw: Any = connection.connection.driver_connection
        (before,) = raw.execute("PRAGMA cache_size").fetchone()
        raw.execute(f"PRAGMA cache_size=-{READS_CACHE_KIB}")
        try:
            yield connection
        finally:
            raw.execute(f"PRAGMA cache_size={int(before)}")


def sqlite_executemany(dbapi_connection: Any, dialect: Any, sql: str, rows: Sequence[Any]) -> None:
    """`executemany` on the driver's connection, a failure raised as SQLAlchemy raises it in line."""
    try:
        dbapi_connection.executemany(sql, rows)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, list(rows[:1]), exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from exc


@contextmanager
def write_behind(engine: Engine, wanted: bool) -> Iterator[WriteBehind | None]:
    """A WriteBehind for the block when `wanted` and the store allows it, else None."""
    if not (wanted and usable(engine)):
        yield None
        return
    writer = WriteBehind(engine)
    try:
        yield writer
    finally:
        writer.close()
