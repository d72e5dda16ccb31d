"""What `prm-sync status` shows: last runs per entity, cursors, pending work, errors, conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, func, or_, select

from prm_sync.domain.fields import SYNC_ORDER
from prm_sync.store import Conflict, Link, Quarantine, SyncCursor, SyncRun
from prm_sync.sync.rows import TABLES


def status_report(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    runs = list(session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(200)).all())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    entities: dict[str, Any] = {}
    for entity in SYNC_ORDER:
        name = entity.value
        last = next((r for r in runs if name in (r.entities or [])), None)
        cursors = {c.stream: c.modstamp.isoformat() for c in session.exec(
            select(SyncCursor).where(SyncCursor.entity == name))}
        entities[name] = {
            "last_run": _run_summary(last, name) if last else None,
            "cursors": cursors,
            "pending_pushes": _pending(session, name),
            "quarantined": _count(session, Quarantine, name),
            "open_conflicts": _count(session, Conflict, name),
        }
    return {
        "entities": entities,
        "api_calls_today": sum(r.api_calls for r in runs if r.started_at >= midnight),
        "last_run": _run_summary(runs[0], None) if runs else None,
    }


def _run_summary(run: SyncRun, entity: str | None) -> dict[str, Any]:
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    changes = (run.counts or {}).get("changes", {})
    pulled = (run.counts or {}).get("pulled", {})
    return {
        "id": run.id, "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None, "status": run.status,
        "duration_s": round(duration, 3) if duration is not None else None,
        "counts": changes.get(entity, {}) if entity else changes,
        "pulled": pulled.get(entity, 0) if entity else sum(pulled.values()),
        "api_calls": run.api_calls, "error": run.error,
    }


def _count(session: Session, table: type[Quarantine] | type[Conflict], entity: str) -> int:
    query = select(func.count()).select_from(table).where(table.entity == entity, col(table.resolved_at).is_(None))
    return int(session.exec(query).one())


def _pending(session: Session, entity: str) -> int:
    from prm_sync.domain.fields import Entity

    table = TABLES[Entity(entity)]
    query = (select(func.count()).select_from(table)
             .outerjoin(Link, (col(Link.prm_id) == col(table.id)) & (Link.entity == entity))
             .where(col(table.deleted_at).is_(None),
                    or_(col(Link.prm_id).is_(None), col(Link.synced_at).is_(None),
                        col(table.updated_at) > col(Link.synced_at))))
    return int(session.exec(query).one())


def describe_lock(lock: dict[str, Any]) -> str:
    """The run lock in one line for `status` (lock: prm_sync.store.lock_status)."""
    if not lock.get("held"):
        return "Run lock: free"
    until = f", run deadline {lock['deadline_at']}" if lock.get("deadline_at") else ""
    line = f"Run lock: held by {lock['holder']}{until}"
    if lock.get("stale"):
        line += (" - STALE: past its run deadline (sync.max_run_seconds) and still holding the lock; "
                 "`prm-sync sync --break-stale-lock` breaks it")
    return line
