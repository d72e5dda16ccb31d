"""The run deadline (`sync.max_run_seconds`): a run that is still going when it passes stops cleanly.

A CRM that accepts connections and never answers must not hold the store's run lock forever.
Every CRM call has connect and read timeouts (set by the connectors); on top of them a run has an
overall deadline, checked

- between units of work (`RunContext.checkpoint`), so committed pages and batches are kept;
- by the retry policy before each attempt and each wait, so no retry starts after it;
- by the connectors when they size a call's timeouts (`call_timeouts`), so a call in flight at
  the deadline gives up at the deadline, not a full read timeout later.

The deadline is bound to the run with a context variable: threads that copy the run's context
(the pull's read-ahead) see it, and runs overlapping in one scheduler daemon each see their own.
Outside a run (`check --online`, tests of a connector) there is no deadline.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prm_sync.errors import RunDeadlineReached

#: the smallest read timeout a call is given near the deadline (a zero timeout means "none")
MIN_CALL_TIMEOUT_S = 0.05


@dataclass(frozen=True)
class Deadline:
    seconds: float
    ends_at: float  # on `clock`
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.ends_at - self.clock()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self, where: str = "") -> None:
        if self.passed():
            raise RunDeadlineReached(self.message(where))

    def message(self, where: str = "") -> str:
        at = f" during {where}" if where else ""
        return (f"the run reached its deadline of {self.seconds:g} s (sync.max_run_seconds){at} and stopped; "
                "work committed so far is kept and the next run resumes from there")


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("prm_sync_run_deadline", default=None)


@contextmanager
def run_deadline(seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Iterator[Deadline | None]:
    """Bind a deadline `seconds` from now to the block (None: no deadline)."""
    deadline = Deadline(float(seconds), clock() + float(seconds), clock) if seconds else None
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def current() -> Deadline | None:
    return _CURRENT.get()


def check(where: str = "") -> None:
    """Raise RunDeadlineReached when the current run's deadline has passed."""
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.check(where)


def call_timeouts(connect_s: float, read_s: float) -> tuple[float, float]:
    """(connect, read) timeouts for one CRM call: the configured ones, cut to what is left of the
    run's deadline. Raises RunDeadlineReached when nothing is left."""
    deadline = _CURRENT.get()
    if deadline is None:
        return connect_s, read_s
    deadline.check("a CRM call")
    left = max(deadline.remaining(), MIN_CALL_TIMEOUT_S)
    return min(connect_s, left), min(read_s, left)


def capped_sleep(sleep: Callable[[float], None]) -> Callable[[float], None]:
    """`sleep`, never past the current deadline (the next attempt's check then stops the run)."""

    def wait(seconds: float) -> None:
        deadline = _CURRENT.get()
        if deadline is not None:
            seconds = min(seconds, max(deadline.remaining(), 0.0))
        sleep(seconds)

    return wait
