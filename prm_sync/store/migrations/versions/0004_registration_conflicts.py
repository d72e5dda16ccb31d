"""Deal registration: the channel conflict stored on the registration, and an index on status
(expiry and `leads list --status` read by status).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFLICT_COLUMNS = ("conflict_reason", "conflict_with", "conflict_detail")


def upgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        for column in CONFLICT_COLUMNS:
            batch.add_column(sa.Column(column, sa.String(), nullable=True))
    op.create_index(op.f("ix_registration_status"), "registration", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_registration_status"), table_name="registration")
    with op.batch_alter_table("registration") as batch:
        for column in reversed(CONFLICT_COLUMNS):
            batch.drop_column(column)
