"""Initial schema: partners, registrations, deals, commissions, sync bookkeeping.

Hand-written from the table models (tests prove it matches them on SQLite and PostgreSQL).
Money and datetimes use prm_sync.store.types, whose storage must therefore never change
meaning: a change there needs a new migration and a new type name.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.types import Money, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _when(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=op.f(f"ck_{table}_{column}"))


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def _timestamps() -> list[sa.Column]:
    return [_when("created_at", nullable=False), _when("updated_at", nullable=False)]


def _soft_delete() -> list[sa.Column]:
    return [_when("deleted_at"), _text("deleted_reason")]


def upgrade() -> None:
    op.create_table(
        "partner",
        _text("id", nullable=False),
        _text("name", nullable=False),
        _text("tier", nullable=False),
        _text("status", nullable=False),
        *map(_text, ("country", "website", "phone", "industry")),
        sa.Column("joined_on", sa.Date(), nullable=True),
        _text("channel_manager"),
        _text("territories"),
        *_timestamps(),
        *_soft_delete(),
        _pk("partner", "id"),
    )
    _index("partner", "updated_at")

    op.create_table(
        "partner_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("partner_id", nullable=False),
        _text("from_status"),
        _text("to_status", nullable=False),
        _text("reason"),
        _text("actor", nullable=False),
        _when("at", nullable=False),
        _fk("partner_status_change", "partner_id", "partner"),
        _pk("partner_status_change", "id"),
    )
    _index("partner_status_change", "partner_id")

    op.create_table(
        "certification",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("partner_id", nullable=False),
        _text("name", nullable=False),
        sa.Column("earned_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        _fk("certification", "partner_id", "partner"),
        _pk("certification", "id"),
    )
    _index("certification", "partner_id")

    op.create_table(
        "contract",
        _text("id", nullable=False),
        _text("partner_id", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        _flag("auto_renew"),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        _text("terms_url"),
        _text("state", nullable=False),
        _text("renewed_from"),
        *_timestamps(),
        _one_of("contract", "state", ("active", "expired", "terminated")),
        _fk("contract", "partner_id", "partner"),
        sa.ForeignKeyConstraint(
            ["renewed_from"], ["contract.id"], name=op.f("fk_contract_renewed_from_contract")
        ),
        _pk("contract", "id"),
    )
    for column in ("partner_id", "renewed_from", "updated_at"):
        _index("contract", column)

    op.create_table(
        "registration",
        _text("id", nullable=False),
        _text("partner_id", nullable=False),
        _text("company", nullable=False),
        *map(_text, ("contact_first_name", "contact_last_name", "email", "website")),
        sa.Column("estimated_value", Money(), nullable=True),
        _text("currency"),
        sa.Column("expected_close", sa.Date(), nullable=True),
        _text("status", nullable=False),
        _text("products"),
        _flag("converted"),
        _text("status_reason"),
        *map(_when, ("approved_at", "expires_at", "extended_until")),
        *_timestamps(),
        *_soft_delete(),
        _fk("registration", "partner_id", "partner"),
        _pk("registration", "id"),
    )
    for column in ("partner_id", "updated_at"):
        _index("registration", column)

    op.create_table(
        "deal",
        _text("id", nullable=False),
        _text("partner_id", nullable=False),
        _text("name", nullable=False),
        sa.Column("amount", Money(), nullable=True),
        _text("currency"),
        _text("stage"),
        sa.Column("close_date", sa.Date(), nullable=True),
        _flag("is_won"),
        _flag("is_closed"),
        *map(_text, ("deal_type", "product_line", "registration_id")),
        *_timestamps(),
        *_soft_delete(),
        _fk("deal", "partner_id", "partner"),
        _pk("deal", "id"),
    )
    for column in ("partner_id", "registration_id", "updated_at"):
        _index("deal", column)

    op.create_table(
        "commission_line",
        _text("id", nullable=False),
        _text("deal_id", nullable=False),
        _text("partner_id", nullable=False),
        sa.Column("amount", Money(), nullable=False),
        _text("currency", nullable=False),
        _text("status", nullable=False),
        _text("period"),
        sa.Column("explanation", sa.Text(), nullable=True),
        _text("kind", nullable=False),
        _text("plan"),
        *map(_when, ("calculated_at", "approved_at", "paid_at")),
        *_timestamps(),
        _when("deleted_at"),
        _one_of("commission_line", "kind", ("commission", "clawback")),
        _fk("commission_line", "deal_id", "deal"),
        _fk("commission_line", "partner_id", "partner"),
        _pk("commission_line", "id"),
    )
    for column in ("deal_id", "partner_id", "updated_at"):
        _index("commission_line", column)

    _create_bookkeeping()


def _create_bookkeeping() -> None:
    op.create_table(
        "link",
        _text("entity", nullable=False),
        _text("prm_id", nullable=False),
        *map(_text, ("crm_id", "prm_hash", "crm_hash")),
        _when("synced_at"),
        _pk("link", "entity", "prm_id"),
        sa.UniqueConstraint("entity", "crm_id", name=op.f("uq_link_entity_crm_id")),
    )

    op.create_table(
        "sync_cursor",
        _text("entity", nullable=False),
        _text("stream", nullable=False),
        _when("modstamp", nullable=False),
        _text("record_id"),
        _when("updated_at", nullable=False),
        _pk("sync_cursor", "entity", "stream"),
    )

    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("started_at", nullable=False),
        _when("finished_at"),
        _text("status", nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        _text("direction", nullable=False),
        _flag("dry_run"),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _one_of("sync_run", "status", ("running", "ok", "errors", "failed", "aborted")),
        _pk("sync_run", "id"),
    )

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        _text("entity", nullable=False),
        _text("side", nullable=False),
        _text("record_key", nullable=False),
        _text("crm_id"),
        _text("prm_id"),
        _text("kind", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        _when("first_seen", nullable=False),
        _when("last_seen", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("resolved_at"),
        _one_of("quarantine", "side", ("pull", "push")),
        _one_of("quarantine", "kind", ("invalid", "rejected")),
        _fk("quarantine", "run_id", "sync_run"),
        _pk("quarantine", "id"),
    )
    _index("quarantine", "run_id")
    _index("quarantine", "entity", "record_key")

    op.create_table(
        "conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("entity", nullable=False),
        _text("prm_id", nullable=False),
        _text("crm_id"),
        _text("field", nullable=False),
        *(
            sa.Column(name, sa.JSON(), nullable=True)
            for name in ("prm_value", "crm_value", "base_value")
        ),
        _when("detected_at", nullable=False),
        _when("resolved_at"),
        _text("resolution"),
        _one_of("conflict", "resolution", ("prm", "crm")),
        _pk("conflict", "id"),
    )
    _index("conflict", "entity", "prm_id")


def downgrade() -> None:
    for table in (
        "conflict", "quarantine", "sync_run", "sync_cursor", "link", "commission_line", "deal",
        "registration", "contract", "certification", "partner_status_change", "partner",
    ):
        op.drop_table(table)
