"""Money and UTC datetime column types, checked against each dialect without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from prm_sync.store.types import Money, UtcDateTime

SQLITE: Dialect = sqlite.dialect()
POSTGRES: Dialect = postgresql.dialect()


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_money_round_trips_exactly_through_sqlite_text(amount: Decimal) -> None:
    money = Money()
    stored = money.process_bind_param(amount, SQLITE)
    assert isinstance(stored, str) and "E" not in stored.upper()
    back = money.process_result_value(stored, SQLITE)
    assert back == amount


def test_money_sqlite_text_keeps_scale() -> None:
    money = Money()
    assert money.process_bind_param(Decimal("1.10"), SQLITE) == "1.10"
    assert money.process_bind_param(Decimal("1E+3"), SQLITE) == "1000"
    assert money.process_bind_param(7, SQLITE) == "7"
    assert money.process_bind_param(Decimal("0.1") + Decimal("0.2"), POSTGRES) == Decimal("0.3")


@pytest.mark.parametrize("bad", [0.1, True, "1.0"])
def test_money_refuses_non_decimals(bad: object) -> None:
    with pytest.raises(TypeError, match="money must be Decimal or int"):
        Money().process_bind_param(bad, SQLITE)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_money_refuses_non_finite(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money().process_bind_param(bad, POSTGRES)


def test_money_dialect_storage() -> None:
    assert Money().load_dialect_impl(SQLITE).compile(dialect=SQLITE) == "TEXT"
    assert Money().load_dialect_impl(POSTGRES).compile(dialect=POSTGRES) == "NUMERIC"


def test_datetime_refuses_naive() -> None:
    with pytest.raises(ValueError, match="naive datetime refused"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), POSTGRES)


def test_datetime_is_stored_as_utc() -> None:
    local = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    on_sqlite = UtcDateTime().process_bind_param(local, SQLITE)
    assert on_sqlite == datetime(2026, 1, 1, 14, 0) and on_sqlite.tzinfo is None
    on_postgres = UtcDateTime().process_bind_param(local, POSTGRES)
    assert on_postgres == local and on_postgres.tzinfo is UTC


def test_datetime_reads_back_aware_utc() -> None:
    naive = UtcDateTime().process_result_value(datetime(2026, 1, 1, 14, 0), SQLITE)
    assert naive == datetime(2026, 1, 1, 14, 0, tzinfo=UTC) and naive.tzinfo is UTC
    other = UtcDateTime().process_result_value(
        datetime(2026, 1, 1, 16, 0, tzinfo=timezone(timedelta(hours=2))), POSTGRES
    )
    assert other.tzinfo is UTC and other.hour == 14
