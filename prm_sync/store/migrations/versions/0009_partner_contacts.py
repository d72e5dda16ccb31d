"""Partner contacts: the people at a partner (name, email, phone, role, preferred language,
notification opt-outs), synced with Salesforce Contacts / HubSpot contacts.

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


def downgrade() -> None:
    for column in ("updated_at", "email", "partner_id"):
        op.drop_index(op.f(f"ix_partner_contact_{column}"), table_name=TABLE)
    op.drop_table(TABLE)
