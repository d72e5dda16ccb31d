"""Small queries the sync engine runs on bookkeeping rows, inside its unit of work.

They flush nothing and commit nothing: the caller's `store.session()` commits rows and
cursor together.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from prm_sync.store.tables import Link, SyncCursor
from prm_sync.store.types import utcnow


def load_cursor(session: Session, entity: str, stream: str) -> SyncCursor | None:
    return session.get(SyncCursor, (entity, stream))


def save_cursor(
    session: Session, entity: str, stream: str, modstamp: datetime, record_id: str | None
) -> SyncCursor:
    """Insert or move the (entity, stream) cursor. Only call in the transaction that commits
    the rows the cursor covers."""
    cursor = session.get(SyncCursor, (entity, stream))
    if cursor is None:
        cursor = SyncCursor(entity=entity, stream=stream, modstamp=modstamp, record_id=record_id)
    else:
        cursor.modstamp, cursor.record_id, cursor.updated_at = modstamp, record_id, utcnow()
    session.add(cursor)
    return cursor


def link_for_prm(session: Session, entity: str, prm_id: str) -> Link | None:
    return session.get(Link, (entity, prm_id))


def link_for_crm(session: Session, entity: str, crm_id: str) -> Link | None:
    return session.exec(select(Link).where(Link.entity == entity, Link.crm_id == crm_id)).first()
