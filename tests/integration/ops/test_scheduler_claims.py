"""Exactly-once fire times: claims, the claiming executor, and two schedulers sharing one store.

APScheduler's SQLAlchemy job store alone lets every scheduler sharing it fire a due job; the
claim row (job id, fire time) is what makes one of them run it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor as Pool

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from prm_sync.ops.scheduler import ClaimingExecutor, FireClaims, fire_key
from prm_sync.store import Store
from prm_sync.util.cron import cron_trigger

FIRE = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
RAN: list[tuple[str, str]] = []   # (scheduler name, fire time) of every job run, across schedulers
RAN_LOCK = threading.Lock()


def record_run(name: str) -> None:
    """The job of the two-scheduler test (module level: the SQLAlchemy job store keeps a reference)."""
    with RAN_LOCK:
        RAN.append((name, dt.datetime.now(dt.UTC).isoformat()))
    time.sleep(0.05)


def test_a_fire_time_is_claimed_once(store: Store) -> None:
    first, second = FireClaims(store.engine, "a"), FireClaims(store.engine, "b")
    first.create_table()
    second.create_table()   # idempotent
    assert first.claim("job", FIRE)
    assert not second.claim("job", FIRE)
    assert not first.claim("job", FIRE.astimezone(dt.timezone(dt.timedelta(hours=7))))  # same instant
    assert second.claim("job", FIRE + dt.timedelta(minutes=15))
    assert second.claim("other-job", FIRE)


def test_concurrent_claims_have_one_winner(store: Store) -> None:
    claims = [FireClaims(store.engine, f"daemon-{i}") for i in range(6)]
    claims[0].create_table()
    with Pool(6) as pool:
        won = list(pool.map(lambda c: c.claim("job", FIRE), claims))
    assert won.count(True) == 1


def test_claiming_executors_run_a_fire_time_once(store: Store) -> None:
    """Two executors (two daemons) handed the same due job and fire time: one runs it."""
    runs: list[str] = []

    def job_func(name: str) -> None:
        runs.append(name)

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    owners = []
    for name in ("a", "b"):
        claims = FireClaims(store.engine, name)
        claims.create_table()
        scheduler = BackgroundScheduler(executors={"default": ClaimingExecutor(claims)}, timezone="UTC")
        scheduler.start(paused=True)
        owners.append(scheduler)
    try:
        for name, scheduler in zip(("a", "b"), owners, strict=True):
            # no misfire limit: on a busy machine the executor may start more than the default 1 s late
            job = scheduler.add_job(job_func, "date", run_date=now + dt.timedelta(days=1), id="shared", args=[name],
                                    misfire_grace_time=None)
            scheduler._lookup_executor("default").submit_job(job, [now])
        deadline = time.monotonic() + 60   # a safety net, not a speed bound: the loop ends when the run happens
        while time.monotonic() < deadline and len(runs) < 1:
            time.sleep(0.01)
        time.sleep(0.1)
        assert len(runs) == 1
        for scheduler in owners:   # the loser released its instance slot: it can run the next fire time
            assert scheduler._lookup_executor("default")._instances.get("shared", 0) == 0
    finally:
        for scheduler in owners:
            scheduler.shutdown(wait=True)


def test_two_schedulers_on_one_store_run_each_fire_time_once(store: Store) -> None:
    """Two schedulers share the job store and a 1-second trigger for ~2 s: no fire time runs twice."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    RAN.clear()
    schedulers = []
    for name in ("a", "b"):
        claims = FireClaims(store.engine, name)
        claims.create_table()
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=store.engine)},
            executors={"default": ClaimingExecutor(claims)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}, timezone="UTC")
        scheduler.start(paused=True)
        scheduler.add_job(record_run, trigger=cron_trigger("* * * * * *", "UTC"), id="every-second",
                          args=[name], replace_existing=True)
        schedulers.append(scheduler)
    for scheduler in schedulers:
        scheduler.resume()
    time.sleep(2.3)
    for scheduler in schedulers:
        scheduler.shutdown(wait=True)
    with store.engine.connect() as connection:
        claimed = connection.exec_driver_sql("SELECT job_id, fire_time, owner FROM apscheduler_prm_claims").all()
    assert len(RAN) >= 2
    # every run had its own claim; a fire time claimed just as a scheduler shuts down may not run
    # (its executor refuses new work), at most one per scheduler
    assert len(claimed) - len(schedulers) <= len(RAN) <= len(claimed)
    assert Counter(fire for _job, fire, _owner in claimed).most_common(1)[0][1] == 1   # ...of a distinct fire time
    assert all(fire_key(dt.datetime.fromisoformat(f)) == f for _j, f, _o in claimed)
    # Without claims both schedulers run most fire times (checked: two runs in the same second).
    assert Counter(when[:19] for _name, when in RAN).most_common(1)[0][1] == 1


@pytest.mark.parametrize(("expression", "weekday"), [("0 3 * * 0", 6), ("0 3 * * 7", 6), ("0 3 * * 1", 0)])
def test_crontab_weekdays_follow_crontab(expression: str, weekday: int) -> None:
    fire = cron_trigger(expression, "UTC").get_next_fire_time(None, FIRE)
    assert fire is not None and fire.weekday() == weekday and fire.hour == 3


def test_six_fields_have_seconds_first() -> None:
    trigger = cron_trigger("*/20 * * * * *", "Europe/Paris")
    fire = trigger.get_next_fire_time(None, FIRE + dt.timedelta(seconds=1))
    assert fire is not None and fire.astimezone(dt.UTC) == FIRE + dt.timedelta(seconds=20)
