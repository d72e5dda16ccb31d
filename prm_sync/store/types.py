"""Column types that keep money exact and times in UTC on every backend.

SQLite has no decimal type (SQLAlchemy's Numeric there goes through float and warns), so
money is stored on SQLite as canonical fixed-point TEXT, and on PostgreSQL as unconstrained
NUMERIC. Both return `Decimal`, with the scale it was written with (`Decimal('1.10')` comes
back as `1.10`). Note that on SQLite, SQL comparisons and SUM over money are textual/float:
sum and compare money in Python.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

_RANDOM: list[bytes] = []  # 8-byte slices of one os.urandom read, taken one per id
os.register_at_fork(after_in_child=_RANDOM.clear)  # a forked process never reuses its parent's


_NS_PER_MS = 10**6


def new_id() -> str:
    """A fresh PRM id: a time-ordered (version 7, RFC 9562) UUID as 32 hex digits.

    The first 48 bits are the Unix time in milliseconds, the 12 after the version the fraction of
    that millisecond (RFC 9562's "increased clock precision", steps of ~244 ns), the last 62 bits
    random. Why time-ordered: ids are the primary keys of the store's rows and the keys of their
    links; a first load makes one per record, by the hundred thousand, and random ids land all over
    those indexes (every index page dirtied, in cache and in SQLite's write-ahead log, at each
    commit) where ids made in order are appended at their end: measured, SQLite's inserts of 300k
    rows and their links took half the time (bench/PROFILE.md, session 12). The random part keeps
    ids unique across processes and a clock set back. An id tells when its record was made here,
    which its row's `created_at` tells anyway.

    The random bytes are read from the OS 1,024 ids at a time: a first load makes one id per
    record, and `uuid4()` (a system call and a UUID object each) cost ~4 us of it."""
    if not _RANDOM:
        raw = os.urandom(8 * 1024)
        _RANDOM.extend(raw[start:start + 8] for start in range(0, len(raw), 8))
    milliseconds, fraction = divmod(time.time_ns(), _NS_PER_MS)
    high = (milliseconds << 16) | 0x7000 | (fraction * 4096 // _NS_PER_MS)  # time, version 7, fraction
    low = int.from_bytes(_RANDOM.pop()) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  # variant 10
    return f"{high:016x}{low:016x}"


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
