"""Planner statistics while a run fills a table: PostgreSQL gets one ANALYZE per table (per entity
for `link`) once the run has written 1,000 rows of it; SQLite is left alone. Without it, PostgreSQL
planned each page's look-ups on the wrong index of `link` (measured: a 20,000 x 3 first pull 63 s
instead of 11 s; a 100,000-record push 408 s instead of 48 s)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from prm_sync.store import Link, Partner, Store, open_store
from prm_sync.store.statistics import TableStatistics
from prm_sync.store.types import utcnow
from prm_sync.sync.engine import run_sync
from tests.unit.sync.fake_crm import FakeCrm
from tests.unit.sync.test_engine import Clock, make_config, mapping_with_policy, partner_fields


def _write(store: Store, stats: TableStatistics, start: int, count: int) -> None:
    now = utcnow()
    rows = [{"id": f"p{i:06d}", "name": f"P{i}", "tier": "gold", "status": "active", "created_at": now,
             "updated_at": now} for i in range(start, start + count)]
    with store.session(write=True) as session:
        session.execute(insert(Partner.__table__), rows)  # type: ignore[attr-defined]
        stats.wrote(session, Partner.__table__, count)  # type: ignore[attr-defined]


def _row_estimate(store: Store) -> int:
    with store.session() as session:
        return int(session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'partner'")).scalar_one())


def test_a_table_is_analyzed_once_and_the_link_table_as_the_run_doubles_it(store: Store) -> None:
    """The planner scales a table's row estimate by its size on disk, so a growing table needs its
    statistics once; `link` holds every entity's links, and their mix does not scale."""
    stats = TableStatistics()
    _write(store, stats, 0, 600)
    assert stats.refreshed == []                       # below the first threshold
    _write(store, stats, 600, 600)                     # 1,200 partners written: analyzed
    _write(store, stats, 1200, 3000)                   # grown 3.5x: not again
    link = Link.__table__  # type: ignore[attr-defined]
    with store.session(write=True) as session:
        for count in (900, 900, 900, 2000, 1000):      # (counted only: no link rows needed to count)
            stats.wrote(session, link, count)          # 1,800 written: analyzed; 3,600 no; 5,600 yes; 6,600 no
    if store.backend == "postgresql":
        assert stats.refreshed == ["partner", "link", "link"]
        assert _row_estimate(store) == 1200            # the planner's density; it scales it by the pages
    else:
        assert stats.refreshed == []


# -- the plans a first load leaves (PostgreSQL) --------------------------------------------------

PARTNERS, DEALS = 20_000, 20_000


def _deal_fields(i: int) -> dict[str, str]:
    return {"pipeline": "default", "dealname": f"D{i}", "amount": "100", "dealstage": "closedwon",
            "hs_is_closed_won": "true"}


def _plan(store: Store, statement: str) -> list[str]:
    """The plan's nodes, one line each, without costs; a table read through an index is
    `index NAME` whether the planner reads it plainly, index-only or by bitmap (that choice follows
    the row estimate; which index, or none, is what decides the work)."""
    with store.session() as session:
        lines = [row[0] for row in session.execute(text("EXPLAIN " + statement))]
    nodes = [re.sub(r"\s+\(cost=.*", "", line).replace("->", "").strip() for line in lines if "cost=" in line]
    out = []
    for node in nodes:
        index = re.fullmatch(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: using| on) (\w+).*", node)
        if not node.startswith("Bitmap Heap Scan"):
            out.append(f"index {index[1]}" if index else node)
    return out


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _statements(store: Store) -> dict[str, tuple[str, str | None]]:
    """The look-ups of a pull and the push's join, for 500 stored ids of each entity: name ->
    (statement, the index of `link` a look-up must walk if it walks one)."""
    out: dict[str, tuple[str, str | None]] = {}
    for entity, table in (("partner", "partner"), ("deal", "deal")):
        with store.session() as session:
            sample = session.execute(text(
                "SELECT crm_id, prm_id FROM link WHERE entity = :e ORDER BY prm_id LIMIT 500"), {"e": entity}).all()
        by_crm = f"FROM link WHERE entity = '{entity}' AND crm_id IN ({_quoted([r[0] for r in sample])})"
        by_prm = f"FROM link WHERE entity = '{entity}' AND prm_id IN ({_quoted([r[1] for r in sample])})"
        # PostgreSQL's look-ups send the ids as one array (sync/lookup.py)
        any_crm = f"FROM link WHERE entity = '{entity}' AND crm_id = ANY(ARRAY[{_quoted([r[0] for r in sample])}])"
        any_prm = f"FROM link WHERE entity = '{entity}' AND prm_id = ANY(ARRAY[{_quoted([r[1] for r in sample])}])"
        # ... and plain ids (all a pull meets) as the text of one array (sync/lookup.py _array_literal)
        crm_text, prm_text = (",".join(r[0] for r in sample), ",".join(r[1] for r in sample))
        text_crm = f"FROM link WHERE entity = '{entity}' AND crm_id = ANY('{{{crm_text}}}'::text[])"
        text_prm = f"FROM link WHERE entity = '{entity}' AND prm_id = ANY('{{{prm_text}}}'::text[])"
        out |= {f"{entity} linked_any crm_id text array": (f"SELECT 1 {text_crm} LIMIT 1", "uq_link_entity_crm_id"),
                f"{entity} linked_any prm_id text array": (f"SELECT 1 {text_prm} LIMIT 1", "pk_link"),
                f"{entity} prm_ids_by_crm text array": (f"SELECT crm_id, prm_id {text_crm}", "uq_link_entity_crm_id")}
        out |= {f"{entity} linked_any crm_id array": (f"SELECT 1 {any_crm} LIMIT 1", "uq_link_entity_crm_id"),
                f"{entity} linked_any prm_id array": (f"SELECT 1 {any_prm} LIMIT 1", "pk_link"),
                f"{entity} prm_ids_by_crm array": (f"SELECT crm_id, prm_id {any_crm}", "uq_link_entity_crm_id")}
        out |= {f"{entity} linked_any crm_id": (f"SELECT 1 {by_crm} LIMIT 1", "uq_link_entity_crm_id"),
                f"{entity} linked_any prm_id": (f"SELECT 1 {by_prm} LIMIT 1", "pk_link"),
                f"{entity} prm_ids_by_crm": (f"SELECT crm_id, prm_id {by_crm}", "uq_link_entity_crm_id"),
                f"{entity} links_by_crm": (f"SELECT * {by_crm}", "uq_link_entity_crm_id"),
                f"{entity} links_by_prm": (f"SELECT * {by_prm}", "pk_link"),
                # the push's candidate rows: its table joined to its links (push.py _candidate_batches)
                f"{entity} push candidates": (
                    f"SELECT {table}.id, link.synced_at FROM {table} LEFT OUTER JOIN link "
                    f"ON link.prm_id = {table}.id AND link.entity = '{entity}' WHERE {table}.deleted_at IS NULL "
                    f"AND {table}.id > '' AND (link.prm_id IS NULL OR link.crm_id IS NULL OR link.synced_at IS NULL "
                    f"OR {table}.updated_at > link.synced_at) ORDER BY {table}.id LIMIT 5000", "pk_link"),
                f"{entity} rows_by_id": (f"SELECT * FROM {table} WHERE id IN ({_quoted([r[1] for r in sample])})",
                                         None)}
    out["partner_names"] = (out["partner rows_by_id"][0].replace("SELECT *", "SELECT id, name"), None)
    return out


@pytest.mark.pg
@pytest.mark.parametrize("write_process", ["off", "on"])
def test_after_a_first_load_the_look_ups_are_planned_as_with_fresh_statistics(pg_migrated_url: str, tmp_path: Path,
                                                                               write_process: str) -> None:
    """A 20,000-partner + 20,000-deal first pull analyzes each table once (`link` as it doubles).
    A pull's look-ups are then planned as with statistics taken at the end, none walks the wrong
    index of `link` (a `prm_id` look-up on (entity, crm_id): every link of the entity per look-up,
    what made runs slow down with the square of their size), and the push's join does not walk
    the links once per candidate row. The same when the writer process writes the rows (and
    analyzes them in its transactions: its statements are not seen here)."""
    clock = Clock()
    crm = FakeCrm(clock, page_size=2000)
    partners = [crm.create("companies", partner_fields(f"P{i}")) for i in range(PARTNERS)]
    for i in range(DEALS):
        crm.create("deals", _deal_fields(i), {"companies": {partners[i]}})
    analyzed: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("ANALYZE"):
            analyzed.append(statement.split()[1].strip('"'))

    with open_store(pg_migrated_url) as store:
        event.listen(store.engine, "before_cursor_execute", seen)
        report = run_sync(store, crm, mapping_with_policy("newest_wins"),
                          make_config(tmp_path, write_process=write_process), clock=clock,
                          entities=["partner", "deal"], direction="pull")
        event.remove(store.engine, "before_cursor_execute", seen)
        assert report.pulled == {"partner": PARTNERS, "deal": DEALS}
        # once each; link at 2,000, 4,000, 8,000, 16,000 and 32,000 links (pages of 2,000)
        assert sorted(analyzed) == ([] if write_process == "on" else
                                    ["deal", *["link"] * 5, "partner", "partner_status_change"])
        statements = _statements(store)
        plans = {name: _plan(store, statement) for name, (statement, _index) in statements.items()}
        with store.session(write=True) as session:
            session.execute(text("ANALYZE link, partner, deal"))
        fresh = {name: _plan(store, statement) for name, (statement, _index) in statements.items()}
    lookups = [name for name in statements if "push" not in name]
    assert {name: plans[name] for name in lookups} == {name: fresh[name] for name in lookups}
    for name, (_statement, index) in statements.items():
        if index is None:
            continue
        wrong = {"uq_link_entity_crm_id", "pk_link"} - {index}
        assert not [node for node in plans[name] if any(node == f"index {w}" for w in wrong)], (name, plans[name])
    for name in set(statements) - set(lookups):
        # the join may be hashed or merged (it reads every candidate once either way, the choice follows
        # the estimates); a nested loop must find each row's link by its key, not walk links per row
        assert "Nested Loop Left Join" not in plans[name] or "index pk_link" in plans[name], (name, plans[name])
