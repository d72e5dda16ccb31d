"""A sync run: lock, run record, entities in reference order (pull, then push), outcome.

    run_sync(...) -> RunReport
      with the store's run lock (a second run fails at once: LockHeld -> exit 75; a real run
      takes a fencing token checked before every commit, see prm_sync.store.fence)
      and the run's deadline (sync.max_run_seconds: past it the run stops cleanly, exit 3)
        per entity in partner, lead, deal, commission order:
          pull changes (page = unit of work), sweep deletions when due,
          push deletions, push changes (batch = unit of work)
        a first read (no cursor, or --full) of the next entity is prepared before this entity's pull
        when the connector can (capabilities.prepares_reads: a Salesforce Bulk API 2.0 query job
        then runs while this entity is applied; sync/pull.py prepare_pull says why nothing is lost)
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress

from prm_sync.config import Config
from prm_sync.connector import Connector
from prm_sync.connector.deadline import run_deadline
from prm_sync.domain.fields import SYNC_ORDER, Entity
from prm_sync.errors import BudgetExhausted, RunDeadlineReached
from prm_sync.mapping import CompiledMapping
from prm_sync.store import LockBroken, Store, SyncRun, run_lock
from prm_sync.sync.context import RunContext, utc_now
from prm_sync.sync.deletes import push_deletions, sweep_deletions
from prm_sync.sync.events import NullObserver, RunObserver, StopRequested
from prm_sync.sync.hooks import before_run
from prm_sync.sync.pull import PreparedPull, first_read_due, prepare_pull, pull_entity
from prm_sync.sync.push import push_entity
from prm_sync.sync.report import RunReport
from prm_sync.sync.writer import GC_GEN0_THRESHOLD  # CPython's default is 700
from prm_sync.util.redact import redact


def run_sync(
    store: Store, connector: Connector, mapping: CompiledMapping, config: Config, *,
    entities: Sequence[str] | None = None, direction: str = "both", dry_run: bool = False, full: bool = False,
    retry_quarantined: bool = False, clock: Callable[[], dt.datetime] = utc_now,
    observer: RunObserver | None = None, break_stale_lock: bool = False,
) -> RunReport:
    wanted = [Entity(e) for e in (entities or config.sync.entities)]
    order = [e for e in SYNC_ORDER if e in wanted and e in mapping]
    report = RunReport(dry_run=dry_run)
    max_run_seconds = config.sync.max_run_seconds
    with run_deadline(max_run_seconds), run_lock(store, max_run_seconds=max_run_seconds, fenced=not dry_run,
                                                 break_stale=break_stale_lock) as grant, _bulk_gc():
        ctx = RunContext(store=store, connector=connector, mapping=mapping, config=config, report=report,
                         dry_run=dry_run, full=full, retry_quarantined=retry_quarantined, clock=clock,
                         started=clock(), observer=observer or NullObserver(), generation=grant.generation)
        calls_before = connector.usage().calls
        if not dry_run:
            ctx.run_id = _start_run(store, ctx, order, direction)
        status, error = "failed", None
        try:
            if dry_run:
                with ctx.dry_transaction():
                    _run_entities(ctx, order, direction)
            else:
                try:
                    _run_entities(ctx, order, direction)
                finally:
                    ctx.close_writer()
            status = "errors" if report.has_problems else "ok"
        except BudgetExhausted as exc:
            report.stopped = str(exc)
            status, error = "aborted", str(exc)
        except StopRequested as exc:
            report.interrupted = str(exc)
            status, error = "aborted", str(exc)
        except RunDeadlineReached as exc:  # committed pages and batches stay; exit 3 says why
            report.stopped = str(exc)
            status, error = "aborted", str(exc)
            raise
        except BaseException as exc:
            error = redact(f"{type(exc).__name__}: {exc}")  # SDK errors may echo a credential
            raise
        finally:
            report.api_calls = connector.usage().calls - calls_before
            if ctx.run_id is not None:
                with suppress(LockBroken):  # fenced out: the breaker marked this run aborted
                    _finish_run(ctx, ctx.run_id, status, report, error, clock())
    return report


#: how long a thread of the run's process may hold the GIL while another waits for it (CPython's
#: default: 5 ms); see _BulkGc
SWITCH_INTERVAL_S = 0.02


class _BulkGc:
    """Collect the young generation less often, and switch threads less often, while runs map
    records by the hundred thousand.

    A run allocates a few dicts and objects per record and frees nearly all of them by reference
    counting; with CPython's default threshold the cycle collector ran every 700 allocations and
    took about a sixth of a large pull's CPU time. Collections still run (memory stays bounded),
    only less often. Each young collection walks what the pages being mapped hold alive, whatever
    the threshold: at 20,000 a 300k pull spent ~2.5 s in ~400 collections, at 100,000 ~0.35 s.

    The GIL: a first load's process runs three threads (the read-ahead parsing the next page, the
    writer's feed pickling the last one, the main thread mapping this one), and it is the pull's
    bottleneck. With CPython's 5 ms switch interval, the main thread was made to hand the GIL
    over every 5 ms while another waited; at 20 ms the same 300k Bulk pull into SQLite took ~3 %
    less time (interleaved pairs, bench/PROFILE.md session 12; into PostgreSQL, no change). The
    threads' waits are I/O, which releases the GIL at once whatever the interval.

    The settings are process-wide, so runs overlapping in one daemon share them: the first to
    start sets them and the last to end restores them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()
        self._saved_interval = sys.getswitchinterval()

    @contextmanager
    def during_run(self) -> Iterator[None]:
        with self._lock:
            if self._runs == 0:
                self._saved = gc.get_threshold()
                self._saved_interval = sys.getswitchinterval()
                gc.set_threshold(max(self._saved[0], GC_GEN0_THRESHOLD), *self._saved[1:])
                sys.setswitchinterval(max(self._saved_interval, SWITCH_INTERVAL_S))
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.set_threshold(*self._saved)
                    sys.setswitchinterval(self._saved_interval)


_bulk_gc = _BulkGc().during_run


def _run_entities(ctx: RunContext, order: Sequence[Entity], direction: str) -> None:
    if direction in ("push", "both"):
        before_run(ctx, list(order))
    prepared: PreparedPull | None = None  # this entity's first read, prepared in an earlier turn
    for index, entity in enumerate(order):
        if direction in ("pull", "both"):
            ahead: PreparedPull | None = None
            following = order[index + 1] if index + 1 < len(order) else None
            if following is not None and first_read_due(ctx, following):
                # The next entity's first read starts now (its Bulk job works while this entity is
                # pulled); this entity's own first, when not prepared yet (the first entity of a run).
                if prepared is None and first_read_due(ctx, entity):
                    prepared = prepare_pull(ctx, entity)
                ahead = prepare_pull(ctx, following)
            pull_entity(ctx, entity, prepared)
            prepared = ahead
            sweep_deletions(ctx, entity)
        if direction in ("push", "both"):
            push_deletions(ctx, entity)
            push_entity(ctx, entity)


def _start_run(store: Store, ctx: RunContext, order: Sequence[Entity], direction: str) -> int:
    with ctx.unit() as session:
        run = SyncRun(started_at=ctx.started, entities=[e.value for e in order], direction=direction,
                      dry_run=False, status="running")
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def _finish_run(ctx: RunContext, run_id: int, status: str, report: RunReport, error: str | None,
                now: dt.datetime) -> None:
    with ctx.unit() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.status, run.finished_at, run.error = status, now, error
        run.counts = {"changes": report.plain_counts(), "pulled": dict(report.pulled)}
        run.api_calls = report.api_calls
        session.add(run)
