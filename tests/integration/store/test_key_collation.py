"""Ids and other code-made keys compare byte by byte on both stores (`store.types.Key`).

SQLite compares text with memcmp (BINARY). PostgreSQL compares with the database's collation,
which is usually linguistic (en_US.UTF-8: "B1" sorts after "a1", and every index insert calls
strcoll). Key columns are COLLATE "C" there: the same order as SQLite and Python's `sorted`, and
a first load's index inserts compare bytes (issue 17: a quarter of the PostgreSQL server's CPU)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from prm_sync.store import STORE_METADATA, Link, Store, open_store, upgrade
from prm_sync.store.schema import alembic_config
from prm_sync.store.types import Key

#: columns that must be keys (ids, references to them, the link's keys): a sample the rule must hold
MUST_BE_KEYS = {("partner", "id"), ("registration", "id"), ("registration", "partner_id"), ("deal", "id"),
                ("deal", "partner_id"), ("deal", "registration_id"), ("link", "entity"), ("link", "prm_id"),
                ("link", "crm_id"), ("partner", "name_key"), ("commission_line", "deal_id"),
                ("quarantine", "record_key"), ("notification", "subject_id")}


def _key_columns() -> set[tuple[str, str]]:
    return {(table.name, column.name) for table in STORE_METADATA.tables.values()
            for column in table.columns if isinstance(column.type, Key)}


def _collations(store: Store) -> dict[tuple[str, str], str | None]:
    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN ('character varying', 'text')"))
        return {(table, column): collation for table, column, collation in rows}


@pytest.fixture
def pg_store(pg_migrated_url: str) -> Iterator[Store]:
    with open_store(pg_migrated_url) as opened:
        yield opened


def test_every_id_and_reference_is_a_key() -> None:
    assert _key_columns() >= MUST_BE_KEYS
    for table in STORE_METADATA.tables.values():
        for column in table.columns:
            if (column.primary_key or column.foreign_keys) and column.type.python_type is str:
                assert isinstance(column.type, Key), f"{table.name}.{column.name} holds an id but is not a Key"


@pytest.mark.pg
def test_key_columns_compare_bytes_on_postgresql(pg_store: Store) -> None:
    collations = _collations(pg_store)
    keys = _key_columns()
    assert {column for column, collation in collations.items() if collation == "C"} == keys
    assert all(collation is None for column, collation in collations.items() if column not in keys)


def test_ids_sort_as_python_sorts_them(store: Store) -> None:
    crm_ids = ["a1", "B1", "_x", "Z9", "ä1", "0018d00009p558KAAQ", "0018d00009p558kAAQ"]
    with store.session() as session:
        for number, crm_id in enumerate(crm_ids):
            session.add(Link(entity="partner", prm_id=f"p{number}", crm_id=crm_id, base={}))
        session.commit()
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT crm_id FROM link ORDER BY crm_id")).scalars().all()
        assert stored == sorted(crm_ids)
        # the same holds for a comparison, not only for ORDER BY
        below = connection.execute(text("SELECT count(*) FROM link WHERE crm_id < 'a'")).scalar_one()
        assert below == sum(crm_id < "a" for crm_id in crm_ids)


@pytest.mark.pg
def test_the_migration_keeps_rows_and_references_both_ways(pg_url: str) -> None:
    with open_store(pg_url) as store:
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0010_mdf")
            now = "2026-12-07T00:00:00+00:00"
            connection.execute(text(
                "INSERT INTO partner (id, name, tier, status, created_at, updated_at) "
                "VALUES ('p1', 'Công ty Ánh Dương', 'gold', 'active', :now, :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO registration (id, partner_id, company, status, converted, created_at, updated_at) "
                "VALUES ('r1', 'p1', 'Müller GmbH', 'submitted', false, :now, :now)"), {"now": now})
        assert upgrade(store) != "0010_mdf"
        assert _collations(store)[("registration", "partner_id")] == "C"
        with store.engine.connect() as connection:
            joined = connection.execute(text(
                "SELECT p.name, r.company FROM registration r JOIN partner p ON p.id = r.partner_id")).one()
            assert tuple(joined) == ("Công ty Ánh Dương", "Müller GmbH")
        with pytest.raises(IntegrityError, match="foreign key"), store.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO registration (id, partner_id, company, status, converted, created_at, "
                "updated_at) VALUES ('r2', 'nobody', 'X', 'submitted', false, now(), now())"))
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0010_mdf")
        assert _collations(store)[("registration", "partner_id")] is None
