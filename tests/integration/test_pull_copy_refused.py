"""PostgreSQL: a first load's page whose COPY the server refuses fails the run with SQLAlchemy's
DBAPIError (the driver's error as `.orig`, as every other store write fails: callers tell store
errors by that type), leaves nothing of its unit of work, and the rerun converges."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from prm_sync.store import Store, open_store
from prm_sync.sync import pull
from prm_sync.sync.engine import run_sync
from tests.unit.sync.test_engine import BulkLikeCrm, Clock, make_config, mapping_with_policy, partner_fields

PARTNERS, DEALS, PAGE, UNIT = 2_000, 1_200, 400, 800  # pages of 400 (COPY from 200), units of 2 pages
TABLES = ("partner", "partner_status_change", "deal", "link", "sync_cursor", "quarantine")

REFUSE = """
CREATE FUNCTION refuse_one_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.prm_id = 'p01234' THEN RAISE EXCEPTION 'link % refused', NEW.prm_id; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_one_link BEFORE INSERT ON link FOR EACH ROW EXECUTE FUNCTION refuse_one_link();
"""


def _crm() -> BulkLikeCrm:
    crm = BulkLikeCrm(Clock(), page_size=PAGE)
    partners = [crm.create("companies", partner_fields(f"P{i}", prm_id=f"p{i:05d}")) for i in range(PARTNERS)]
    for i in range(DEALS):
        crm.create("deals", {"pipeline": "default", "dealname": f"D{i}", "amount": f"{i}.50", "dealstage": "closedwon",
                             "hs_is_closed_won": "true", "prm_id": f"d{i:05d}"}, {"companies": {partners[i]}})
    return crm


def _pull(store: Store, crm: BulkLikeCrm, tmp_path: Path) -> None:
    clock = Clock()
    clock.now += dt.timedelta(days=1)
    run_sync(store, crm, mapping_with_policy("crm_wins"), make_config(tmp_path), clock=clock,
             entities=["partner", "deal"], direction="pull")


def _counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


@pytest.mark.pg
def test_a_page_the_server_refuses_fails_the_run_as_a_store_error_and_leaves_its_unit_unwritten(
        pg_migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pull, "FIRST_LOAD_UNIT", UNIT)
    crm = _crm()
    with open_store(pg_migrated_url) as store:
        with store.session(write=True) as session:
            session.execute(text(REFUSE))
        with pytest.raises(DBAPIError) as failed:
            _pull(store, crm, tmp_path)
        error: Any = failed.value
        assert isinstance(error.orig, psycopg.errors.RaiseException) and "link p01234 refused" in str(error)
        # the first unit (pages 1-2) committed; the second (pages 3-4: partner 1234 is on page 4) rolled back
        assert _counts(store) == {"partner": UNIT, "partner_status_change": UNIT, "deal": 0, "link": UNIT,
                                  "sync_cursor": 0, "quarantine": 0}
        with store.session(write=True) as session:
            session.execute(text("DROP TRIGGER refuse_one_link ON link"))
        _pull(store, crm, tmp_path)  # the rerun converges
        # (sync_cursor: each entity's changes and deletions)
        assert _counts(store) == {"partner": PARTNERS, "partner_status_change": PARTNERS, "deal": DEALS,
                                  "link": PARTNERS + DEALS, "quarantine": 0, "sync_cursor": 4}
