"""Stale run locks on both backends (issue 15 item 2): a holder alive past its run deadline is
reported stale, `break_stale` breaks it (a holder within its deadline is never broken), and the
broken holder can no longer commit: the fencing token it checks in its unit of work has moved on.

The holder is a separate process (as a hung `prm-sync sync` would be) that takes the lock with a
tiny deadline, then waits for a line on stdin before trying to commit one partner.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import select

from prm_sync.store import LockHeld, Partner, Store, SyncRun, lock_status, run_lock
from prm_sync.store.fence import read

HOLDER_SCRIPT = """
import sys
from prm_sync.store import LockBroken, Partner, SyncRun, open_store, run_lock
from prm_sync.store.fence import check
store = open_store(sys.argv[1])
with run_lock(store, max_run_seconds=float(sys.argv[2]), fenced=True) as grant:
    with store.session(write=True) as session:
        session.add(SyncRun(entities=["partner"], status="running"))
        check(session, grant.generation)
    print("locked", grant.generation, flush=True)
    sys.stdin.readline()
    try:
        with store.session(write=True) as session:
            session.add(Partner(id="written-by-the-old-holder", name="Old Holder GmbH"))
            check(session, grant.generation)
    except LockBroken as exc:
        print("fenced:", exc, flush=True)
        sys.exit(0)
    print("COMMIT-OK", flush=True)
"""


@contextmanager
def holder(store: Store, max_run_seconds: float) -> Iterator[subprocess.Popen[str]]:
    url = store.url.render_as_string(hide_password=False)
    process = subprocess.Popen([sys.executable, "-c", HOLDER_SCRIPT, url, str(max_run_seconds)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("locked")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def past_its_deadline(store: Store) -> None:
    """Wait (polling) until the holder's tiny deadline and grace have passed: the holder may print
    "locked" and the test look within those few milliseconds."""
    safety_net = time.monotonic() + 30
    while not lock_status(store)["stale"] and time.monotonic() < safety_net:
        time.sleep(0.01)


def finish(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate("go\n", timeout=60)
    assert process.returncode == 0, out
    return out


def test_a_holder_past_its_deadline_is_stale_and_can_be_broken_and_fenced(store: Store) -> None:
    with holder(store, max_run_seconds=0.01) as old:
        past_its_deadline(store)
        with pytest.raises(LockHeld) as refused, run_lock(store):
            pytest.fail("got a held lock")
        assert refused.value.stale and refused.value.worth_reporting
        assert "STALE" in str(refused.value) and "--break-stale-lock" in str(refused.value)
        assert lock_status(store)["stale"] is True and lock_status(store)["held"] is True

        with run_lock(store, max_run_seconds=3600, fenced=True, break_stale=True) as grant:
            assert lock_status(store)["stale"] is False
            out = finish(old)  # the old holder wakes up and tries to commit
            assert "fenced:" in out and "COMMIT-OK" not in out
            with store.session() as session:
                assert session.get(Partner, "written-by-the-old-holder") is None
                runs = session.exec(select(SyncRun)).all()
                assert [r.status for r in runs] == ["aborted"]  # the breaker closed the old run's record
            state = read(store)
            assert state is not None and state.generation == grant.generation
    assert lock_status(store)["held"] is False
    with run_lock(store):  # released: free for the next run
        pass


def test_a_holder_within_its_deadline_is_not_stale_and_not_broken(store: Store) -> None:
    with holder(store, max_run_seconds=3600) as current:
        with pytest.raises(LockHeld) as refused, run_lock(store, fenced=True, break_stale=True):
            pytest.fail("broke a lock that is not stale")
        assert not refused.value.stale and not refused.value.worth_reporting
        assert "not stale" in str(refused.value) and "run deadline is" in str(refused.value)
        status = lock_status(store)
        assert status["held"] is True and status["stale"] is False and status["deadline_at"]
        assert "COMMIT-OK" in finish(current)  # its commits go through


def test_an_unfenced_holder_never_looks_stale(store: Store) -> None:
    """A dry run holds the OS lock without a claim: the last real run's row is not about it."""
    with holder(store, max_run_seconds=0.01) as old:
        past_its_deadline(store)
        finish(old)
    with run_lock(store):  # e.g. a dry run: no fencing token
        with pytest.raises(LockHeld) as refused, run_lock(store, break_stale=True):
            pytest.fail("got a held lock")
        assert not refused.value.stale
