"""The run lock, on both backends: a second run fails at once and is told who holds the lock;
the lock goes away when the holder finishes or is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from prm_sync.store import LockHeld, Store, open_store, run_lock

HOLDER_SCRIPT = """
import sys, time
from prm_sync.store import open_store, run_lock
store = open_store(sys.argv[1])
with run_lock(store):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def other_store(store: Store) -> Iterator[Store]:
    """A second, independent handle on the same store (as a second process would have)."""
    with open_store(store.url.render_as_string(hide_password=False)) as other:
        yield other


def _acquire_fails_fast(store: Store) -> LockHeld:
    """Callers hold the lock throughout: an acquire that waited would hang here until the
    pytest-timeout safety net, so raising at all proves it does not wait (no clock needed)."""
    with pytest.raises(LockHeld) as caught, run_lock(store):
        pytest.fail("second run got the lock")
    return caught.value


def test_second_run_fails_at_once_naming_the_holder(store: Store, other_store: Store) -> None:
    with run_lock(store):
        held = _acquire_fails_fast(other_store)
    assert str(held).startswith(f"another prm-sync run holds the lock on {store.display_url} (")
    expected = f"pid {os.getpid()} on " if store.backend == "sqlite" else f":{os.getpid()}, client "
    assert expected in held.holder
    with run_lock(other_store):  # released on exit
        pass


def test_lock_is_released_when_the_block_raises(store: Store, other_store: Store) -> None:
    with pytest.raises(RuntimeError), run_lock(store):
        raise RuntimeError("sync blew up")
    with run_lock(other_store):
        pass


def test_lock_is_released_when_the_holder_is_killed(store: Store) -> None:
    url = store.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        held = _acquire_fails_fast(store)
        assert str(holder.pid) in held.holder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    deadline = time.monotonic() + 60  # PostgreSQL ends the dead client's session asynchronously (a safety net)
    while True:
        try:
            with run_lock(store):
                return
        except LockHeld:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
