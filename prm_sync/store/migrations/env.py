"""Alembic environment for prm-sync. Run through prm_sync.store.schema, which passes an open
connection in `config.attributes["connection"]`; there is no alembic.ini and no offline mode."""

from __future__ import annotations

from alembic import context

from prm_sync.store.schema import VERSION_TABLE
from prm_sync.store.tables import STORE_METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("prm-sync migrations run through `prm-sync db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=STORE_METADATA,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
