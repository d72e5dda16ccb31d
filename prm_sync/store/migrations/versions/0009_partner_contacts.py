"""Partner contacts: the people at a partner (name, email, phone, role, preferred language,
notification opt-outs), synced with Salesforce Contacts / HubSpot contacts; and the notifications
outbox (events written with the change that causes them, delivered by `prm-sync notify send`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "partner_contact"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("deleted_reason", sa.String(), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("opt_outs", sa.String(), nullable=True),
        sa.CheckConstraint("role IN ('primary', 'sales', 'technical', 'finance')",
                           name=op.f("ck_partner_contact_role")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_partner_contact_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_contact")),
    )
    op.create_index(op.f("ix_partner_contact_partner_id"), TABLE, ["partner_id"])
    op.create_index(op.f("ix_partner_contact_email"), TABLE, ["email"])
    op.create_index(op.f("ix_partner_contact_updated_at"), TABLE, ["updated_at"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=True),
        sa.Column("subject_id", sa.String(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed', 'dropped')", name=op.f("ck_notification_state")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_notification_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    op.create_index(op.f("ix_notification_partner_id"), "notification", ["partner_id"])
    op.create_index("ix_notification_state_next_attempt_at", "notification", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_state_next_attempt_at", table_name="notification")
    op.drop_index(op.f("ix_notification_partner_id"), table_name="notification")
    op.drop_table("notification")
    for column in ("updated_at", "email", "partner_id"):
        op.drop_index(op.f(f"ix_partner_contact_{column}"), table_name=TABLE)
    op.drop_table(TABLE)
