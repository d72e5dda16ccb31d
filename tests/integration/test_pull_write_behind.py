"""PostgreSQL: a first load's pages are written behind by a worker thread (sync/writebehind.py)
while the main thread reads and maps the next page. The store ends up exactly as when each page is
written in line; a write the database refuses fails the run with the same error, in the main
thread, and leaves nothing of its unit of work; the rerun converges."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from prm_sync.store import Store, open_store
from prm_sync.sync import inserts, pull
from prm_sync.sync.engine import run_sync
from tests.conftest import migrated_database
from tests.unit.sync.test_engine import BulkLikeCrm, Clock, make_config, mapping_with_policy, partner_fields

PARTNERS, DEALS, PAGE, UNIT = 2_000, 1_200, 400, 800  # pages of 400 (COPY from 200), units of 2 pages
TABLES = ("partner", "partner_status_change", "deal", "link", "sync_cursor", "quarantine")
COLUMNS = {"sync_cursor": "entity, stream, modstamp, record_id"}  # (its updated_at is the wall clock's)


@pytest.fixture
def second_pg_url(pg_admin_url: URL, pg_template: str) -> Iterator[str]:
    with migrated_database(pg_admin_url, pg_template) as url:
        yield url


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread of each COPY of pulled rows: sent behind (`_send_copy`) or in line (`_copy`)."""
    seen: list[str] = []
    send, copy = inserts._send_copy, inserts._copy

    def sent(*args: Any) -> None:
        seen.append(f"behind in {threading.current_thread().name}")
        send(*args)

    def copied(*args: Any) -> None:
        seen.append(f"in line in {threading.current_thread().name}")
        copy(*args)

    monkeypatch.setattr(inserts, "_send_copy", sent)
    monkeypatch.setattr(inserts, "_copy", copied)
    monkeypatch.setattr(pull, "FIRST_LOAD_UNIT", UNIT)
    return seen


def _crm() -> BulkLikeCrm:
    crm = BulkLikeCrm(Clock(), page_size=PAGE)
    partners = [crm.create("companies", partner_fields(f"P{i}", prm_id=f"p{i:05d}")) for i in range(PARTNERS)]
    for i in range(DEALS):
        crm.create("deals", {"pipeline": "default", "dealname": f"D{i}", "amount": f"{i}.50", "dealstage": "closedwon",
                             "hs_is_closed_won": "true", "prm_id": f"d{i:05d}"}, {"companies": {partners[i]}})
    return crm


def _pull(store: Store, crm: BulkLikeCrm, tmp_path: Path) -> None:
    clock = Clock()  # each run sees the same times (after the records'): stores compare equal to the microsecond
    clock.now += dt.timedelta(days=1)
    run_sync(store, crm, mapping_with_policy("crm_wins"), make_config(tmp_path), clock=clock,
             entities=["partner", "deal"], direction="pull")


def _state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.session() as session:
        return {table: [tuple(row) for row in session.execute(text(f"SELECT {COLUMNS.get(table, '*')} FROM {table} "
                                                                   "ORDER BY 1, 2"))]
                for table in TABLES}


@pytest.mark.pg
def test_pages_written_behind_store_what_pages_written_in_line_store(
        pg_migrated_url: str, second_pg_url: str, tmp_path: Path, writers: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    crm = _crm()
    with open_store(pg_migrated_url) as store:
        _pull(store, crm, tmp_path)
        behind = _state(store)
    # a partner page: partner, partner_status_change and link rows; a deal page: deal and link rows
    assert writers == ["behind in prm-sync-write"] * (PARTNERS // PAGE * 3 + DEALS // PAGE * 2)
    writers.clear()
    monkeypatch.setattr(inserts, "WRITE_BEHIND", ())
    with open_store(second_pg_url) as store:
        _pull(store, crm, tmp_path)
        in_line = _state(store)
    assert writers == ["in line in MainThread"] * (PARTNERS // PAGE * 3 + DEALS // PAGE * 2)
    assert behind == in_line
    assert len(behind["partner"]) == PARTNERS and len(behind["deal"]) == DEALS
    assert len(behind["link"]) == PARTNERS + DEALS
    assert [row[0] for row in behind["sync_cursor"] if row[1] == "changes"] == ["deal", "partner"]


REFUSE = """
CREATE FUNCTION refuse_one_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.prm_id = 'p01234' THEN RAISE EXCEPTION 'link % refused', NEW.prm_id; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_one_link BEFORE INSERT ON link FOR EACH ROW EXECUTE FUNCTION refuse_one_link();
"""


def _refused_run(url: str, tmp_path: Path, crm: BulkLikeCrm) -> tuple[BaseException, dict[str, int]]:
    """A first pull whose 4th page (partners 1,200-1,599: the second unit's second page) the server
    refuses: the error the run fails with, and the rows the store holds after it."""
    with open_store(url) as store:
        with store.session(write=True) as session:
            session.execute(text(REFUSE))
        with pytest.raises(DBAPIError) as failed:
            _pull(store, crm, tmp_path)
        state = {table: len(rows) for table, rows in _state(store).items()}
        with store.session(write=True) as session:
            session.execute(text("DROP TRIGGER refuse_one_link ON link"))
        _pull(store, crm, tmp_path)  # the rerun converges
        rerun = _state(store)
    assert len(rerun["partner"]) == PARTNERS and len(rerun["link"]) == PARTNERS + DEALS
    assert [row[0] for row in rerun["sync_cursor"] if row[1] == "changes"] == ["deal", "partner"]
    assert not rerun["quarantine"]
    return failed.value, state


@pytest.mark.pg
def test_a_page_the_server_refuses_behind_fails_the_run_as_in_line_and_leaves_its_unit_unwritten(
        pg_migrated_url: str, second_pg_url: str, tmp_path: Path, writers: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    crm = _crm()
    error, state = _refused_run(pg_migrated_url, tmp_path, crm)
    assert "link p01234 refused" in str(error)
    assert isinstance(error, DBAPIError) and isinstance(error.orig, psycopg.errors.RaiseException)
    # the first unit (pages 1-2) committed; the second (pages 3-4) rolled back whole; page 5 never written
    assert state == {"partner": UNIT, "partner_status_change": UNIT, "deal": 0, "link": UNIT, "sync_cursor": 0,
                     "quarantine": 0}
    assert writers[:10] == ["behind in prm-sync-write"] * 10  # pages 1-3, then the refused link COPY of page 4
    monkeypatch.setattr(inserts, "WRITE_BEHIND", ())
    in_line_error, in_line_state = _refused_run(second_pg_url, tmp_path, crm)
    assert (type(in_line_error), str(in_line_error)) == (type(error), str(error))
    assert in_line_state == state
