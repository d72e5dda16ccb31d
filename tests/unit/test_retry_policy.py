from __future__ import annotations

import pytest

from prm_sync.connector import RetryPolicy, TransientCrmError


def test_transient_errors_are_retried_and_retry_after_is_honoured() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=4, sleep=slept.append)
    calls = iter([TransientCrmError("429", retry_after=7, status=429), TransientCrmError("503", status=503), "ok"])

    def flaky() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert policy.call(flaky) == "ok"
    assert slept[0] == 7.0
    assert 0 <= slept[1] <= policy.base_s * 2


def test_other_errors_are_not_retried() -> None:
    attempts = []

    def bad() -> None:
        attempts.append(1)
        raise ValueError("400 INVALID_FIELD")

    with pytest.raises(ValueError):
        RetryPolicy(sleep=lambda _s: None).call(bad)
    assert len(attempts) == 1


def test_gives_up_after_the_last_attempt() -> None:
    attempts = []

    def down() -> None:
        attempts.append(1)
        raise TransientCrmError("503", status=503)

    with pytest.raises(TransientCrmError):
        RetryPolicy(attempts=3, sleep=lambda _s: None).call(down)
    assert len(attempts) == 3


def test_backoff_is_capped() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=12, base_s=1, cap_s=2, sleep=slept.append)

    def down() -> None:
        raise TransientCrmError("503")

    with pytest.raises(TransientCrmError):
        policy.call(down)
    assert len(slept) == 11 and max(slept) <= 2
