"""Partner names looked up by a stored Unicode key: `partner.name_key` (NFKC + casefold), indexed.

SQLite's lower() folds ASCII only, so "Ölwerk GmbH" was added but never found by name. The key is
back-filled here from every existing name, in Python (the same function the ORM uses). The index
is not unique: stores made before this revision may hold two partners with one name (`partners
merge` joins them), and an upgrade must not fail on them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from prm_sync.store.name_keys import name_key

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("partner") as batch:
        batch.add_column(sa.Column("name_key", sa.String(), nullable=True))
    partner = sa.table("partner", sa.column("id", sa.String()), sa.column("name", sa.String()),
                       sa.column("name_key", sa.String()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(partner.c.id, partner.c.name)).all()
    update = partner.update().where(partner.c.id == sa.bindparam("row_id")).values(name_key=sa.bindparam("key"))
    for start in range(0, len(rows), _BATCH):
        connection.execute(update, [{"row_id": row_id, "key": name_key(name)}
                                    for row_id, name in rows[start:start + _BATCH]])
    op.create_index(op.f("ix_partner_name_key"), "partner", ["name_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_name_key"), table_name="partner")
    with op.batch_alter_table("partner") as batch:
        batch.drop_column("name_key")
