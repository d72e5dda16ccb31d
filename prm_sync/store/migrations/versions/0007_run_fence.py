"""The run lock's fencing token: run_fence (one row) with the generation each run takes and
checks in every unit of work, and the holder's deadline (stale locks can be broken).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_fence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("acquired_at", UtcDateTime(), nullable=True),
        sa.Column("deadline_at", UtcDateTime(), nullable=True),
        sa.Column("stale_at", UtcDateTime(), nullable=True),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_fence")),
    )
    op.execute("INSERT INTO run_fence (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("run_fence")
