"""One run's shared state: store, connector, mapping, clock, report and units of work.

In a real run every page or batch is its own unit of work (rows, links and cursor commit
together). In a dry run everything happens in ONE transaction that is rolled back at the end,
so later entities see what earlier ones would have done and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from prm_sync.config import Config
from prm_sync.connector import Connector, deadline
from prm_sync.mapping import CompiledMapping
from prm_sync.store import Store, fence
from prm_sync.store.statistics import TableStatistics
from prm_sync.sync.events import NullObserver, RunObserver, StopRequested
from prm_sync.sync.inserts import PendingRows
from prm_sync.sync.report import RunReport
from prm_sync.sync.writer import FirstLoadWriter


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RunContext:
    store: Store
    connector: Connector
    mapping: CompiledMapping
    config: Config
    report: RunReport
    run_id: int | None = None
    dry_run: bool = False
    full: bool = False
    retry_quarantined: bool = False
    clock: Callable[[], dt.datetime] = utc_now
    started: dt.datetime = field(default_factory=utc_now)
    observer: RunObserver = field(default_factory=NullObserver)
    generation: int | None = None  # the run lock's fencing token, checked before each commit
    open_quarantine: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # rows the page being applied created or changed: (row, {field: (before, after)})
    page_changes: list[tuple[Any, Mapping[str, tuple[Any, Any]]]] = field(default_factory=list)
    # row id -> (the CRM record's modified time, created by this page): when a pulled change happened
    page_stamps: dict[str, tuple[dt.datetime, bool]] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # per-run caches of the PRM rules (hooks)
    new_rows: PendingRows = field(default_factory=PendingRows)  # rows the unit of work creates (INSERTed at its end)
    statistics: TableStatistics = field(default_factory=TableStatistics)  # PostgreSQL ANALYZE as tables fill
    _dry_session: Session | None = None
    _writer: FirstLoadWriter | None = None

    @contextmanager
    def unit(self, *, writes: bool = True) -> Iterator[Session]:
        """A unit of work. `writes=False`: one that only reads (SQLite: no write lock at BEGIN), as
        a first load's while the writer process writes its rows (sync/writer.py)."""
        if self.dry_run:
            assert self._dry_session is not None
            yield self._dry_session
            self._dry_session.flush()
            return
        with self.store.session(write=writes) as session:
            try:
                yield session
                if self.generation is not None:
                    fence.check(session, self.generation)  # a broken (stale) lock: LockBroken, rolled back
            except DBAPIError:
                self._fenced_out()
                raise

    def first_load_writer(self) -> FirstLoadWriter:
        """The run's writer process (started on first use, ended by `close_writer`)."""
        if self._writer is None:
            self._writer = FirstLoadWriter(self.store, self.generation)
        return self._writer

    def close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _fenced_out(self) -> None:
        """After a store error in a unit of work: if this run's lock was broken meanwhile, say that
        (LockBroken) rather than the error it caused. A run that lost its lock meets the new
        holder's rows where its own first load expected none (sync/pull.py trusts the lock there):
        the INSERT fails, on a unique key, before the commit's fence check could say why."""
        if self.generation is None:
            return
        with self.store.session() as session:
            fence.check(session, self.generation)

    @contextmanager
    def dry_transaction(self) -> Iterator[None]:
        """Wrap a dry run: one session, rolled back whatever happens."""
        with Session(self.store.engine, expire_on_commit=False) as session:
            self._dry_session = session
            try:
                yield
            finally:
                session.rollback()
                self._dry_session = None

    def checkpoint(self, entity: str, phase: str, done: int, total: int | None = None) -> None:
        """After a committed unit of work: report progress, and stop here if asked to or if the
        run's deadline has passed."""
        self.observer.progress(entity, phase, done, total)
        if self.observer.stop_requested():
            raise StopRequested(f"stopped on request after {phase} of {entity}")
        deadline.check(f"the {phase} of {entity}")

    @property
    def lookback(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.config.sync.lookback_seconds)

    def policy(self, entity: str) -> str:
        return self.mapping[entity].conflict or self.config.sync.conflict
