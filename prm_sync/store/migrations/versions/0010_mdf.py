"""Market development funds: budgets, allocations, fund requests and claims (synced), their
history; registrations and deals name the fund request behind them (ROI); a conflict the PRM's
rules parked says why.

Revision ID: 0010_mdf
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import Money, UtcDateTime

revision: str = "0010_mdf"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUEST_STATUSES = "status IN ('submitted', 'approved', 'rejected', 'claimed', 'paid', 'expired')"
CLAIM_STATUSES = "status IN ('submitted', 'approved', 'rejected', 'paid')"


def _stamps(soft_deleted: bool) -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]
    if soft_deleted:
        columns += [sa.Column("deleted_at", UtcDateTime(), nullable=True),
                    sa.Column("deleted_reason", sa.String(), nullable=True)]
    return columns


def upgrade() -> None:
    op.create_table(
        "fund_budget",
        *_stamps(False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_budget")),
        sa.UniqueConstraint("period", "currency", name=op.f("uq_fund_budget_period_currency")),
    )
    op.create_index(op.f("ix_fund_budget_updated_at"), "fund_budget", ["updated_at"])
    op.create_table(
        "fund_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.String(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["budget_id"], ["fund_budget.id"],
                                name=op.f("fk_fund_allocation_budget_id_fund_budget")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_fund_allocation_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_allocation")),
        sa.UniqueConstraint("budget_id", "partner_id", name=op.f("uq_fund_allocation_budget_id_partner_id")),
    )
    op.create_index(op.f("ix_fund_allocation_budget_id"), "fund_allocation", ["budget_id"])
    op.create_index(op.f("ix_fund_allocation_partner_id"), "fund_allocation", ["partner_id"])
    op.create_table(
        "fund_request",
        *_stamps(True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=True),
        sa.Column("activity_type", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("requested_amount", Money(), nullable=False),
        sa.Column("approved_amount", Money(), nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("expected_leads", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.CheckConstraint(REQUEST_STATUSES, name=op.f("ck_fund_request_status")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_fund_request_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_request")),
    )
    for column in ("partner_id", "status", "updated_at"):
        op.create_index(op.f(f"ix_fund_request_{column}"), "fund_request", [column])
    op.create_table(
        "fund_claim",
        *_stamps(True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("partner_id", sa.String(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("proof", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(CLAIM_STATUSES, name=op.f("ck_fund_claim_status")),
        sa.ForeignKeyConstraint(["request_id"], ["fund_request.id"],
                                name=op.f("fk_fund_claim_request_id_fund_request")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_fund_claim_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_claim")),
    )
    for column in ("request_id", "partner_id", "status", "updated_at"):
        op.create_index(op.f(f"ix_fund_claim_{column}"), "fund_claim", [column])
    op.create_table(
        "fund_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("amount", Money(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_history")),
    )
    op.create_index("ix_fund_history_subject", "fund_history", ["subject", "subject_id"])
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("fund_request_id", sa.String(), nullable=True))
        batch.create_index(batch.f("ix_registration_fund_request_id"), ["fund_request_id"])
    with op.batch_alter_table("deal") as batch:
        batch.add_column(sa.Column("fund_request_id", sa.String(), nullable=True))
        batch.create_index(batch.f("ix_deal_fund_request_id"), ["fund_request_id"])
    with op.batch_alter_table("conflict") as batch:
        batch.add_column(sa.Column("reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conflict") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("deal") as batch:
        batch.drop_index(batch.f("ix_deal_fund_request_id"))
        batch.drop_column("fund_request_id")
    with op.batch_alter_table("registration") as batch:
        batch.drop_index(batch.f("ix_registration_fund_request_id"))
        batch.drop_column("fund_request_id")
    op.drop_index("ix_fund_history_subject", table_name="fund_history")
    op.drop_table("fund_history")
    for column in ("request_id", "partner_id", "status", "updated_at"):
        op.drop_index(op.f(f"ix_fund_claim_{column}"), table_name="fund_claim")
    op.drop_table("fund_claim")
    for column in ("partner_id", "status", "updated_at"):
        op.drop_index(op.f(f"ix_fund_request_{column}"), table_name="fund_request")
    op.drop_table("fund_request")
    op.drop_index(op.f("ix_fund_allocation_partner_id"), table_name="fund_allocation")
    op.drop_index(op.f("ix_fund_allocation_budget_id"), table_name="fund_allocation")
    op.drop_table("fund_allocation")
    op.drop_index(op.f("ix_fund_budget_updated_at"), table_name="fund_budget")
    op.drop_table("fund_budget")
