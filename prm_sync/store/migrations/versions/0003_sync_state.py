"""Sync state for field-level merges: link.base (last synced values), link.deleted_at, and
quarantine kind 'waiting' (a record whose reference has not arrived yet).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("base", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("deleted_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint(op.f("ck_quarantine_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_quarantine_kind"), _kinds(("invalid", "rejected", "waiting")))


def downgrade() -> None:
    op.execute("DELETE FROM quarantine WHERE kind = 'waiting'")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint(op.f("ck_quarantine_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_quarantine_kind"), _kinds(("invalid", "rejected")))
    with op.batch_alter_table("link") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("base")
