"""The store's own metadata (not SQLModel's global one) and the columns most tables share.

A private registry keeps prm-sync's schema separate from any other SQLModel tables living in
the same process, so migrations and the schema check compare exactly our tables. The naming
convention gives every constraint a stable name, which Alembic needs to alter SQLite tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, MetaData, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from prm_sync.store.types import UtcDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STORE_METADATA = MetaData(naming_convention=NAMING_CONVENTION)


class StoreModel(SQLModel, registry=registry(metadata=STORE_METADATA)):
    """Base of every prm-sync table."""


def sparse_index(table: str, column: str) -> Index:
    """An index of `column` over the rows that hold a value: for a reference most rows leave
    empty (a deal's registration, an MDF request). `column = x` and `column IN (...)` still use
    it on both stores (each proves `column IS NOT NULL`), and a row without one costs no index
    entry (a first load of 100,000 deals: 200,000 entries fewer)."""
    return _partial_index(f"ix_{table}_{column}", column, f"{column} IS NOT NULL")


def deleted_rows_index(table: str) -> Index:
    """An index of the ids of the soft-deleted rows only: the deletions to push are found among
    them (sync/deletes.py), not by reading every link of the entity each run (a no-op run over
    100,000 records of each entity read all 300,000 links and their rows for it)."""
    return _partial_index(f"ix_{table}_deleted", "id", "deleted_at IS NOT NULL")


def _partial_index(name: str, column: str, where: str) -> Index:
    """An index of `column` over the rows meeting `where`, on both stores."""
    condition = text(where)
    return Index(name, column, sqlite_where=condition, postgresql_where=condition)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that `column` holds one of `values` (fixed, code-owned literals only)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Timestamps(StoreModel):
    """Row creation and last-change times; `updated_at` drives pushes, so it is indexed."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UtcDateTime,
        nullable=False,
        index=True,
        sa_column_kwargs={"onupdate": utcnow},
    )


class SoftDeleted(StoreModel):
    """Synced rows are never hard-deleted: a delete on either side is recorded here."""

    deleted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    deleted_reason: str | None = None
