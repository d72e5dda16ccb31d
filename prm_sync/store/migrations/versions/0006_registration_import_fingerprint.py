"""Deal registration: the fingerprint of the CSV row a registration was imported from, so that
rerunning a file can tell a row changed since its import from a registration changed since
(in the CRM or by sync), and never reverts the latter.

No back-fill: registrations registered by hand, pulled from the CRM or imported before this
revision have none, and `leads import` compares their values instead.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("import_fingerprint", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("import_fingerprint")
