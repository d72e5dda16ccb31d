"""Quarantined records: invalid (caught by us), rejected (refused by the CRM), waiting (a
reference that has not arrived yet). One open entry per (entity, side, record); resolved when
the record later syncs."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from prm_sync.store import Quarantine
from prm_sync.store.types import utcnow
from prm_sync.sync.context import RunContext
from prm_sync.util.redact import redact


def open_entry(session: Session, entity: str, side: str, record_key: str) -> Quarantine | None:
    return session.exec(
        select(Quarantine).where(
            Quarantine.entity == entity, Quarantine.side == side, Quarantine.record_key == record_key,
            col(Quarantine.resolved_at).is_(None),
        )
    ).first()


def _open_keys(session: Session, ctx: RunContext, entity: str, side: str) -> set[str]:
    """Record keys with an open entry, loaded once per run and side: resolving a record that was
    never quarantined (nearly all of them) then costs no query."""
    cache = ctx.open_quarantine
    if (entity, side) not in cache:
        query = select(Quarantine.record_key).where(
            Quarantine.entity == entity, Quarantine.side == side, col(Quarantine.resolved_at).is_(None))
        cache[(entity, side)] = set(session.exec(query).all())
    return cache[(entity, side)]


def quarantine(
    session: Session, ctx: RunContext, *, entity: str, side: str, kind: str, record_key: str, reason: str,
    crm_id: str | None = None, prm_id: str | None = None, payload: dict[str, Any] | None = None,
) -> None:
    action = kind
    reason = redact(reason)  # CRM messages are stored and shown: never with a credential in them
    ctx.report.count(entity, "prm" if side == "pull" else "crm", action)
    if ctx.dry_run or ctx.run_id is None:
        return
    _open_keys(session, ctx, entity, side).add(record_key)
    entry = open_entry(session, entity, side, record_key)
    now = utcnow()
    if entry is None:
        session.add(Quarantine(
            run_id=ctx.run_id, entity=entity, side=side, record_key=record_key, crm_id=crm_id, prm_id=prm_id,
            kind=kind, reason=reason, payload=payload, first_seen=now, last_seen=now,
        ))
        return
    entry.kind, entry.reason, entry.last_seen, entry.run_id = kind, reason, now, ctx.run_id
    entry.attempts += 1
    if payload is not None:
        entry.payload = payload
    entry.crm_id = crm_id or entry.crm_id
    entry.prm_id = prm_id or entry.prm_id
    session.add(entry)


def resolve(session: Session, ctx: RunContext, entity: str, side: str, record_key: str) -> None:
    if ctx.dry_run:
        return
    keys = _open_keys(session, ctx, entity, side)
    if record_key not in keys:
        return
    entry = open_entry(session, entity, side, record_key)
    keys.discard(record_key)
    if entry is not None:
        entry.resolved_at = utcnow()
        session.add(entry)


def open_entries(session: Session, entity: str, side: str, kinds: tuple[str, ...]) -> list[Quarantine]:
    return list(session.exec(
        select(Quarantine).where(
            Quarantine.entity == entity, Quarantine.side == side, col(Quarantine.kind).in_(kinds),
            col(Quarantine.resolved_at).is_(None),
        ).order_by(col(Quarantine.id))
    ).all())
