"""References most rows leave empty are indexed only where they hold a value (migration 0012):
the indexes are partial on both stores, and the look-ups by those references still use them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from prm_sync.store import Store

SPARSE = {"ix_deal_registration_id": "deal", "ix_deal_fund_request_id": "deal",
          "ix_registration_fund_request_id": "registration"}
#: the ROI look-ups (services/funds.py), as SQL
LOOK_UPS = {
    "SELECT id FROM deal WHERE fund_request_id IN ('f1', 'f2') OR registration_id IN ('r1')":
        {"ix_deal_fund_request_id", "ix_deal_registration_id"},
    "SELECT id FROM registration WHERE fund_request_id IN ('f1', 'f2')": {"ix_registration_fund_request_id"},
    "SELECT id FROM deal WHERE registration_id = 'r1'": {"ix_deal_registration_id"},
}


def _definitions(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                                           "current_schema()"))
        else:
            rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        return {name: definition or "" for name, definition in rows}


def _plan(store: Store, statement: str) -> str:
    with store.engine.connect() as connection:
        if store.backend == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))  # an empty table: the planner would read it whole
            return "\n".join(row[0] for row in connection.execute(text("EXPLAIN " + statement)))
        return "\n".join(str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + statement)))


def test_sparse_references_are_indexed_where_they_hold_a_value(store: Store) -> None:
    definitions = _definitions(store)
    for name, table in SPARSE.items():
        column = name.removeprefix(f"ix_{table}_")
        assert f"{column} IS NOT NULL" in definitions[name], definitions[name]
    assert "WHERE" not in definitions["ix_deal_partner_id"]  # every deal has a partner: a whole index


@pytest.mark.parametrize("statement", sorted(LOOK_UPS))
def test_look_ups_by_a_sparse_reference_use_its_index(store: Store, statement: str) -> None:
    plan = _plan(store, statement)
    for index in LOOK_UPS[statement]:
        assert index in plan, plan
