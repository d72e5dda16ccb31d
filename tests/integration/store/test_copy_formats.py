"""PostgreSQL COPY of a first load's rows (sync/inserts.py): in binary when every value is of its
column's binary class, as text otherwise; either way the stored rows are those executemany stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from prm_sync.store import Link, Partner, Registration, Store, open_store
from prm_sync.sync import inserts
from prm_sync.sync.inserts import columns_of, write_rows

pytestmark = pytest.mark.pg

NAMES = ["Công ty TNHH Đông Á", "Müller & Söhne GmbH", "Société Générale d'Électricité", "tab\there", "new\nline",
         "back\\slash", "quote'\"", "日本語の会社", "😀 emoji", "", " spaces "]


@pytest.fixture
def pg_store(pg_migrated_url: str) -> Iterator[Store]:
    with open_store(pg_migrated_url) as store:
        yield store


def _registrations(prefix: str, partner_id: str, count: int) -> list[list[Any]]:
    now = datetime(2026, 12, 7, 12, 30, 45, 123456, tzinfo=UTC)
    rows = []
    for i in range(count):
        values: dict[str, Any] = dict.fromkeys(columns_of(Registration))
        values.update(
            id=f"{prefix}{i:04d}", partner_id=partner_id, company=NAMES[i % len(NAMES)],
            email=None if i % 3 else f"ä{i}@example.com", created_at=now, updated_at=now + timedelta(microseconds=i),
            estimated_value=[Decimal("1234.50"), Decimal("0.001"), Decimal("-99999999999999.99"), Decimal("1E+3"),
                             None][i % 5],
            expected_close=[date(2026, 1, 31), date(1, 1, 1), date(9999, 12, 31), None][i % 4],
            status="submitted", converted=bool(i % 2),
            expires_at=None if i % 2 else now + timedelta(days=90), deleted_at=None)
        rows.append([values[key] for key in columns_of(Registration)])
    return rows


def _links(prefix: str, count: int) -> list[list[Any]]:
    rows = []
    for i in range(count):
        values: dict[str, Any] = dict.fromkeys(columns_of(Link))
        values.update(entity="lead", prm_id=f"{prefix}{i:04d}", crm_id=f"00Q{prefix}{i:012d}",
                      base={"company": NAMES[i % len(NAMES)], "amount": "1234.50", "none": None},
                      crm_hash=f"h{i}")
        rows.append([values[key] for key in columns_of(Link)])
    return rows


def _stored(store: Store, table: str, prefix: str, key: str = "id") -> list[dict[str, Any]]:
    """The rows whose `key` starts with `prefix`, in `key` order, without `key`."""
    with store.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table} WHERE {key} LIKE :p ORDER BY {key}"),
                                  {"p": f"{prefix}%"}).all()
    return [{k: v for k, v in zip(r._fields, r, strict=True) if k != key} for r in rows]


def _write(store: Store, batches: list[tuple[type[Any], list[list[Any]]]], copy_min_rows: int,
           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inserts, "COPY_MIN_ROWS", copy_min_rows)
    with store.session(write=True) as session:
        write_rows(session, batches)
        session.commit()


def _seed_partner(store: Store) -> str:
    now = datetime.now(UTC)
    with store.session(write=True) as session:
        session.add(Partner(id="p-copy", name="Đông Á Partner", created_at=now, updated_at=now))
        session.commit()
    return "p-copy"


@pytest.fixture
def formats(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each COPY's format as it is sent: True for binary."""
    sent: list[bool] = []
    plain_query = inserts._copy_query

    def seen(table: type[Any], statement: Any, *, binary: bool = False) -> Any:
        sent.append(binary)
        return plain_query(table, statement, binary=binary)

    monkeypatch.setattr(inserts, "_copy_query", seen)
    return sent


def test_binary_copy_stores_what_executemany_stores(pg_store: Store, monkeypatch: pytest.MonkeyPatch,
                                                    formats: list[bool]) -> None:
    partner = _seed_partner(pg_store)
    _write(pg_store, [(Registration, _registrations("c", partner, 300)), (Link, _links("c", 300))], 1, monkeypatch)
    assert formats == [True, True]  # both tables went in binary
    _write(pg_store, [(Registration, _registrations("e", partner, 300)), (Link, _links("e", 300))], 10**9,
           monkeypatch)
    assert formats == [True, True]  # executemany: no COPY
    copied, executed = _stored(pg_store, "registration", "c"), _stored(pg_store, "registration", "e")
    assert copied == executed and len(copied) == 300
    assert {row["estimated_value"] for row in copied} == {Decimal("1234.50"), Decimal("0.001"),
                                                          Decimal("-99999999999999.99"), Decimal("1E+3"), None}
    assert {row["expected_close"] for row in copied} == {date(2026, 1, 31), date(1, 1, 1), date(9999, 12, 31), None}
    copied_links = _stored(pg_store, "link", "c", "prm_id")
    executed_links = _stored(pg_store, "link", "e", "prm_id")
    for link in executed_links:
        link["crm_id"] = link["crm_id"].replace("00Qe", "00Qc")
    assert copied_links == executed_links and copied_links[1]["base"]["company"] == NAMES[1]
    with pg_store.engine.connect() as connection:  # the very JSON text, not only the same values
        texts = {prefix: connection.execute(text("SELECT base::text FROM link WHERE prm_id LIKE :p ORDER BY prm_id"),
                                            {"p": f"{prefix}%"}).scalars().all() for prefix in "ce"}
    assert texts["c"] == texts["e"] and len(texts["c"]) == 300
    assert texts["c"][1] == '{"company":"M\\u00fcller & S\\u00f6hne GmbH","amount":"1234.50","none":null}'


def test_a_batch_with_a_value_of_another_class_goes_as_text_and_is_stored_alike(
        pg_store: Store, monkeypatch: pytest.MonkeyPatch, formats: list[bool]) -> None:
    """A date-time in a date column (its binary form is another type's): the batch goes as text,
    which the server reads as it reads executemany's value (the date)."""
    partner = _seed_partner(pg_store)
    at = columns_of(Registration).index
    for prefix, copy_min in (("c", 1), ("e", 10**9)):
        rows = _registrations(prefix, partner, 250)
        rows[7][at("expected_close")] = datetime(2026, 3, 4, tzinfo=UTC)  # a datetime, not a date
        _write(pg_store, [(Registration, rows)], copy_min, monkeypatch)
    assert formats == [False]
    copied, executed = _stored(pg_store, "registration", "c"), _stored(pg_store, "registration", "e")
    assert copied == executed
    assert copied[7]["expected_close"] == date(2026, 3, 4)


def test_names_in_any_script_come_back_as_written(pg_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    partner = _seed_partner(pg_store)
    _write(pg_store, [(Registration, _registrations("u", partner, len(NAMES) * 20))], 1, monkeypatch)
    with pg_store.engine.connect() as connection:
        companies = set(connection.execute(text("SELECT company FROM registration WHERE id LIKE 'u%'")).scalars())
    assert companies == set(NAMES)
