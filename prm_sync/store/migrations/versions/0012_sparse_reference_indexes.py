"""References most rows leave empty are indexed only where they hold a value (partial indexes).

A deal's registration and the MDF request behind a deal or a registration are empty on most
rows; each such row still cost an index entry of each index (a first load of 100,000 deals and
100,000 registrations: 300,000 entries). `column = x` and `column IN (...)` prove `column IS NOT
NULL` on both stores, so the look-ups by these references keep their index.

Revision ID: 0012_sparse_reference_indexes
Revises: 0011_byte_order_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_sparse_reference_indexes"
down_revision: str | None = "0011_byte_order_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPARSE = (("deal", "registration_id"), ("deal", "fund_request_id"), ("registration", "fund_request_id"))


def upgrade() -> None:
    for table, column in SPARSE:
        present = sa.text(f"{column} IS NOT NULL")
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column], sqlite_where=present, postgresql_where=present)


def downgrade() -> None:
    for table, column in SPARSE:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])
