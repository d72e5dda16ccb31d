"""The notifications outbox: events written with the change that causes them, delivered later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text
from sqlmodel import Field

from prm_sync.store.tables.base import StoreModel, one_of
from prm_sync.store.types import Key, UtcDateTime, utcnow

NOTIFICATION_STATES: tuple[str, ...] = ("pending", "sent", "failed", "dropped")


class Notification(StoreModel, table=True):
    """One event to tell people about. `dedupe_key` makes recording idempotent (kind, record,
    threshold); the Message-ID derives from `id`, so a resend after a crash carries the same one."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(one_of("state", NOTIFICATION_STATES), name="state"),
        Index("ix_notification_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    dedupe_key: str = Field(unique=True)
    partner_id: str | None = Field(default=None, foreign_key="partner.id", index=True, sa_type=Key)
    subject_id: str | None = Field(default=None, sa_type=Key)  # the registration, contract, certification...
    threshold: int | None = None                      # days before the date (time-driven kinds)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    occurred_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    state: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    recipients: list[str] | None = Field(default=None, sa_type=JSON)
