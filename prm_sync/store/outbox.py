"""Writing events to the notifications outbox, in the caller's transaction.

`record(session, policy, ...)` adds one event unless the policy says it is history or past the
horizon, or the same event (its dedupe key) is already there: recording is idempotent, so a
retried page, a rerun scan or a second `notify send` never doubles a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.store.tables.notifications import Notification


def dedupe_key(kind: str, subject_id: str | None, threshold: int | None = None, extra: str | None = None) -> str:
    return ":".join(str(part) for part in (kind, subject_id or "-", threshold if threshold is not None else "-",
                                           extra or "-"))


def record(session: Session, policy: NotifyPolicy | None, kind: str, *, partner_id: str | None,
           subject_id: str | None, occurred_at: dt.datetime, now: dt.datetime, threshold: int | None = None,
           payload: dict[str, Any] | None = None, extra_key: str | None = None) -> Notification | None:
    """Add the event to the outbox (same transaction as the caller's change); None when not recorded."""
    if policy is None or not policy.records(occurred_at, now):
        return None
    key = dedupe_key(kind, subject_id, threshold, extra_key)
    pending = _pending(session)
    if key in pending or session.exec(select(Notification.id).where(Notification.dedupe_key == key)).first():
        return None
    note = Notification(kind=kind, dedupe_key=key, partner_id=partner_id, subject_id=subject_id,
                        threshold=threshold, payload=payload or {}, occurred_at=occurred_at, created_at=now,
                        next_attempt_at=now)
    session.add(note)
    pending.add(key)
    return note


def _pending(session: Session) -> set[str]:
    """Keys added in this session but maybe not flushed yet (the session autoflushes on select,
    but rows the pull INSERTs at the end of its unit of work are not in it)."""
    keys: set[str] = session.info.setdefault("outbox_keys", set())
    return keys
