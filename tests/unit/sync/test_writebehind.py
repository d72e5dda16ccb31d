"""Write-behind INSERTs of a SQLite first load (prm_sync/sync/writebehind.py): same order, errors raised
in the caller's thread as SQLAlchemy raises them, nothing half-written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from prm_sync.store import Store, open_store
from prm_sync.sync.writebehind import WriteBehind, sqlite_executemany, usable, write_behind

INSERT = "INSERT INTO t (v) VALUES (?)"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as s:
        with s.session(write=True) as session:
            session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        yield s


def _values(store: Store) -> list[str]:
    with store.session() as session:
        return [v for (v,) in session.execute(text("SELECT v FROM t ORDER BY id"))]


def _raw(session):  # type: ignore[no-untyped-def]
    return session.connection().connection.driver_connection


def _insert(writer: WriteBehind, store: Store, raw: object, rows: list[tuple[str]]) -> None:
    writer.submit(raw, partial(sqlite_executemany, raw, store.engine.dialect, INSERT, rows))


def test_a_statement_after_handed_over_inserts_sees_them_and_they_commit(store: Store) -> None:
    ran_in: list[str] = []
    with write_behind(store.engine, True) as writer:
        assert writer is not None
        with store.session(write=True) as session:
            raw = _raw(session)

            def watched() -> None:   # which thread runs a job
                ran_in.append(threading.current_thread().name)
                raw.executemany(INSERT, [(f"a{i}",) for i in range(1000)])

            writer.submit(raw, watched)
            _insert(writer, store, raw, [("b",)])
            count = session.execute(text("SELECT count(*) FROM t")).scalar_one()  # waits for both
            assert count == 1001
    assert ran_in == ["prm-sync-write"]
    assert len(_values(store)) == 1001


def test_a_failed_insert_is_raised_at_commit_as_sqlalchemy_raises_it_and_nothing_is_written(store: Store) -> None:
    with write_behind(store.engine, True) as writer:
        assert writer is not None
        with pytest.raises(IntegrityError) as caught, store.session(write=True) as session:
            raw = _raw(session)
            _insert(writer, store, raw, [("x",), ("y",)])
            _insert(writer, store, raw, [("z",), ("x",)])   # UNIQUE fails half way
            _insert(writer, store, raw, [("after",)])       # not run: the unit has failed
        assert "UNIQUE" in str(caught.value.orig)
        assert _values(store) == []
        with store.session(write=True) as session:   # the next unit of work writes again
            _insert(writer, store, _raw(session), [("next",)])
    assert _values(store) == ["next"]
    with pytest.raises(RuntimeError):
        writer.submit(object(), lambda: None)   # closed


def test_a_failed_insert_is_raised_by_the_next_statement(store: Store) -> None:
    with write_behind(store.engine, True) as writer, store.session(write=True) as session:
        assert writer is not None
        raw = _raw(session)
        _insert(writer, store, raw, [("x",), ("x",)])
        with pytest.raises(IntegrityError):
            session.execute(text("SELECT 1"))
        session.rollback()
    assert _values(store) == []


def test_an_in_memory_store_writes_in_its_own_thread() -> None:
    with open_store("sqlite://") as memory:
        assert not usable(memory.engine)
        with write_behind(memory.engine, True) as writer:
            assert writer is None


def test_close_removes_the_barrier(store: Store) -> None:
    writer = WriteBehind(store.engine)
    writer.close()
    with store.session(write=True) as session:   # no listener left to wait on a stopped thread
        session.execute(text("INSERT INTO t (v) VALUES ('plain')"))
    assert _values(store) == ["plain"]


def test_a_main_thread_ahead_of_the_writer_waits_once_max_pending_inserts_are_queued(store: Store) -> None:
    from prm_sync.sync.writebehind import MAX_PENDING

    release = threading.Event()
    started = threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(60)

    writer = WriteBehind(store.engine)
    submitted: list[int] = []

    target = object()

    def submit_many() -> None:
        for n in range(MAX_PENDING + 5):
            writer.submit(target, stuck)
            submitted.append(n)

    feeder = threading.Thread(target=submit_many)
    try:
        feeder.start()
        assert started.wait(60)
        for _ in range(600):   # until the feeder has run as far ahead as it may (one running, MAX_PENDING queued)
            if len(submitted) == MAX_PENDING + 1:
                break
            threading.Event().wait(0.1)
        feeder.join(0.3)
        assert feeder.is_alive() and len(submitted) == MAX_PENDING + 1   # and it goes no further
    finally:
        release.set()
        feeder.join(60)
        writer.close()
    assert len(submitted) == MAX_PENDING + 5
