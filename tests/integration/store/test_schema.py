"""Schema versions on both backends: migrations build exactly the models' schema, and a store
that is empty, behind, ahead or someone else's is named as such."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from prm_sync.store import (
    STORE_METADATA,
    NotAPrmStore,
    SchemaAhead,
    SchemaBehind,
    Store,
    StoreNotInitialized,
    check_schema,
    current_revision,
    head_revision,
    open_store,
    upgrade,
)
from prm_sync.store.schema import VERSION_TABLE, alembic_config


def _schema_diff(store: Store, metadata: MetaData) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, metadata))


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migrations_build_exactly_the_models(store: Store) -> None:
    assert _schema_diff(store, STORE_METADATA) == []


def test_schema_comparison_would_see_a_difference(store: Store) -> None:
    changed = MetaData()
    for table in STORE_METADATA.tables.values():
        table.to_metadata(changed)
    changed.tables["deal"].append_column(Column("extra", Integer()))
    Table("brand_new", changed, Column("id", Integer(), primary_key=True))
    diff = _schema_diff(store, changed)
    assert {entry[0] for entry in diff} == {"add_column", "add_table"}


def test_upgraded_store_is_at_head(store: Store) -> None:
    assert current_revision(store) == head_revision() == "0013_deleted_rows_indexes"
    assert check_schema(store) == "0013_deleted_rows_indexes"
    assert upgrade(store) == "0013_deleted_rows_indexes"  # idempotent


def test_empty_store_is_not_initialized(blank_store_url: str) -> None:
    with open_store(blank_store_url) as store:
        assert current_revision(store) is None
        with pytest.raises(StoreNotInitialized, match=r"run `prm-sync init` or `prm-sync db upgrade`"):
            check_schema(store)


def test_scheduler_tables_alone_do_not_make_a_foreign_store(blank_store_url: str) -> None:
    with open_store(blank_store_url) as store:
        with store.engine.begin() as connection:
            connection.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY)"))
        with pytest.raises(StoreNotInitialized):
            check_schema(store)
        assert upgrade(store) == head_revision()


def test_store_behind_says_what_to_run(blank_store_url: str) -> None:
    with open_store(blank_store_url) as store:
        assert upgrade(store, "0001") == "0001"
        with pytest.raises(SchemaBehind) as caught:
            check_schema(store)
        assert str(caught.value) == (
            f"store {store.display_url} is at revision 0001; this prm-sync needs 0013_deleted_rows_indexes: "
            "run `prm-sync db upgrade`"
        )
        assert upgrade(store) == "0013_deleted_rows_indexes"
        assert _schema_diff(store, STORE_METADATA) == []


def test_store_ahead_is_refused_and_left_alone(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099'"))
    with pytest.raises(SchemaAhead, match=r"at revision 0099.*written by a newer prm-sync") as caught:
        check_schema(store)
    assert (caught.value.current, caught.value.head) == ("0099", "0013_deleted_rows_indexes")
    with pytest.raises(SchemaAhead):
        upgrade(store)
    assert current_revision(store) == "0099"


def test_foreign_database_is_named_and_not_touched(blank_store_url: str) -> None:
    with open_store(blank_store_url) as store:
        with store.engine.begin() as connection:
            connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            connection.execute(text("INSERT INTO alembic_version VALUES ('abc123')"))
        with pytest.raises(NotAPrmStore, match=r"not a prm-sync store.*alembic_version, customers"):
            check_schema(store)
        with pytest.raises(NotAPrmStore, match="nothing was changed"):
            upgrade(store)
        assert _tables(store) == {"customers", "alembic_version"}


def test_downgrade_to_base_and_back(store: Store) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert _tables(store) == {VERSION_TABLE}
    with pytest.raises(StoreNotInitialized):
        check_schema(store)
    upgrade(store)
    assert _schema_diff(store, STORE_METADATA) == []
