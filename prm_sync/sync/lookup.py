"""Batched look-ups of links and rows for a page of records (a few queries per page, not per record)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    connection = session.connection()
    style = connection.dialect.paramstyle
    out: dict[str, str] = {}
    for chunk in _chunks(sorted({i for i in crm_ids if i})):
        sql = _select_sql(style, "crm_id, prm_id", "crm_id", len(chunk))
        out.update(connection.exec_driver_sql(sql, (entity, *chunk)).fetchall())  # fetchall: not row by row
    return out


def partner_names(session: Session, partner_ids: Iterable[str]) -> dict[str, str]:
    """Partner id -> name for these partners only (plain driver SQL, like `prm_ids_by_crm`): a page
    of registrations names its partners' holders in the conflict index without the run keeping a
    map of every partner (~20 MB per 100,000 partners, held for the whole registration pull)."""
    connection = session.connection()
    style = connection.dialect.paramstyle
    out: dict[str, str] = {}
    for chunk in _chunks(sorted({i for i in partner_ids if i})):
        sql = _select_sql(style, "id, name", "id", len(chunk), table=Partner.__tablename__)
        out.update(connection.exec_driver_sql(sql, tuple(chunk)).fetchall())
    return out


def links_by_prm(session: Session, entity: str, prm_ids: Iterable[str]) -> dict[str, Link]:
    ids = sorted({i for i in prm_ids if i})
    out: dict[str, Link] = {}
    for chunk in _chunks(ids):
        for link in session.exec(select(Link).where(Link.entity == entity, col(Link.prm_id).in_(chunk))):
            out[link.prm_id] = link
    return out


_SQL: dict[tuple[str, str, str, int, str], str] = {}


def _select_sql(paramstyle: str, what: str, column: str, count: int, *, table: str = Link.__tablename__) -> str:
    """`SELECT <what> FROM link WHERE entity = ? AND <column> IN (?, ...)` in the driver's style;
    for another `table`, `SELECT <what> FROM <table> WHERE <column> IN (?, ...)`."""
    key = (paramstyle, what, column, count, table)
    if key not in _SQL:
        mark = "?" if paramstyle == "qmark" else "%s"  # sqlite3; psycopg ("format"/"pyformat")
        entity = f"entity = {mark} AND " if table == Link.__tablename__ else ""
        _SQL[key] = f"SELECT {what} FROM {table} WHERE {entity}{column} IN ({', '.join([mark] * count)})"
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
    style = connection.dialect.paramstyle
    for column, ids in (("crm_id", crm_ids), ("prm_id", prm_ids)):
        for chunk in _chunks(sorted({i for i in ids if i})):
            probe = _select_sql(style, "1", column, len(chunk)) + " LIMIT 1"
            if connection.exec_driver_sql(probe, (entity, *chunk)).first():
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
