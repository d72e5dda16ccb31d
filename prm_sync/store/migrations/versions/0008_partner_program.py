"""Partner program: tier history (with discounts), tier pins, the partner's discount and valid
certification count (both pushed to the CRM), certifications tied to the catalogue and a holder,
and the component of a commission line (a SPIFF line is its own component).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import Money, UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner") as batch:
        batch.add_column(sa.Column("tier_pinned_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("discount_percent", Money(), nullable=True))
        batch.add_column(sa.Column("valid_certifications", sa.Integer(), nullable=True))
    with op.batch_alter_table("certification") as batch:
        batch.add_column(sa.Column("catalogue_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("holder", sa.String(), nullable=True))
    with op.batch_alter_table("commission_line") as batch:
        batch.add_column(sa.Column("component", sa.String(), nullable=True))
    op.create_table(
        "partner_tier_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=False),
        sa.Column("from_tier", sa.String(), nullable=True),
        sa.Column("to_tier", sa.String(), nullable=False),
        sa.Column("from_discount", Money(), nullable=True),
        sa.Column("to_discount", Money(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"],
                                name=op.f("fk_partner_tier_change_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_tier_change")),
    )
    op.create_index(op.f("ix_partner_tier_change_partner_id"), "partner_tier_change", ["partner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_tier_change_partner_id"), table_name="partner_tier_change")
    op.drop_table("partner_tier_change")
    with op.batch_alter_table("commission_line") as batch:
        batch.drop_column("component")
    with op.batch_alter_table("certification") as batch:
        batch.drop_column("holder")
        batch.drop_column("catalogue_id")
    with op.batch_alter_table("partner") as batch:
        batch.drop_column("valid_certifications")
        batch.drop_column("discount_percent")
        batch.drop_column("tier_pinned_until")
