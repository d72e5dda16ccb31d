"""Column types that keep money exact and times in UTC on every backend.

SQLite has no decimal type (SQLAlchemy's Numeric there goes through float and warns), so
money is stored on SQLite as canonical fixed-point TEXT, and on PostgreSQL as unconstrained
NUMERIC. Both return `Decimal`, with the scale it was written with (`Decimal('1.10')` comes
back as `1.10`). Note that on SQLite, SQL comparisons and SUM over money are textual/float:
sum and compare money in Python.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

_RANDOM: list[bytes] = []  # 16-byte slices of one os.urandom read, taken one per id
os.register_at_fork(after_in_child=_RANDOM.clear)  # a forked process never reuses its parent's


def new_id() -> str:
    """A fresh PRM id: a random (version 4) UUID as 32 hex digits, as `uuid.uuid4().hex` gives.

    The random bytes are read from the OS 512 ids at a time: a first load makes one id per
    record, and `uuid4()` (a system call and a UUID object each) cost ~4 us of it, this ~0.6 us."""
    if not _RANDOM:
        raw = os.urandom(16 * 512)
        _RANDOM.extend(raw[start:start + 16] for start in range(0, len(raw), 16))
    value = bytearray(_RANDOM.pop())
    value[6] = (value[6] & 0x0F) | 0x40  # version 4
    value[8] = (value[8] & 0x3F) | 0x80  # variant RFC 4122
    return value.hex()


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _canonical_decimal(value: Decimal | int) -> str:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"money must be Decimal or int, not {type(value).__name__}: {value!r}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money must be a finite number, not {amount}")
    return format(amount, "f")


class Money(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC (no precision limit) on PostgreSQL, canonical TEXT on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = _canonical_decimal(value)
        return text if dialect.name == "sqlite" else Decimal(text)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime. Naive datetimes are refused on write.

    PostgreSQL stores TIMESTAMPTZ; SQLite stores the UTC wall time as text (which sorts
    correctly because every value is UTC). Reads always come back aware, in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"naive datetime refused (store times are timezone-aware): {value}")
        as_utc = value.astimezone(UTC)
        return as_utc.replace(tzinfo=None) if dialect.name == "sqlite" else as_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime


class Key(TypeDecorator[str]):
    """An id or another code-made key (a reference to an id, the link's CRM id, an entity name):
    text compared byte by byte on every backend.

    SQLite compares text bytewise already. PostgreSQL uses the database's collation, usually a
    linguistic one (en_US.UTF-8 sorts "B1" after "a1"): key columns are COLLATE "C" there, so
    keys order as SQLite and Python order them, and each index insert of a first load compares
    bytes instead of calling strcoll (issue 17: ~a quarter of the PostgreSQL server's CPU in a
    300,000-record pull). Free text (names, e-mails) keeps the database's collation."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(String(collation="C"))
        return dialect.type_descriptor(String())

    @property
    def python_type(self) -> type[str]:
        return str
