"""The pull's write path converts values as the columns' own bind processors do (issue 17)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from prm_sync.store import Link, Partner
from prm_sync.store.types import UtcDateTime
from prm_sync.sync.inserts import _sqlite_date_text, _sqlite_utc_text, _statement, _utc_as_is

DIALECT = sqlite.dialect()
GENERAL = UtcDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)


def _general(value: object) -> object:
    """What SQLAlchemy sends for a UtcDateTime on SQLite: the TypeDecorator, then DATETIME's text."""
    return GENERAL(value) if GENERAL is not None else value


@pytest.mark.parametrize("value", [
    dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC),                       # microsecond 0
    dt.datetime(2026, 11, 1, 12, 0, 0, 5, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime.fromisoformat("2026-03-29T01:30:00+00:00"),               # a parsed CRM timestamp
    dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")),     # another zone: converted
    dt.datetime(2026, 3, 29, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    None,
])
def test_the_fast_utc_text_is_the_general_processors_text(value: dt.datetime | None) -> None:
    assert _sqlite_utc_text(_general)(value) == _general(value)


def test_a_naive_datetime_is_still_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime refused"):
        _sqlite_utc_text(_general)(dt.datetime(2026, 1, 1))


def test_the_fast_path_is_dropped_if_the_storage_text_ever_differs() -> None:
    def other(value: object) -> object:
        return "something else"

    assert _sqlite_utc_text(other) is other


def test_link_statements_on_sqlite_use_the_fast_processor() -> None:
    statement = _statement(Link, ("entity", "prm_id", "crm_id", "synced_at"), DIALECT)
    [(_index, process)] = [(i, p) for i, p in statement.processors if statement.order[i] == "synced_at"]
    assert process.__qualname__.startswith("_sqlite_utc_text")
    now = dt.datetime(2026, 11, 1, 12, 0, 0, 5, tzinfo=dt.UTC)
    assert process(now) == "2026-11-01 12:00:00.000005" == _general(now)


def test_the_last_converted_time_is_reused_only_for_that_very_object() -> None:
    process = _sqlite_utc_text(_general)
    now = dt.datetime(2026, 11, 1, 12, 0, 0, 5, tzinfo=dt.UTC)
    later = now + dt.timedelta(microseconds=1)
    assert [process(now), process(now), process(later), process(None), process(now)] == [
        "2026-11-01 12:00:00.000005", "2026-11-01 12:00:00.000005", "2026-11-01 12:00:00.000006", None,
        "2026-11-01 12:00:00.000005"]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect(driver="psycopg")], ids=["sqlite", "pg"])
def test_bound_values_skip_only_processors_that_keep_none(dialect: Dialect) -> None:
    """An empty column skips its processor only where the processor would write None anyway (a
    JSON column's None is the text 'null': it must still go through)."""
    import prm_sync.store as st
    from prm_sync.sync.inserts import _bound_values, _shape

    for table in (st.Partner, st.Registration, st.Deal, st.Link, st.PartnerStatusChange):
        statement = _statement(table, _shape(table).columns, dialect)
        empty = [None] * len(_shape(table).columns)   # a row of every column, all empty
        [values] = list(_bound_values(statement, [empty]))
        expected = [None] * len(statement.order)
        for index, process in statement.processors:
            expected[index] = process(None)
        assert list(map(repr, values)) == list(map(repr, expected)), table.__name__  # psycopg Json(): by repr
    link = _statement(st.Link, _shape(st.Link).columns, dialect)
    assert link.order.index("base") not in link.keeping_none


PG = postgresql.dialect()
PG_GENERAL = UtcDateTime().dialect_impl(PG).bind_processor(PG)
VALUES = [
    dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime.fromisoformat("2026-03-29T01:30:00+00:00"),               # a parsed CRM timestamp (UTC)
    dt.datetime.fromisoformat("2026-03-29T01:30:00Z"),
    dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")),     # another zone: converted
    dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("UTC")),               # UTC, but another tzinfo object
    dt.datetime(2026, 3, 29, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_postgresql_gets_what_the_general_processor_sends(value: dt.datetime | None) -> None:
    """The same datetime (equal, in dt.UTC), so psycopg writes the same TIMESTAMPTZ text."""
    assert PG_GENERAL is not None
    fast, general = _utc_as_is(PG_GENERAL)(value), PG_GENERAL(value)
    assert fast == general and getattr(fast, "tzinfo", None) is getattr(general, "tzinfo", None)


def test_postgresql_refuses_a_naive_datetime_still() -> None:
    assert PG_GENERAL is not None
    with pytest.raises(ValueError, match="naive datetime refused"):
        _utc_as_is(PG_GENERAL)(dt.datetime(2026, 1, 1))


def test_the_postgresql_fast_path_is_dropped_if_the_general_processor_ever_converts() -> None:
    def other(value: dt.datetime) -> object:
        return value.replace(tzinfo=None)

    assert _utc_as_is(other) is other


def test_link_statements_on_postgresql_use_the_fast_processor() -> None:
    statement = _statement(Link, ("entity", "prm_id", "crm_id", "synced_at"), PG)
    [(_index, process)] = [(i, p) for i, p in statement.processors if statement.order[i] == "synced_at"]
    assert process.__qualname__.startswith("_utc_as_is")


DATE_GENERAL = Date().dialect_impl(DIALECT).bind_processor(DIALECT)


@given(st.dates() | st.datetimes() | st.none())
def test_the_fast_date_text_is_the_general_processors_text(value: dt.date | None) -> None:
    assert DATE_GENERAL is not None
    assert _sqlite_date_text(DATE_GENERAL)(value) == DATE_GENERAL(value)  # a datetime: its date only


def test_a_date_that_is_not_a_date_is_still_refused_and_a_changed_format_drops_the_fast_path() -> None:
    assert DATE_GENERAL is not None
    with pytest.raises(TypeError):
        _sqlite_date_text(DATE_GENERAL)("2026-01-02")

    def other(value: object) -> object:
        return "something else"

    assert _sqlite_date_text(other) is other


def test_partner_statements_on_sqlite_use_the_fast_date_processor() -> None:
    statement = _statement(Partner, ("id", "name", "joined_on"), DIALECT)
    [process] = [p for i, p in statement.processors if statement.order[i] == "joined_on"]
    assert process.__qualname__.startswith("_sqlite_date_text")
    assert process(dt.date(2021, 10, 25)) == "2021-10-25"
