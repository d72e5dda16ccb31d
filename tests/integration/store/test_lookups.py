"""A page's batched look-ups (sync/lookup.py) on both stores: the same answers, in one statement per
page (PostgreSQL: the ids as one array; SQLite: as one JSON array, the answer as one JSON object),
and on a SQLite without its JSON functions 500 ids at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert

from prm_sync.store import Link, Partner, Store, open_store, upgrade
from prm_sync.store.types import utcnow
from prm_sync.sync import lookup
from prm_sync.sync.lookup import linked_any, partner_names, prm_ids_by_crm

COUNT = 2_100  # more than four chunks of 500


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated SQLite store, for what only SQLite does (no PostgreSQL variant to skip)."""
    with open_store(sqlite_url) as opened:
        upgrade(opened)
        yield opened


def _seed(store: Store) -> None:
    now = utcnow()
    with store.session(write=True) as session:
        session.execute(insert(Partner.__table__), [  # type: ignore[attr-defined]
            {"id": f"p{i:05d}", "name": f"Đông Á {i}", "tier": "gold", "status": "active",
             "created_at": now, "updated_at": now} for i in range(COUNT)])
        session.execute(insert(Link.__table__), [  # type: ignore[attr-defined]
            {"entity": "partner", "prm_id": f"p{i:05d}", "crm_id": f"001A{i:05d}", "base": {}} for i in range(COUNT)])
        session.commit()


def test_look_ups_answer_alike_in_one_statement_per_page(store: Store) -> None:
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
    looked_up = [s for s in statements if "crm_id, prm_id" in s]
    named = [s for s in statements if "id, name" in s]
    assert (len(looked_up), len(named)) == (1, 1)
    assert ("= ANY(" if store.backend == "postgresql" else "json_each(") in looked_up[0]


def test_sqlite_without_json_functions_looks_up_500_ids_at_a_time(sqlite_store: Store,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = sqlite_store
    monkeypatch.setattr(lookup, "_sqlite_json", lambda: False)  # a SQLite built without JSON1
    _seed(store)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    with store.session() as session:
        found = prm_ids_by_crm(session, "partner", [f"001A{i:05d}" for i in range(COUNT)] + ["001Anobody"])
        names = partner_names(session, [f"p{i:05d}" for i in range(COUNT)])
    event.remove(store.engine, "before_cursor_execute", seen)
    assert found == {f"001A{i:05d}": f"p{i:05d}" for i in range(COUNT)}
    assert names == {f"p{i:05d}": f"Đông Á {i}" for i in range(COUNT)}
    assert len([s for s in statements if s.startswith("SELECT crm_id, prm_id")]) == 5  # 2,100 ids: chunks of 500
    assert not [s for s in statements if "json_each" in s]


#: names as partners spell them, and what JSON must escape
ODD_NAMES = ['Công ty "Đông Á"', "Müller & Söhne\\GmbH", "tab\there\n", "line\nbreak\t", "東京 🚀", "Ærø {a,b}", "''"]


def test_names_come_back_as_stored(store: Store) -> None:
    now = utcnow()
    names = ODD_NAMES
    with store.session(write=True) as session:
        session.execute(insert(Partner.__table__), [  # type: ignore[attr-defined]
            {"id": f"p{i}", "name": name, "tier": "gold", "status": "active",
             "created_at": now, "updated_at": now} for i, name in enumerate(names)])
        session.commit()
    with store.session() as session:
        assert partner_names(session, [f"p{i}" for i in range(len(names))] + ["p-none"]) == \
            {f"p{i}": name for i, name in enumerate(names)}


ODD_IDS = ["a,b", "{x}", 'q"uote', "back\\slash", "with space", "NULL", "null", "Đông-Á", "ok-1", "a.b_c"]


def test_ids_that_an_array_literal_would_misread_are_found_alike(store: Store) -> None:
    """PostgreSQL sends plain ids (letters, digits, '-', '_', '.') as the text of one array; an id
    with a comma, brace, quote, backslash or space, a non-ASCII one, or one spelled NULL goes as a
    list that psycopg quotes: either way the answers are the stored rows, on both stores."""
    now = utcnow()
    with store.session(write=True) as session:
        session.execute(insert(Partner.__table__), [  # type: ignore[attr-defined]
            {"id": f"p{i}", "name": f"Partner {i}", "tier": "gold", "status": "active",
             "created_at": now, "updated_at": now} for i in range(len(ODD_IDS))])
        session.execute(insert(Link.__table__), [  # type: ignore[attr-defined]
            {"entity": "partner", "prm_id": f"p{i}", "crm_id": crm_id, "base": {}} for i, crm_id in enumerate(ODD_IDS)])
        session.commit()
    parameters: list[Any] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.startswith("SELECT crm_id, prm_id"):
            parameters.append(params)

    event.listen(store.engine, "before_cursor_execute", seen)
    with store.session() as session:
        for crm_id in ODD_IDS:  # each alone: the plain ones take the text path, the others the list
            assert prm_ids_by_crm(session, "partner", [crm_id, "001Anobody"]) == {crm_id: f"p{ODD_IDS.index(crm_id)}"}
        assert prm_ids_by_crm(session, "partner", ODD_IDS) == {c: f"p{i}" for i, c in enumerate(ODD_IDS)}
        assert prm_ids_by_crm(session, "partner", ["nul", "nulls", "NULLx"]) == {}
        assert linked_any(session, "partner", ["NULL"], [])
        assert not linked_any(session, "partner", ["nobody-1"], [])
    event.remove(store.engine, "before_cursor_execute", seen)
    if store.backend == "postgresql":
        sent = [p[1] for p in parameters]
        assert sent[ODD_IDS.index("ok-1")] == "{001Anobody,ok-1}"     # the array's text
        assert sent[ODD_IDS.index("a.b_c")] == "{001Anobody,a.b_c}"
        for odd in ("a,b", "{x}", 'q"uote', "back\\slash", "with space", "NULL", "null", "Đông-Á"):
            assert sent[ODD_IDS.index(odd)] == ["001Anobody", odd]    # a list, quoted by psycopg


def test_sqlite_finds_an_id_holding_a_nul(sqlite_store: Store) -> None:
    """SQLite's `json_each` cuts a text at an escaped NUL: such ids are looked up as rows
    (PostgreSQL's text holds no NUL)."""
    store = sqlite_store
    with store.session(write=True) as session:
        session.execute(insert(Link.__table__), [  # type: ignore[attr-defined]
            {"entity": "partner", "prm_id": f"p{i}", "crm_id": crm_id, "base": {}}
            for i, crm_id in enumerate(["a\x00b", "a", "plain"])])
        session.commit()
    with store.session() as session:
        assert prm_ids_by_crm(session, "partner", ["a\x00b", "plain", "b"]) == {"a\x00b": "p0", "plain": "p2"}
        assert prm_ids_by_crm(session, "partner", ["plain", "\\u0000"]) == {"plain": "p2"}


def test_sqlite_json_look_ups_walk_the_index(sqlite_store: Store) -> None:
    """The JSON look-ups search the index of the column they ask about, once per id; never a scan
    of `link` or `partner` (each page would read every row of the entity)."""
    store = sqlite_store
    _seed(store)
    with store.session() as session:
        connection = session.connection()
        for sql, params, searched in (
                (lookup._select_sql("json", "crm_id, prm_id", "crm_id", 1, table="link"), ("partner", '["001A00001"]'),
                 "(entity=? AND crm_id=?)"),
                (lookup._select_sql("json", "id, name", "id", 1, table="partner"), ('["p00001"]',), "(id=?)")):
            plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
            assert any(step.startswith("SEARCH") and step.endswith(searched) for step in plan), plan
            assert not any(step.startswith(("SCAN link", "SCAN partner")) for step in plan), plan
