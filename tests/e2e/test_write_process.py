"""A Salesforce first load whose rows the writer process writes (sync/writer.py) stores what the
in-line write stores, over Bulk 2.0 and REST, on both stores; the writer's failures and the run's
own death leave whole units of work only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.store import Link, Partner, open_store, upgrade
from tests.e2e.sync_world import open_world
from tests.e2e.test_pull_copy import full_state
from tests.e2e.test_sync_bulk_query import seed, set_bulk_query_threshold

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("read", ["bulk", "rest"])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_the_writer_process_stores_what_the_in_line_write_stores(
        backend: str, read: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, inserts_seen: list[str]) -> None:
    urls = [request.getfixturevalue("pg_migrated_url" if backend == "postgresql" else "sqlite_url")]
    urls.append(request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'b.db'}")
    states = {}
    with open_world("salesforce", urls[0], tmp_path, capsys, monkeypatch) as world:
        seed(world)
        for url, mode in zip(urls, ("on", "off"), strict=True):
            world.store_url = url
            world.write_config(write_process=mode)
            set_bulk_query_threshold(world, 5 if read == "bulk" else 10**6)
            assert world.cli("db", "upgrade")[0] == 0
            inserts_seen.clear()
            first = world.sync()
            assert first["exit"] == 0, first
            states[mode] = full_state(world)
            written_in_line = {"partner", "registration", "deal", "link"} & set(inserts_seen)
            assert written_in_line == (set() if mode == "on" else {"partner", "registration", "deal", "link"})
            snapshot = world.store_snapshot()
            again = world.sync()   # an incremental run after the first load writes nothing
            assert again["exit"] == 0 and again["counts"] == {}, again
            assert world.store_snapshot() == snapshot
    assert states["on"] == states["off"]
    assert len(states["on"]["partner"]) == 8 and len(states["on"]["lead links"]) == 9


def test_links_hashed_by_the_run_while_the_writer_is_behind_are_stored_as_the_writer_hashes_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from prm_sync.sync.writer import FirstLoadWriter

    states = {}
    with open_world("salesforce", f"sqlite:///{tmp_path / 'a.db'}", tmp_path, capsys, monkeypatch) as world:
        seed(world)
        for name, behind in (("run hashes", True), ("writer hashes", False)):
            monkeypatch.setattr(FirstLoadWriter, "behind", lambda self, behind=behind: behind)
            world.store_url = f"sqlite:///{tmp_path / (name.replace(' ', '-') + '.db')}"
            world.write_config(write_process="on")
            set_bulk_query_threshold(world, 5)
            assert world.cli("db", "upgrade")[0] == 0
            assert world.sync()["exit"] == 0
            states[name] = full_state(world)
            again = world.sync()   # the stored hashes are the CRM records' own: nothing to do
            assert again["exit"] == 0 and again["counts"] == {}, again
    assert states["run hashes"] == states["writer hashes"]
    assert len(states["run hashes"]["partner"]) == 8


_RUN_SIDE = textwrap.dedent("""
    import datetime as dt, os, sys, time
    from prm_sync.store import Partner, Link, open_store
    from prm_sync.sync.inserts import PendingRows
    from prm_sync.sync.writer import FirstLoadWriter, encode
    store = open_store(sys.argv[1])
    writer = FirstLoadWriter(store, None)
    rows = PendingRows()
    now = dt.datetime.now(dt.UTC)
    for i in range(int(sys.argv[2])):
        rows.new(Partner, {"id": f"p{i}", "name": f"Đông Á {i}", "created_at": now, "updated_at": now})
        rows.new(Link, {"entity": "partner", "prm_id": f"p{i}", "crm_id": f"c{i}", "base": {}})
    writer.rows(encode(rows.take()))
    writer.commit(None)
    writer.drain()
    if sys.argv[3] == "bad-row":
        rows.new(Partner, {"id": "bad", "name": "No Time GmbH"})   # created_at is NOT NULL
        writer.rows(encode(rows.take()))
        try:
            writer.drain()
        except Exception as exc:
            print(type(exc).__name__, flush=True)
        writer.close(raise_errors=False)   # ends at once: nothing masks the error already raised
        print("closed", writer._process is None, flush=True)
        sys.exit(0)
    for i in range(5):
        rows.new(Partner, {"id": f"q{i}", "name": f"Müller {i}", "created_at": now, "updated_at": now})
    writer.rows(encode(rows.take()))     # an open unit: never committed
    writer.drain() if sys.argv[3] == "drain" else None
    print(writer._process.pid, flush=True)
    if sys.argv[3] == "die":
        while not writer._outbox.empty():   # the open unit's rows are on their way, then in the writer
            time.sleep(0.01)
        time.sleep(0.5)
        sys.stdin.readline()
        os._exit(9)                      # the run's process dies with the unit open
    if sys.argv[3] == "kill-writer":
        os.kill(writer._process.pid, 9)
        writer._process.wait()
        try:
            writer.rows(encode([(Partner, [])]))
            writer.commit(None)
            writer.drain()
        except Exception as exc:
            print(type(exc).__name__, exc, flush=True)
            sys.exit(3)
""")


def _run_side(url: str, count: int, how: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _RUN_SIDE, url, str(count), how], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _partner_names(url: str) -> list[str]:
    with open_store(url, create=False) as store, store.session() as session:
        return sorted(session.exec(select(Partner.name)).all())


def test_the_run_dying_with_a_unit_open_leaves_the_committed_units_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prm.db'}"
    with open_store(url) as store:
        upgrade(store)
    side = _run_side(url, 3, "die")
    assert side.stdout is not None and side.stdin is not None
    writer_pid = int(side.stdout.readline())
    side.stdin.write("\n")
    side.stdin.flush()
    assert side.wait(60) == 9
    # the writer reads the end of its pipe, rolls back the open unit and exits
    for _ in range(600):
        try:
            os.kill(writer_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the writer process outlived the run's process")
    assert _partner_names(url) == ["Đông Á 0", "Đông Á 1", "Đông Á 2"]
    with open_store(url, create=False) as store, store.session() as session:
        assert len(session.exec(select(Link)).all()) == 3


def test_a_writer_that_dies_fails_the_run_plainly_and_what_it_committed_stays(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prm.db'}"
    with open_store(url) as store:
        upgrade(store)
    side = _run_side(url, 4, "kill-writer")
    out, err = side.communicate(timeout=60)
    assert side.returncode == 3, err
    assert "WriterFailed the store's writer process ended unexpectedly (exit code -9)" in out
    assert _partner_names(url) == ["Đông Á 0", "Đông Á 1", "Đông Á 2", "Đông Á 3"]


def test_a_store_error_in_the_writer_reaches_the_run_and_the_writer_ends(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prm.db'}"
    with open_store(url) as store:
        upgrade(store)
    side = _run_side(url, 2, "bad-row")
    out, err = side.communicate(timeout=120)   # a safety net against a hang, not a timing
    assert side.returncode == 0, err
    assert out.split() == ["IntegrityError", "closed", "True"]
    assert _partner_names(url) == ["Đông Á 0", "Đông Á 1"]   # the failed unit wrote nothing
