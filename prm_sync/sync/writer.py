"""A second process that writes a first load's new rows while this one maps the next pages.

Why a process: a first load's Python work (reading, mapping, the PRM rules, binding values, the
sqlite3 module's and psycopg's work) holds the GIL, so a writer *thread* only takes turns with the
mapping (measured: bench/PROFILE.md, sessions 6 and 7). A process has its own interpreter: on a
machine with two cores the rows of page N are bound and written while page N+1 is mapped.

What it writes, and in what order (so that a crash anywhere loses nothing):

- Only the new rows of an entity that was empty when this run began pulling it (a first load,
  `sync/pull.py`'s `fresh`), and the cursor that covers them: the rows and the cursor of a unit of
  work commit together in the writer's transaction, as they do in line. The run's own process
  keeps reading the store, in transactions that write nothing (SQLite: no write lock), so the
  writer is never blocked by it.
- Anything else the run's process must write during such a pull (a quarantined record, a
  notification, a record found twice: the general path) first *settles* the writer: everything
  handed to it is committed, and the run's transaction becomes a writing one (SQLite: BEGIN
  IMMEDIATE, after the writer's last commit, so it sees those rows). The rest of that unit of
  work is then written in line, as without the writer; the next unit starts with the writer again
  (a rare false "maybe" of the first load's id filter costs one unit, not the entity).
- Each commit of the writer checks the run lock's fencing token in its own transaction (a run
  whose lock was broken as stale commits nothing more: LockBroken, as in line).
- If the run's process dies, the writer reads the end of its pipe, rolls back the unit it holds
  and exits: what was committed is whole units, as in line. If the writer dies, the run fails at
  its next hand-over with a StoreError saying so.

The values cross the pipe as they are in the drafts (pickled tuples in the table's column order,
taken when the page's rows are complete, as in line): the writer binds and INSERTs them with the
very code the in-line path uses (`sync/inserts.py`), so the stored rows are the same
(tests/e2e/test_write_process.py).
"""

from __future__ import annotations

import gc
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from multiprocessing.connection import Connection
from typing import Any, Literal, NoReturn

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection as SaConnection
from sqlalchemy.exc import DBAPIError

from prm_sync.store import Store, StoreError
from prm_sync.sync.inserts import columns_of, values_of, write_rows

#: "auto" uses the writer for a first load once it has read at least this many records (from the
#: unit of work that page opens on: Salesforce's first page of 2,000; HubSpot's fifth page of 200)
AUTO_MIN_RECORDS = 1_000
#: pages handed over but not yet taken by the writer: the run's process waits beyond this
QUEUE_PAGES = 2
#: how long closing waits for the writer to finish what it was handed
CLOSE_TIMEOUT_S = 300.0
#: allocations between young-generation collections while rows go by the hundred thousand: the
#: run's process during a run (sync/engine.py _BulkGc, which imports it from here: the writer
#: process must not import the engine) and the writer process
GC_GEN0_THRESHOLD = 100_000

WriteProcess = Literal["auto", "on", "off"]

Encoded = list[tuple[type[Any], tuple[str, ...], list[Any], tuple[tuple[int, type], ...]]]


class WriterFailed(StoreError):
    """The writer process ended without being asked to, or could not report its error."""


def cpus_available() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wanted(setting: WriteProcess, store: Store, records_read: int) -> bool:
    """Whether a first load should use the writer: a store another process can open (not an
    in-memory SQLite), a second core to run it on, and (auto) enough records read so far to pay
    for the process (~0.5 s of start-up on the other core)."""
    if setting == "off" or (store.backend == "sqlite" and store.sqlite_path is None):
        return False
    if setting == "on":
        return True
    return cpus_available() >= 2 and records_read >= AUTO_MIN_RECORDS


class FirstLoadWriter:
    """The run's side of the writer process (one per run, started on first use)."""

    def __init__(self, store: Store, generation: int | None) -> None:
        self._store = store
        self._generation = generation
        self._process: subprocess.Popen[bytes] | None = None
        self._to_child: Connection | None = None
        self._from_child: Connection | None = None
        self._outbox: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_PAGES)
        self._sender: threading.Thread | None = None
        self._send_error: BaseException | None = None
        self._sent = 0      # commits handed over
        self._acked = 0     # ... that the writer has committed
        self._open = False  # rows handed over since the last commit
        self._failed = False  # the writer has reported an error or gone
        self.active = False  # this entity's new rows go to the writer

    # -- the pull's side ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the process now (it opens the store meanwhile), ahead of the first hand-over."""
        if self._process is None and not self._failed:
            self._start()

    def behind(self) -> bool:
        """Whether a hand-over now would wait: the pages handed over fill the queue (the writer is
        slower than the pull at this moment)."""
        return self._outbox.full()

    def rows(self, batches: Encoded) -> None:
        """Hand over a page's new rows (`encode`d): written in the writer's open unit of work."""
        if batches:
            self._put(("rows", batches))
            self._open = True

    def commit(self, cursor: tuple[str, str, datetime, str | None] | None) -> None:
        """End the unit of work: the writer commits the rows handed over since the last commit and
        `cursor` ((entity, stream, modstamp, record_id): saved in the same transaction)."""
        self._sent += 1
        self._put(("commit", self._sent, cursor))
        self._open = False
        self._collect(block=False)

    def drain(self) -> None:
        """Wait until everything handed over is committed (rows of an open unit too: rows first,
        their cursor later, is what a crash may leave, and a rerun finds them by their links)."""
        if self._process is None:
            return
        if self._open:
            self.commit(None)
        while self._acked < self._sent:
            self._collect(block=True)

    def settle(self, connection: SaConnection) -> None:
        """Before the run's process writes in its own unit of work (`connection`'s transaction):
        the writer has committed all it was handed, this transaction writes from here on (SQLite:
        it is begun again as BEGIN IMMEDIATE, after those commits) and the rest of this unit of
        work is written in line."""
        if not self.active:
            return
        self.active = False
        self.drain()
        if connection.dialect.name == "sqlite":
            raw = connection.connection.driver_connection
            assert raw is not None
            if raw.in_transaction:
                raw.execute("COMMIT")  # it has written nothing: only reads end here
            raw.execute("BEGIN IMMEDIATE")

    @contextmanager
    def guard(self, connection: SaConnection) -> Iterator[None]:
        """While the writer is active, a statement that would write in `connection` (the run's unit
        of work) settles the writer first."""

        def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if self.active and not _reads(statement):
                self.settle(conn)

        event.listen(connection, "before_cursor_execute", before)
        try:
            yield
        finally:
            event.remove(connection, "before_cursor_execute", before)

    def abandon(self) -> None:
        """The pull failed or stopped: what was handed over as committed units is committed (as in
        line: those units had closed), the open unit's rows are rolled back, the writer ends."""
        self.active = False
        if self._process is None:
            return
        self._open = False
        self.close(raise_errors=False)

    def close(self, *, raise_errors: bool = True) -> None:
        """Stop the writer after it has done what it was handed. With `raise_errors` (the run went
        well so far), an error of the writer's is raised; without, nothing is (the run is already
        failing with its own error, which must not be masked)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if self._sender is not None and self._sender.is_alive():
                try:  # also wakes the feed thread when the writer has failed: its send then fails, it ends
                    self._outbox.put(("stop",), timeout=CLOSE_TIMEOUT_S)
                except queue.Full:
                    process.kill()
                self._sender.join(CLOSE_TIMEOUT_S)
            while raise_errors and not self._failed and self._acked < self._sent:
                self._collect(block=True, process=process)
        finally:
            try:
                process.wait(CLOSE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for end in (self._to_child, self._from_child):
                if end is not None:
                    end.close()
            self._to_child = self._from_child = None

    # -- plumbing ---------------------------------------------------------------------------------

    def _start(self) -> None:
        parent_reads, child_writes = os.pipe()
        child_reads, parent_writes = os.pipe()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "prm_sync.sync.writer", str(child_reads), str(child_writes)],
            pass_fds=(child_reads, child_writes), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        os.close(child_reads)
        os.close(child_writes)
        self._to_child = Connection(parent_writes, readable=False)
        self._from_child = Connection(parent_reads, writable=False)
        # the URL (with its password, if any) goes through the pipe, never a command line
        self._outbox.put(("open", self._store.url.render_as_string(hide_password=False), self._generation))
        self._sender = threading.Thread(target=self._send_all, name="prm-sync-writer-feed", daemon=True)
        self._sender.start()

    def _put(self, message: tuple[Any, ...], *, started: bool = False) -> None:
        if self._process is None and not started:
            self._start()
        if self._send_error is not None:
            self._fail()
        while True:
            try:
                self._outbox.put(message, timeout=1.0)
                return
            except queue.Full:
                self._collect(block=False)  # an error of the writer's, not a wait for ever
                if self._send_error is not None:
                    self._fail()

    def _send_all(self) -> None:
        """The feed thread: pickling and writing to the pipe happen here, so the pull goes on while
        the pipe is full (the writer busy or still starting)."""
        assert self._to_child is not None
        while True:
            message = self._outbox.get()
            try:
                self._to_child.send(message)
            except BaseException as exc:  # a writer that has gone: said at the next hand-over
                self._send_error = exc
                return
            if message[0] == "stop":
                return

    def _collect(self, *, block: bool, process: subprocess.Popen[bytes] | None = None) -> None:
        """Read the writer's answers (all waiting ones; with `block`, at least one)."""
        source = self._from_child
        if source is None:
            return
        while block or source.poll():
            block = False
            try:
                answer = source.recv()
            except (EOFError, OSError):
                self._fail(process)
            if answer[0] == "ok":
                self._acked = answer[1]
            else:
                self.active, self._failed = False, True
                raise answer[2]

    def _fail(self, process: subprocess.Popen[bytes] | None = None) -> NoReturn:
        process = process or self._process
        code = process.poll() if process is not None else None
        self.active, self._failed = False, True
        raise WriterFailed(f"the store's writer process ended unexpectedly (exit code {code}); the units of "
                           "work it had committed are kept, the run stops here")


def encode(batches: list[tuple[type[Any], list[Any]]]) -> Encoded:
    """Drafts as (table, columns, value rows, sent): taken now, as the in-line write would take
    them. `sent`: columns whose dates went as day numbers and Decimals as text, pickled ~10x faster
    (a date or a Decimal is pickled through its `__reduce__`: ~2.8 us each); `decode` turns
    them back. A column is sent so only when every value of it in the batch is None or of that
    very class, so nothing else is ever turned into a date or a Decimal."""
    encoded = []
    for table, rows in batches:
        columns = columns_of(table)
        taken: list[Any] = values_of(table, rows)
        sent = [(index, kind) for index, kind in _slow_columns(table)  # type: ignore[arg-type]  # a model class is hashable
                if all(row[index] is None or row[index].__class__ is kind for row in taken)]
        if sent:
            taken = [_as_sent(row, sent) for row in taken]
        encoded.append((table, columns, taken, tuple(sent)))
    return encoded


def decode(rows: list[Any], sent: tuple[tuple[int, type], ...]) -> list[Any]:
    """`encode`'s rows with their dates and Decimals back."""
    if not sent:
        return rows
    for row in rows:
        for index, kind in sent:
            value = row[index]
            if value is not None:
                row[index] = date.fromordinal(value) if kind is date else Decimal(value)
    return rows


def _as_sent(row: tuple[Any, ...], sent: list[tuple[int, type]]) -> list[Any]:
    out = list(row)
    for index, kind in sent:
        value = out[index]
        if value is not None:
            out[index] = value.toordinal() if kind is date else str(value)
    return out


@cache
def _slow_columns(table: type[Any]) -> list[tuple[int, type]]:
    """(position, date or Decimal) of the table's columns of those Python types."""
    by_key = {c.key: c for c in sa_inspect(table).columns}
    found = []
    for index, key in enumerate(columns_of(table)):
        try:
            kind = by_key[key].type.python_type
        except NotImplementedError:
            continue
        if kind in (date, Decimal):
            found.append((index, kind))
    return found


def _reads(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    return head.startswith(("SELECT", "BEGIN"))


# -- the writer process ---------------------------------------------------------------------------


def _serve(inbox: Connection, outbox: Connection) -> None:
    from sqlmodel import Session

    from prm_sync.store import fence, open_store
    from prm_sync.store.bookkeeping import save_cursor
    from prm_sync.store.statistics import TableStatistics

    # The run's process decides when to stop (SIGTERM / Ctrl-C stop it between units of work, and a
    # process group gets them both); the writer ends when told to, or when its pipe ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    opening = inbox.recv()
    store = open_store(opening[1], create=False)
    generation: int | None = opening[2]
    statistics = TableStatistics()
    session: Session | None = None
    try:
        while True:
            try:
                message = inbox.recv()
            except EOFError:  # the run's process has gone: its open unit is not committed
                return
            if message[0] == "stop":
                return
            seq = message[1] if message[0] == "commit" else 0
            try:
                if session is None:
                    session = Session(store.engine.execution_options(prm_sync_immediate=True),
                                      expire_on_commit=False)
                if message[0] == "rows":
                    batches = []
                    for table, columns, rows, sent in message[1]:
                        if columns != columns_of(table):  # the run and its writer run the same code
                            raise RuntimeError(f"the writer was sent {table.__name__} rows of other columns")
                        batches.append((table, decode(rows, sent)))
                    for table, count in write_rows(session, batches).items():
                        statistics.wrote(session, table.__table__, count)
                    continue
                cursor = message[2]
                if cursor is not None:
                    save_cursor(session, *cursor)
                if generation is not None:
                    fence.check(session, generation)
                session.commit()
                session.close()
                session = None
                outbox.send(("ok", seq))
            except BaseException as exc:
                if session is not None:
                    session.rollback()
                    session.close()
                    session = None
                outbox.send(("error", seq, _sendable(exc, store, generation)))
                return
    finally:
        if session is not None:
            session.rollback()
            session.close()
        store.close()


def _sendable(exc: BaseException, store: Store, generation: int | None) -> BaseException:
    """The error as the run's process should raise it: LockBroken if the run's lock was broken (its
    rows met the new holder's), else the store's error without its (possibly huge) parameters."""
    import pickle

    from sqlmodel import Session

    from prm_sync.store import fence

    if isinstance(exc, DBAPIError) and generation is not None:
        try:
            with Session(store.engine) as session:
                fence.check(session, generation)
        except Exception as broken:
            exc = broken
    if isinstance(exc, DBAPIError):
        exc.params = None
    try:
        pickle.dumps(exc)
        return exc
    except Exception:
        return WriterFailed(f"the store's writer process failed: {type(exc).__name__}: {exc}")


def main(argv: list[str]) -> int:
    inbox = Connection(int(argv[1]), writable=False)
    outbox = Connection(int(argv[2]), readable=False)
    _serve(inbox, outbox)
    return 0


if __name__ == "__main__":
    # The store is closed and every answer sent when `main` returns: the interpreter's own teardown
    # (freeing every module and object one by one, ~0.1-0.2 s) is skipped, since the run waits for
    # this process to end before it goes on.
    try:
        code = main(sys.argv)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)
