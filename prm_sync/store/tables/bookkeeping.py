"""Sync bookkeeping: links between PRM and CRM records, cursors, runs, quarantine, conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field

from prm_sync.store.tables.base import StoreModel, one_of
from prm_sync.store.types import Key, UtcDateTime, utcnow

RUN_STATUSES: tuple[str, ...] = ("running", "ok", "errors", "failed", "aborted")
QUARANTINE_SIDES: tuple[str, ...] = ("pull", "push")
QUARANTINE_KINDS: tuple[str, ...] = ("invalid", "rejected", "waiting")
CONFLICT_RESOLUTIONS: tuple[str, ...] = ("prm", "crm")


class Link(StoreModel, table=True):
    """Ties one PRM row to its CRM record, with a hash of what each side held at last sync."""

    __tablename__ = "link"
    __table_args__ = (UniqueConstraint("entity", "crm_id"),)

    entity: str = Field(primary_key=True, sa_type=Key)
    prm_id: str = Field(primary_key=True, sa_type=Key)
    crm_id: str | None = Field(default=None, sa_type=Key)
    prm_hash: str | None = None
    crm_hash: str | None = None
    synced_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # PRM field -> canonical value both sides held at the last sync: the base of 3-way merges.
    base: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # When a deletion (either side) was carried to the other side.
    deleted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SyncCursor(StoreModel, table=True):
    """Compound high-water mark (modstamp, record id) of one entity's CRM stream."""

    __tablename__ = "sync_cursor"

    entity: str = Field(primary_key=True, sa_type=Key)
    stream: str = Field(primary_key=True, sa_type=Key)
    modstamp: datetime = Field(sa_type=UtcDateTime, nullable=False)
    record_id: str | None = Field(default=None, sa_type=Key)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class SyncRun(StoreModel, table=True):
    """One `prm-sync sync` invocation and its outcome."""

    __tablename__ = "sync_run"
    __table_args__ = (CheckConstraint(one_of("status", RUN_STATUSES), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(
        default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True
    )
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    status: str = "running"
    entities: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    direction: str = "both"
    dry_run: bool = False
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    api_calls: int = 0
    error: str | None = Field(default=None, sa_type=Text)


class Quarantine(StoreModel, table=True):
    """A record that failed to sync: invalid (caught by us) or rejected (by the CRM)."""

    __tablename__ = "quarantine"
    __table_args__ = (
        CheckConstraint(one_of("side", QUARANTINE_SIDES), name="side"),
        CheckConstraint(one_of("kind", QUARANTINE_KINDS), name="kind"),
        Index("ix_quarantine_entity_record_key", "entity", "record_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="sync_run.id", index=True)
    entity: str = Field(sa_type=Key)
    side: str
    record_key: str = Field(sa_type=Key)
    crm_id: str | None = Field(default=None, sa_type=Key)
    prm_id: str | None = Field(default=None, sa_type=Key)
    kind: str
    reason: str = Field(sa_type=Text, nullable=False)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    attempts: int = 1
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)


class Conflict(StoreModel, table=True):
    """A field both sides changed since the last sync, parked for `prm-sync conflicts resolve`."""

    __tablename__ = "conflict"
    __table_args__ = (
        CheckConstraint(one_of("resolution", CONFLICT_RESOLUTIONS), name="resolution"),
        Index("ix_conflict_entity_prm_id", "entity", "prm_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=Key)
    prm_id: str = Field(sa_type=Key)
    crm_id: str | None = Field(default=None, sa_type=Key)
    field: str
    prm_value: Any = Field(default=None, sa_type=JSON, nullable=True)
    crm_value: Any = Field(default=None, sa_type=JSON, nullable=True)
    base_value: Any = Field(default=None, sa_type=JSON, nullable=True)
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    resolution: str | None = None
    reason: str | None = None   # why the PRM parked it, when a rule (not a both-sides edit) did
