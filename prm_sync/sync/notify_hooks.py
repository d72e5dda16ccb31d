"""Notifications a sync records: registration news pulled from the CRM, and the time-driven scan.

History is never notified: a run with `--full` (drift repair) and the first pull of an entity
(no cursor before this run: the first sync of an existing org) record nothing; neither does a
change whose CRM modified time is older than the horizon (notifications.horizon_days).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from prm_sync.domain.fields import Entity
from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.store import SyncRun
from prm_sync.store.bookkeeping import load_cursor
from prm_sync.store.notify_events import conflict_flagged, registration_changed, scan
from prm_sync.sync.context import RunContext

CHANGES = "changes"


def run_policy(ctx: RunContext) -> NotifyPolicy | None:
    """The outbox policy for this run (None: notifications are not configured)."""
    settings = ctx.config.notifications
    if settings is None:
        return None
    policy = settings.policy()
    return policy.history() if ctx.full else policy


def pull_policy(session: Session, ctx: RunContext, entity: Entity) -> NotifyPolicy | None:
    """The policy for pulled changes of `entity`: history on its first pull (asked once per run,
    on its first page, before that page's cursor is saved)."""
    key = f"notify_policy:{entity.value}"
    if key not in ctx.cache:
        policy = run_policy(ctx)
        if policy is not None and not _pulled_before(session, entity):
            policy = policy.history()
        ctx.cache[key] = policy
    cached: NotifyPolicy | None = ctx.cache[key]
    return cached


def _pulled_before(session: Session, entity: Entity) -> bool:
    """Has a run already read this entity from the CRM? (A cursor, or a finished pulling run: an
    org that had no records of the entity then saved no cursor, yet its next records are news.)"""
    if load_cursor(session, entity.value, CHANGES) is not None:
        return True
    runs = session.exec(select(SyncRun.entities).where(
        col(SyncRun.status).in_(["ok", "errors"]), col(SyncRun.dry_run).is_(False),
        col(SyncRun.direction).in_(["pull", "both"])).order_by(col(SyncRun.id).desc()).limit(200)).all()
    return any(entity.value in (entities or []) for entities in runs)


def registrations_pulled(session: Session, ctx: RunContext, changes: list[tuple[Any, Mapping[str, tuple[Any, Any]]]],
                         flagged_before: dict[str, str | None]) -> None:
    """After a page of registrations is merged and checked: news for their partners."""
    policy = pull_policy(session, ctx, Entity.LEAD)
    if policy is None or not policy.live:
        return
    now = ctx.clock()
    for reg, diffs in changes:
        stamp, created = ctx.page_stamps.get(reg.id, (now, False))
        registration_changed(session, policy, reg, created=created, status_changed="status" in diffs,
                             occurred_at=stamp, now=now)
        if reg.conflict_reason and flagged_before.get(reg.id) != reg.conflict_reason:
            conflict_flagged(session, policy, reg, occurred_at=stamp, now=now)


def time_driven(session: Session, ctx: RunContext) -> None:
    """The scan of expiring registrations, contract renewals and certifications (idempotent)."""
    scan(session, run_policy(ctx), ctx.clock())
