"""Ids and other code-made keys compare byte by byte on PostgreSQL (COLLATE "C"), as on SQLite.

PostgreSQL compared them with the database's collation: usually a linguistic one, where "B1"
sorts after "a1" and every index insert calls strcoll (a quarter of the server's CPU in a first
load, issue 17). SQLite already compares text bytewise: nothing changes there. The columns are
listed here as they are at this revision (store.types.Key marks them in the models).

Revision ID: 0011_byte_order_keys
Revises: 0010_mdf
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_byte_order_keys"
down_revision: str | None = "0010_mdf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "certification": ("partner_id", "catalogue_id"),
    "commission_line": ("id", "deal_id", "partner_id"),
    "conflict": ("entity", "prm_id", "crm_id"),
    "contract": ("id", "partner_id", "renewed_from"),
    "deal": ("id", "partner_id", "registration_id", "fund_request_id"),
    "fund_allocation": ("budget_id", "partner_id"),
    "fund_budget": ("id",),
    "fund_claim": ("id", "request_id", "partner_id"),
    "fund_history": ("subject", "subject_id"),
    "fund_request": ("id", "partner_id"),
    "link": ("entity", "prm_id", "crm_id"),
    "notification": ("partner_id", "subject_id"),
    "partner": ("id", "name_key"),
    "partner_contact": ("id", "partner_id"),
    "partner_status_change": ("partner_id",),
    "partner_tier_change": ("partner_id",),
    "quarantine": ("entity", "record_key", "crm_id", "prm_id"),
    "registration": ("id", "partner_id", "fund_request_id"),
    "sync_cursor": ("entity", "stream", "record_id"),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite compares text bytewise (BINARY) already
    for table, columns in KEY_COLUMNS.items():
        # one ALTER TABLE per table: its indexes are rebuilt once; the type stays varchar, no rewrite
        changes = ", ".join(f'ALTER COLUMN "{column}" TYPE varchar COLLATE "{collation}"' for column in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
