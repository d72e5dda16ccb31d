"""The run lock's fencing token, its holder and its deadline (table run_fence, one row).

The OS-level lock (locks.py) says whether a run is alive and holding the store. This row adds
what a held lock cannot say by itself:

- until when the holder may run (`deadline_at`, from sync.max_run_seconds) and from when on a
  holder still there is **stale** (`stale_at`: the deadline plus a grace period, in which a
  run stopping at its deadline finishes the call and the commit in flight);
- a **generation** (fencing token): every real run takes a new one when it gets the lock and
  checks it in each unit of work's transaction (`check`). Breaking a stale lock takes a new
  generation too, so the old holder, if it ever wakes up, fails its next commit and stops
  (LockBroken) instead of writing over the new holder's work.

`owner` ties the row to the holder of the OS lock (a pid on a host for SQLite, a backend pid for
PostgreSQL), so the row of a run that died is never taken for the run holding the lock now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from prm_sync.store.engine import Store
from prm_sync.store.errors import LockBroken
from prm_sync.store.tables.runlock import RunFence
from prm_sync.store.types import utcnow

#: a holder past its deadline by more than this (capped at the deadline itself) is stale
STALE_GRACE = dt.timedelta(seconds=60)
FENCE_ID = 1


def stale_grace(max_run_seconds: float) -> dt.timedelta:
    return min(STALE_GRACE, dt.timedelta(seconds=max_run_seconds))


@dataclass(frozen=True)
class FenceState:
    """The row as a run that found the lock held (or `status`) reads it."""

    generation: int
    owner: str | None
    holder: str | None
    acquired_at: dt.datetime | None
    deadline_at: dt.datetime | None
    stale_at: dt.datetime | None
    released_at: dt.datetime | None

    def describes(self, owner: str | None) -> bool:
        """Whether this row is about the run that holds the OS lock now (`owner`)."""
        return owner is not None and self.owner == owner and self.released_at is None

    def stale(self, now: dt.datetime) -> bool:
        return self.released_at is None and self.stale_at is not None and now >= self.stale_at

    def describe_deadline(self, now: dt.datetime) -> str:
        if self.deadline_at is None:
            return ""
        if self.stale(now):
            return (f"; it is STALE: its run deadline passed at {self.deadline_at.isoformat(timespec='seconds')} "
                    "(sync.max_run_seconds) and it still holds the lock; "
                    "`prm-sync sync --break-stale-lock` breaks it")
        return f"; its run deadline is {self.deadline_at.isoformat(timespec='seconds')}"


def read(store: Store) -> FenceState | None:
    """The row, or None for a store without it (not migrated yet, in-memory, foreign)."""
    try:
        with Session(store.engine) as session:
            row = session.get(RunFence, FENCE_ID)
    except DBAPIError:  # an older schema or an unreadable store: no fencing to report
        return None
    if row is None:
        return None
    return FenceState(row.generation, row.owner, row.holder, row.acquired_at, row.deadline_at, row.stale_at,
                      row.released_at)


def claim(store: Store, *, owner: str, holder: str, max_run_seconds: float | None,
          expected: int | None = None) -> int:
    """Take a new generation for the run that now holds the OS lock; returns it.

    With `expected`, only if the generation is still that one (breaking a stale lock: two
    breakers at once, one wins); raises LockBroken otherwise."""
    now = utcnow()
    with store.session(write=True) as session:
        row = _locked_row(session)
        if expected is not None and row.generation != expected:
            raise LockBroken(f"the lock on {store.display_url} changed hands while breaking it; try again")
        row.generation += 1
        row.owner, row.holder, row.acquired_at, row.released_at = owner, holder, now, None
        if max_run_seconds:
            row.deadline_at = now + dt.timedelta(seconds=max_run_seconds)
            row.stale_at = row.deadline_at + stale_grace(max_run_seconds)
        else:
            row.deadline_at = row.stale_at = None
        session.add(row)
        return row.generation


def fence_out(store: Store, generation: int) -> int:
    """Break: take a new generation, so the holder of `generation` can no longer commit, and mark
    the runs it left 'running' as aborted. Returns the new generation (the breaker's)."""
    with store.session(write=True) as session:
        row = _locked_row(session)
        if row.generation != generation:
            raise LockBroken(f"the lock on {store.display_url} changed hands while breaking it; try again")
        row.generation += 1
        row.released_at = utcnow()
        session.add(row)
        session.execute(text("UPDATE sync_run SET status = 'aborted', finished_at = :now, "
                             "error = 'its run lock was broken as stale by another run' "
                             "WHERE status = 'running'"), {"now": utcnow()})
        return row.generation


def release(store: Store, generation: int) -> None:
    """Mark the row released, if it is still ours."""
    with store.session(write=True) as session:
        session.execute(text("UPDATE run_fence SET released_at = :now WHERE id = :id AND generation = :generation"),
                        {"now": utcnow(), "id": FENCE_ID, "generation": generation})


def check(session: Session, generation: int) -> None:
    """In a unit of work's transaction, before it commits: raise LockBroken if the lock was broken.

    PostgreSQL: FOR SHARE makes a concurrent break wait for this commit (or this check wait for
    the break), so a commit and a break never overlap. SQLite: write units run under the
    database's write lock, which a break needs too."""
    lock = " FOR SHARE" if session.get_bind().dialect.name == "postgresql" else ""
    current = session.execute(text(f"SELECT generation FROM run_fence WHERE id = :id{lock}"),
                              {"id": FENCE_ID}).scalar()
    if current is not None and current != generation:
        raise LockBroken(
            "this run's lock was broken as stale by another run (`sync --break-stale-lock`); it stops "
            "without committing more: work committed before is kept and the new holder carries on")


def _locked_row(session: Session) -> RunFence:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT id FROM run_fence WHERE id = :id FOR UPDATE"), {"id": FENCE_ID})
    row = session.get(RunFence, FENCE_ID)
    if row is None:
        row = RunFence(id=FENCE_ID, generation=0)
    return row
