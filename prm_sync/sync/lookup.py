"""Batched look-ups of links and rows for a page of records (a few queries per page, not per record)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from prm_sync.store import Link, Partner
from prm_sync.sync.rows import SyncedRow

_CHUNK = 500  # stay far below every database's bound-parameter limit


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def links_by_crm(session: Session, entity: str, crm_ids: Iterable[str]) -> dict[str, Link]:
    ids = sorted({i for i in crm_ids if i})
    out: dict[str, Link] = {}
    for chunk in _chunks(ids):
        for link in session.exec(select(Link).where(Link.entity == entity, col(Link.crm_id).in_(chunk))):
            assert link.crm_id is not None
            out[link.crm_id] = link
    return out


def prm_ids_by_crm(session: Session, entity: str, crm_ids: Iterable[str]) -> dict[str, str]:
    """CRM id -> PRM id of linked records: two columns read as plain driver SQL (each page of
    registrations and deals resolves its partners here; no Link objects, no ORM compilation)."""
    return _pairs(session, "crm_id, prm_id", "crm_id", crm_ids, entity=entity)


def partner_names(session: Session, partner_ids: Iterable[str]) -> dict[str, str]:
    """Partner id -> name for these partners only (plain driver SQL, like `prm_ids_by_crm`): a page
    of registrations names its partners' holders in the conflict index without the run keeping a
    map of every partner (~20 MB per 100,000 partners, held for the whole registration pull)."""
    return _pairs(session, "id, name", "id", partner_ids, table=Partner.__tablename__)


def links_by_prm(session: Session, entity: str, prm_ids: Iterable[str]) -> dict[str, Link]:
    ids = sorted({i for i in prm_ids if i})
    out: dict[str, Link] = {}
    for chunk in _chunks(ids):
        for link in session.exec(select(Link).where(Link.entity == entity, col(Link.prm_id).in_(chunk))):
            out[link.prm_id] = link
    return out


#: ids per statement sent as one array (PostgreSQL): a page's worth and more in one round trip
_ARRAY_CHUNK = 10_000


def _pairs(session: Session, what: str, column: str, ids: Iterable[str], *, entity: str | None = None,
           table: str = Link.__tablename__) -> dict[str, str]:
    """`what` (two columns) of the rows `_select` finds, as a dict of the first to the second.

    SQLite (with its JSON functions, as every build since 3.38 has): the ids go in as one JSON
    array and the pairs come back as one JSON object, one statement and one row for a page. Why:
    the sqlite3 module lets go of the GIL at every row it steps through, and a first load's other
    threads (the read-ahead's CSV, the writer's feed) take it each time, so 2,000 rows a page
    cost the main thread many waits of up to a switch interval each (measured: with one busy
    thread beside it, 2,000 ids as rows took seconds, as one object ~20 ms). SQLite's `json_each`
    cuts a text at an escaped NUL: ids holding one go the other way."""
    connection = session.connection()
    out: dict[str, str] = {}
    if connection.dialect.name == "sqlite" and _sqlite_json():
        wanted = sorted({i for i in ids if i})
        sql = _select_sql("json", what, column, 1, table=table)
        where = (entity,) if table == Link.__tablename__ else ()
        for start in range(0, len(wanted), _ARRAY_CHUNK):
            chunk = wanted[start:start + _ARRAY_CHUNK]
            array = json.dumps(chunk)
            if "\\u0000" in array:
                out.update(_pairs_as_rows(connection, what, column, chunk, entity, table))
            else:
                out.update(json.loads(connection.exec_driver_sql(sql, (*where, array)).scalar() or "{}"))
        return out
    return _pairs_as_rows(connection, what, column, ids, entity, table)


def _pairs_as_rows(connection: Connection, what: str, column: str, ids: Iterable[str], entity: str | None,
                   table: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for sql, params in _select(connection, what, column, ids, entity=entity, table=table):
        out.update(connection.exec_driver_sql(sql, params).fetchall())  # fetchall: not row by row
    return out


def _select(connection: Connection, what: str, column: str, ids: Iterable[str], *, entity: str | None = None,
            table: str = Link.__tablename__) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(statement, parameters) that read `what` of the rows whose `column` is one of `ids`, and (on
    `link`) whose entity is `entity`, as plain driver SQL. PostgreSQL gets the ids as one array
    (`= ANY(%s)`): one statement per page, which psycopg converts and the server parses once,
    where 500 placeholders cost both per chunk (measured on 2,000 ids: half the client's CPU, ~30 %
    less wall time, one round trip instead of four). Others get `IN (?, ...)` in chunks below
    every database's bound-parameter limit."""
    wanted = sorted({i for i in ids if i})
    where = [entity] if table == Link.__tablename__ else []
    if connection.dialect.name == "postgresql":
        for start in range(0, len(wanted), _ARRAY_CHUNK):
            chunk = wanted[start:start + _ARRAY_CHUNK]
            literal = _array_literal(chunk)
            if literal is not None:
                yield _select_sql("array text", what, column, 1, table=table), (*where, literal)
            else:
                yield _select_sql("array", what, column, 1, table=table), (*where, chunk)
        return
    for chunk in _chunks(wanted):
        yield _select_sql(connection.dialect.paramstyle, what, column, len(chunk), table=table), (*where, *chunk)


@cache
def _sqlite_json() -> bool:
    """Whether this process's SQLite library has its JSON functions (built in since 3.38; an
    option before)."""
    try:
        with closing(sqlite3.connect(":memory:")) as probe:
            answer = probe.execute("SELECT json_group_object(value, value) FROM json_each(?)", ('["a"]',)).fetchone()
        return bool(answer == ('{"a":"a"}',))
    except sqlite3.Error:
        return False


#: ids that stand in a PostgreSQL array literal as they are (no quotes, no escapes): every id the
#: CRMs and prm-sync make (Salesforce's 18 characters, HubSpot's digits, PRM ids' hex digits)
_PLAIN_IDS = re.compile(r"[0-9A-Za-z_.-]+(?:,[0-9A-Za-z_.-]+)*")
_NULL_ELEMENT = re.compile(r"(?:^|,)null(?:,|$)", re.IGNORECASE)


def _array_literal(ids: list[str]) -> str | None:
    """`ids` as the text of a PostgreSQL array (`{a,b,c}`), when each id can stand in it unquoted;
    else None (the list is then sent as it is, which psycopg quotes per element). Why: psycopg's
    list dumper works in Python per element (~0.2 us each: ~0.45 s of a 300,000-record first pull's
    main thread, its bottleneck); this is one join and one regular expression in C. An unquoted
    NULL would be an SQL NULL, not the text, and a comma would cut an id in two: such ids take the
    list path too."""
    joined = ",".join(ids)
    if joined.count(",") != len(ids) - 1 or not _PLAIN_IDS.fullmatch(joined) or _NULL_ELEMENT.search(joined):
        return None
    return "{" + joined + "}"


_SQL: dict[tuple[str, str, str, int, str], str] = {}


def _select_sql(style: str, what: str, column: str, count: int, *, table: str = Link.__tablename__) -> str:
    """`SELECT <what> FROM link WHERE entity = ? AND <column> IN (?, ...)` in the driver's
    paramstyle (or, style "array", `<column> = ANY(%s)`; "array text", `= ANY(%s::text[])`; "json"
    (SQLite), `SELECT json_group_object(<what>) ... <column> IN (the values of one JSON array)`:
    the rows' two columns as one JSON object, `{}` for none); for another `table`, without the
    entity."""
    key = (style, what, column, count, table)
    if key not in _SQL:
        # sqlite3 ("qmark", "json"); psycopg ("format"/"pyformat", "array", "array text")
        mark = "?" if style in ("qmark", "json") else "%s"
        entity = f"entity = {mark} AND " if table == Link.__tablename__ else ""
        if style == "json":
            what, among = f"json_group_object({what})", f"IN (SELECT value FROM json_each({mark}))"
        elif style == "array text":  # the ids as the text of an array (`_array_literal`)
            among = f"= ANY({mark}::text[])"
        else:
            among = f"= ANY({mark})" if style == "array" else f"IN ({', '.join([mark] * count)})"
        _SQL[key] = f"SELECT {what} FROM {table} WHERE {entity}{column} {among}"
    return _SQL[key]


def entity_is_empty(session: Session, entity: str, table: type[SyncedRow]) -> bool:
    """No link and no row of `entity` yet: a first load into an empty store (or entity)."""
    return (session.exec(select(Link.prm_id).where(Link.entity == entity).limit(1)).first() is None
            and session.exec(select(table.id).limit(1)).first() is None)


def linked_any(session: Session, entity: str, crm_ids: Iterable[str], prm_ids: Iterable[str]) -> bool:
    """Whether a link of `entity` holds one of these CRM ids or PRM ids.

    One indexed probe per id in the database, sent as plain driver SQL: on a first load every page
    asks this and the answer is "no" (the rows were not there when the entity's pull began, so only
    a record the read returns twice finds its own earlier row), and SQLAlchemy's compilation of an
    expanding IN and its ORM result handling cost far more than the database's own work."""
    connection = session.connection()
    for column, ids in (("crm_id", crm_ids), ("prm_id", prm_ids)):
        for sql, params in _select(connection, "1", column, ids, entity=entity):
            if connection.exec_driver_sql(sql + " LIMIT 1", params).first():
                return True
    return False


UNREADABLE = (ValueError, ArithmeticError, TypeError)  # a value written behind the ORM (e.g. by hand)


def rows_by_id(session: Session, table: type[SyncedRow], ids: Iterable[str],
               unreadable: dict[str, str] | None = None) -> dict[str, SyncedRow]:
    """Rows by id. A row holding a value its column type cannot read (text in a money column, a
    malformed date) is left out and named in `unreadable` (id -> why), instead of failing the run."""
    wanted = sorted({i for i in ids if i})
    out: dict[str, SyncedRow] = {}
    for chunk in _chunks(wanted):
        try:
            rows: list[Any] = list(session.exec(select(table).where(col(table.id).in_(chunk))))
        except UNREADABLE:
            rows = []
            for one in chunk:
                try:
                    rows += list(session.exec(select(table).where(col(table.id) == one)
                                              .execution_options(populate_existing=True)))
                except UNREADABLE as exc:
                    if unreadable is not None:
                        unreadable[one] = f"the store holds a value that cannot be read ({type(exc).__name__}: {exc})"
        for row in rows:
            out[row.id] = row
    return out
