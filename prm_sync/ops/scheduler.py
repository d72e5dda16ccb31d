"""`prm-sync schedule`: the APScheduler 3 daemon built from `config.schedule`.

- One job per schedule entry, cron trigger in `config.timezone`, max_instances=1, coalesce, a
  misfire grace time; jobs live in APScheduler's SQLAlchemy job store in the store's database
  (table `apscheduler_jobs`), so several daemons share one schedule.
- The job store alone does not stop two daemons from both firing a job: each loads the due jobs
  and runs them. So before a fire time runs, it is *claimed*: a row (job id, fire time) inserted
  in `apscheduler_prm_claims`; the primary key lets exactly one daemon win, the others skip it.
  The store's run lock then keeps any two runs (two jobs, or a cron `prm-sync sync`) apart: a job
  that finds it held waits for it (up to the misfire grace time) instead of being lost.
- Jobs run one at a time per daemon (a one-thread pool), in a background scheduler thread; the
  main thread waits for SIGTERM/SIGINT, then sets the stop flag every run's observer reads (the
  run ends after the batch in flight, committed), waits for it, and returns 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from prm_sync.app import App
from prm_sync.config import Config, ScheduleEntry
from prm_sync.errors import UsageError
from prm_sync.ops.logsetup import RUN_ID, new_run_id
from prm_sync.ops.progress import LogProgress, OpsObserver
from prm_sync.ops.signals import stop_on_signals
from prm_sync.store import LockHeld, open_store
from prm_sync.util.cron import cron_trigger

log = logging.getLogger("prm_sync.scheduler")

JOBS_TABLE = "apscheduler_jobs"
CLAIMS_TABLE = "apscheduler_prm_claims"   # the `apscheduler_` prefix marks a companion table of the store
JOB_PREFIX = "prm-sync:"
CLAIM_RETENTION = dt.timedelta(days=7)


class FireClaims:
    """Exactly-once fire times across daemons: the first INSERT of (job id, fire time) wins."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self.table = Table(
            CLAIMS_TABLE, MetaData(),
            Column("job_id", String(191), primary_key=True),
            Column("fire_time", String(40), primary_key=True),   # UTC ISO-8601: same text on every backend
            Column("owner", String(255), nullable=False),
            Column("claimed_at", DateTime(timezone=True), nullable=False),
        )

    def create_table(self) -> None:
        self.table.create(self.engine, checkfirst=True)

    def claim(self, job_id: str, fire_time: dt.datetime) -> bool:
        row = {"job_id": job_id, "fire_time": fire_key(fire_time), "owner": self.owner,
               "claimed_at": dt.datetime.now(dt.UTC)}
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(self.table).values(**row))
        except IntegrityError:
            return False
        return True

    def prune(self, now: dt.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.claimed_at < now - CLAIM_RETENTION))


def fire_key(fire_time: dt.datetime) -> str:
    return fire_time.astimezone(dt.UTC).isoformat(timespec="microseconds")


class ClaimingExecutor(ThreadPoolExecutor):
    """A thread pool that runs a job's fire time only if this daemon won its claim."""

    def __init__(self, claims: FireClaims, max_workers: int = 1) -> None:
        super().__init__(max_workers)
        self.claims = claims

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        won = []
        for run_time in run_times:
            extra = {"job_id": job.id, "fire_time": fire_key(run_time), "owner": self.claims.owner}
            if self.claims.claim(job.id, run_time):
                log.info("fire time claimed: %s at %s", job.id, fire_key(run_time), extra=extra)
                won.append(run_time)
            else:
                log.info("fire time already claimed by another daemon: %s at %s", job.id, fire_key(run_time),
                         extra=extra)
        if won:
            super()._do_submit_job(job, won)
            return
        # Nothing to run, but the executor counted an instance: release it the normal way.
        future = self._pool.submit(list)
        future.add_done_callback(lambda _f: self._run_job_success(job.id, []))


@dataclass
class DaemonState:
    """What jobs in this process need and the job store must not hold (paths differ per host)."""

    config_path: Path
    metrics_file: Path | None
    lock_wait_s: float
    stop: threading.Event = field(default_factory=threading.Event)


_daemon: DaemonState | None = None


def job_id(index: int, entry: ScheduleEntry) -> str:
    entities = "+".join(e.value for e in entry.entities)
    return f"{JOB_PREFIX}{index}:{entities}:{entry.direction}{':full' if entry.full else ''}"


def run_scheduled_job(entities: list[str], direction: str = "both", full: bool = False) -> None:
    """The job every schedule entry runs (a module-level function: the job store keeps a reference)."""
    from prm_sync.ops.runner import run_observed

    state = _daemon
    if state is None:
        raise RuntimeError("run_scheduled_job runs only inside `prm-sync schedule`")
    token = RUN_ID.set(new_run_id())
    deadline = time.monotonic() + state.lock_wait_s
    try:
        while not state.stop.is_set():
            try:
                run_observed(App(state.config_path), observer=OpsObserver(LogProgress(logging.DEBUG), state.stop),
                             metrics_file=state.metrics_file, entities=entities, direction=direction, full=full)
                _deliver(App(state.config_path))
                return
            except LockHeld:
                if time.monotonic() >= deadline:
                    log.warning("skipped: the store's lock stayed held for %.0f s", state.lock_wait_s)
                    return
                state.stop.wait(1.0)
            except Exception:
                log.exception("scheduled sync failed")   # logged (redacted); the daemon keeps going
                return
        log.info("not started: stopping")
    finally:
        RUN_ID.reset(token)


def _deliver(app: App) -> None:
    """notifications.send_after_sync: deliver what the run queued (a failure is logged, never fatal)."""
    from prm_sync.ops.notify_job import deliver_after_sync

    try:
        deliver_after_sync(app)
    except Exception:
        log.exception("notification delivery after the sync failed")


T = TypeVar("T")


def _retry_startup(step: Callable[[], T], attempts: int = 5) -> T:
    """Two daemons starting together race to create the same tables and job rows (CREATE TABLE IF
    NOT EXISTS is not atomic on PostgreSQL); the loser waits a moment and finds them made."""
    for attempt in range(attempts):
        try:
            return step()
        except (IntegrityError, ProgrammingError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def build_scheduler(config: Config, jobstore_engine: Engine, claims: FireClaims, *,
                    misfire_grace_s: int) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=jobstore_engine, tablename=JOBS_TABLE)},
        executors={"default": ClaimingExecutor(claims)},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": misfire_grace_s},
        timezone=config.timezone,
    )


def sync_jobs(scheduler: BackgroundScheduler, config: Config, misfire_grace_s: int) -> list[Job]:
    """Make the job store hold exactly this config's schedule (other daemons see the same)."""
    wanted = {job_id(i, entry): entry for i, entry in enumerate(config.schedule)}
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            scheduler.remove_job(job.id)
    jobs = []
    for identifier, entry in wanted.items():
        kwargs: dict[str, Any] = {"entities": [e.value for e in entry.entities], "direction": entry.direction,
                                  "full": entry.full}
        jobs.append(scheduler.add_job(
            run_scheduled_job, trigger=cron_trigger(entry.cron, config.timezone), id=identifier,
            name=f"sync {' '.join(kwargs['entities'])}", kwargs=kwargs, replace_existing=True,
            max_instances=1, coalesce=True, misfire_grace_time=misfire_grace_s,
        ))
    return jobs


def run_daemon(app: App, *, metrics_file: Path | None = None, misfire_grace_s: int = 300) -> int:
    """Run the schedule until SIGTERM/SIGINT; return the exit code (0 after a clean stop)."""
    global _daemon
    config = app.config
    if not config.schedule:
        raise UsageError(f"{config.source}: schedule: no entries: nothing to schedule")
    app.local().open_store().close()   # a missing or outdated store is a usage error, said now
    state = DaemonState(config_path=app.config_path, metrics_file=metrics_file, lock_wait_s=float(misfire_grace_s))
    owner = f"{socket.gethostname()}:{os.getpid()}"
    with open_store(app.store_url, create=False) as daemon_store, stop_on_signals(state.stop):
        claims = FireClaims(daemon_store.engine, owner)
        scheduler = build_scheduler(config, daemon_store.engine, claims, misfire_grace_s=misfire_grace_s)
        jobstore = scheduler._jobstores.get("default") if hasattr(scheduler, "_jobstores") else None
        _retry_startup(claims.create_table)
        if isinstance(jobstore, SQLAlchemyJobStore):
            _retry_startup(lambda: jobstore.jobs_t.create(daemon_store.engine, checkfirst=True))
        claims.prune(dt.datetime.now(dt.UTC))
        _daemon = state
        try:
            scheduler.start(paused=True)
            jobs = _retry_startup(lambda: sync_jobs(scheduler, config, misfire_grace_s))
            scheduler.resume()
            for job in scheduler.get_jobs():
                log.info("scheduled %s: next run %s", job.name, job.next_run_time,
                         extra={"job_id": job.id, "next_run": str(job.next_run_time)})
            log.info("scheduler started (%d jobs, time zone %s, daemon %s)", len(jobs), config.timezone, owner)
            while not state.stop.is_set():
                time.sleep(0.2)
            log.info("stop requested: finishing the batch in flight")
        finally:
            state.stop.set()
            if scheduler.running:
                scheduler.shutdown(wait=True)
            _daemon = None
    log.info("scheduler stopped")
    return 0
