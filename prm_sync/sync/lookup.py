"""Batched look-ups of links and rows for a page of records (a few queries per page, not per record)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from prm_sync.store import Link
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


def links_by_prm(session: Session, entity: str, prm_ids: Iterable[str]) -> dict[str, Link]:
    ids = sorted({i for i in prm_ids if i})
    out: dict[str, Link] = {}
    for chunk in _chunks(ids):
        for link in session.exec(select(Link).where(Link.entity == entity, col(Link.prm_id).in_(chunk))):
            out[link.prm_id] = link
    return out


def rows_by_id(session: Session, table: type[SyncedRow], ids: Iterable[str]) -> dict[str, SyncedRow]:
    wanted = sorted({i for i in ids if i})
    out: dict[str, SyncedRow] = {}
    for chunk in _chunks(wanted):
        for row in session.exec(select(table).where(col(table.id).in_(chunk))):
            out[row.id] = row
    return out
