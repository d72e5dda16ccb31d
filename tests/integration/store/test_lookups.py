"""A page's batched look-ups (sync/lookup.py) on both stores: the same answers, and on PostgreSQL
one statement per page (the ids as one array), where SQLite takes them 500 at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert

from prm_sync.store import Link, Partner, Store
from prm_sync.store.types import utcnow
from prm_sync.sync.lookup import linked_any, partner_names, prm_ids_by_crm

COUNT = 2_100  # more than four chunks of 500


def _seed(store: Store) -> None:
    now = utcnow()
    with store.session(write=True) as session:
        session.execute(insert(Partner.__table__), [  # type: ignore[attr-defined]
            {"id": f"p{i:05d}", "name": f"Đông Á {i}", "tier": "gold", "status": "active",
             "created_at": now, "updated_at": now} for i in range(COUNT)])
        session.execute(insert(Link.__table__), [  # type: ignore[attr-defined]
            {"entity": "partner", "prm_id": f"p{i:05d}", "crm_id": f"001A{i:05d}", "base": {}} for i in range(COUNT)])
        session.commit()


def test_look_ups_answer_alike_in_one_statement_per_page_on_postgresql(store: Store) -> None:
    _seed(store)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    wanted = [f"001A{i:05d}" for i in range(0, COUNT, 1)] + ["001Anobody", "", "001A00007"]
    with store.session() as session:
        found = prm_ids_by_crm(session, "partner", wanted)
        names = partner_names(session, [f"p{i:05d}" for i in range(COUNT)] + ["p-none"])
        assert linked_any(session, "partner", ["001Anobody", "001A02099"], [])
        assert linked_any(session, "partner", [], ["p00000"])
        assert not linked_any(session, "partner", ["001Anobody"], ["p-none"])
        assert not linked_any(session, "deal", wanted, [])
    event.remove(store.engine, "before_cursor_execute", seen)
    assert found == {f"001A{i:05d}": f"p{i:05d}" for i in range(COUNT)}
    assert names == {f"p{i:05d}": f"Đông Á {i}" for i in range(COUNT)}
    looked_up = [s for s in statements if s.startswith("SELECT crm_id, prm_id")]
    named = [s for s in statements if s.startswith("SELECT id, name")]
    if store.backend == "postgresql":
        assert (len(looked_up), len(named)) == (1, 1)
        assert "= ANY(" in looked_up[0]
    else:
        assert (len(looked_up), len(named)) == (5, 5)  # 2,100 ids: chunks of 500
