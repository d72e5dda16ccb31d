"""The one retry policy of prm-sync (tenacity), used around every CRM call and the alert webhook.

Retriable: TransientCrmError (429, 5xx, dropped connection, timeout), raised by connectors after
they classify their SDK's exceptions. A `Retry-After` the CRM sent is honoured (never less);
otherwise exponential backoff with full jitter, capped. Validation errors (4xx) are not retried.
Tests build a policy with `sleep=` a no-op so no time is spent waiting. No attempt starts and no
wait runs past the run's deadline (prm_sync.connector.deadline): the run then stops with exit 3.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

import prm_sync.connector.deadline as deadline
from prm_sync.errors import TransientCrmError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    #: what is worth another attempt; anything else is raised at once
    retry_on: tuple[type[BaseException], ...] = (TransientCrmError,)
    #: False for calls made outside a run's work (the alert after a run): no deadline applies
    honour_deadline: bool = True

    def wait_seconds(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = random.uniform(0, min(self.cap_s, self.base_s * 2 ** (state.attempt_number - 1)))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(float(retry_after), 0.0), self.max_retry_after_s)
        return backoff

    def call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(self.retry_on),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait_seconds,
            sleep=deadline.capped_sleep(self.sleep) if self.honour_deadline else self.sleep,
            reraise=True,
        )

        def attempt() -> T:
            if self.honour_deadline:
                deadline.check("a CRM call")
            return fn()

        return retrying(attempt)


def no_wait_policy(attempts: int = 6) -> RetryPolicy:
    """A policy for tests: same decisions, no sleeping."""
    return RetryPolicy(attempts=attempts, sleep=lambda _s: None)
