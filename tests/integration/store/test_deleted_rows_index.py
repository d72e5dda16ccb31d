"""The deletions a run carries to the CRM are found from the deleted rows (migration 0013's partial
indexes), each link by its key: a run no longer reads every link of an entity and its row to find
the few rows deleted in the PRM."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from prm_sync.domain.fields import Entity
from prm_sync.store import Partner, Store
from prm_sync.sync.deletes import deletions_to_push

LIVE, DELETED = 20_000, 5
BASE = '{"name": "Công ty TNHH Đông Á", "website": "https://example.vn", "tier": "gold", "country": "VN"}'
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _fill(store: Store) -> set[str]:
    """LIVE live partners and DELETED deleted ones, each with its link; one more deleted partner
    whose deletion was carried already, one never in the CRM. Returns the ids due to be pushed."""
    rows, links, due = [], [], set()
    for n in range(LIVE + DELETED + 2):
        prm_id = f"p{n:05d}-Ñ"
        deleted = n >= LIVE
        rows.append({"id": prm_id, "name": f"Công ty {n}", "deleted_at": NOW if deleted else None})
        carried = n == LIVE + DELETED
        crm_id = None if n == LIVE + DELETED + 1 else f"001{n:012d}"
        links.append({"prm_id": prm_id, "crm_id": crm_id, "deleted_at": NOW if carried else None})
        if deleted and not carried and crm_id is not None:
            due.add(prm_id)
    with store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO partner (id, name, tier, status, created_at, updated_at, deleted_at) "
            "VALUES (:id, :name, 'gold', 'active', :at, :at, :deleted_at)"), [{**r, "at": NOW} for r in rows])
        connection.execute(text(
            "INSERT INTO link (entity, prm_id, crm_id, base, deleted_at) "
            "VALUES ('partner', :prm_id, :crm_id, :base, :deleted_at)"), [{**k, "base": BASE} for k in links])
        if store.backend == "postgresql":
            connection.execute(text("ANALYZE partner"))
            connection.execute(text("ANALYZE link"))
    return due


def test_the_deletions_to_push_are_the_deleted_rows_links_not_carried_yet(store: Store) -> None:
    due = _fill(store)
    assert len(due) == DELETED
    with Session(store.engine) as session:
        found = session.exec(deletions_to_push(Entity.PARTNER, Partner)).all()
    assert {link.prm_id for link in found} == due
    assert [link.prm_id for link in found] == sorted(due)


def test_they_are_found_from_the_deleted_rows_index_and_each_link_by_its_key(store: Store) -> None:
    _fill(store)
    with store.engine.connect() as connection:
        query = deletions_to_push(Entity.PARTNER, Partner)
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        if store.backend == "postgresql":
            plan = "\n".join(row[0] for row in connection.execute(text("EXPLAIN " + sql)))
            assert "ix_partner_deleted" in plan, plan
            assert "Seq Scan on link" not in plan and "prm_id" in plan.split("on link")[-1], plan
        else:
            plan = "\n".join(str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "USING INDEX ix_partner_deleted" in plan, plan
            assert "SEARCH link USING INDEX sqlite_autoindex_link_1 (entity=? AND prm_id=?)" in plan, plan
