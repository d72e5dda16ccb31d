"""Settling a parked conflict by hand."""

from __future__ import annotations

from sqlmodel import Session

from prm_sync.mapping import EntityMapper
from prm_sync.store import Conflict, Link
from prm_sync.store.types import utcnow
from prm_sync.sync.rows import TABLES


def resolve_conflict(session: Session, mapper: EntityMapper, conflict: Conflict, keep: str) -> None:
    """`keep=crm`: the CRM value goes into the store and becomes the base (nothing to push).
    `keep=prm`: the store keeps its value; the base stays, so the next push sends it."""
    row = session.get(TABLES[mapper.entity], conflict.prm_id)
    link = session.get(Link, (mapper.entity.value, conflict.prm_id))
    if keep == "crm" and row is not None and link is not None:
        is_reference = any(r.name == conflict.field for r in mapper.references)
        value = conflict.crm_value if is_reference else mapper.parse_prm_value(conflict.field, conflict.crm_value)
        setattr(row, conflict.field, value)
        row.updated_at = utcnow()
        link.base = {**(link.base or {}), conflict.field: conflict.crm_value}
        session.add(row)
        session.add(link)
    conflict.resolved_at = utcnow()
    conflict.resolution = keep
    session.add(conflict)
