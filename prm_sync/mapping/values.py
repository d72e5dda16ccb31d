"""Converting field values between what a CRM sends and the PRM's typed values.

Decoding is lenient about the wire (HubSpot sends every property as a string, Salesforce sends
JSON numbers and booleans) and strict about meaning: a value that cannot be read is a
`BadValue`, which makes the record invalid (quarantined) rather than silently wrong.
Encoding produces neutral Python values (str, int, bool, Decimal); each connector puts them on
its own wire.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from prm_sync.domain.fields import FieldKind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EPOCH_MS = re.compile(r"^-?\d{10,14}$")


class BadValue(ValueError):
    """A value that cannot be read as its declared type."""


def decode(raw: Any, crm_type: FieldKind, prm_kind: FieldKind) -> Any:
    """CRM value -> PRM value. Empty (None or '') is None."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    value = _read(raw, crm_type)
    return _convert(value, crm_type, prm_kind)


def encode(value: Any, prm_kind: FieldKind, crm_type: FieldKind) -> Any:
    """PRM value -> neutral CRM value (None stays None)."""
    if value is None:
        return None
    return WRITERS.get(crm_type, canonical)(value)  # text: the same form the PRM compares and hashes


def _write_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_datetime(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC))
    return canonical(value)


def _write_date(value: Any) -> Any:
    if isinstance(value, dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return canonical(value)


def parse_prm(text: Any, kind: FieldKind) -> Any:
    """A PRM value written in a mapping (`default`, `values`) or typed by a user, as `kind`."""
    if text is None:
        return None
    return _read(text, kind)


def format_decimal(value: Decimal) -> str:
    """Plain notation without exponent or trailing-zero noise: Decimal('1E+2') -> '100'."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, which both CRMs accept."""
    if value.tzinfo is None:
        raise BadValue(f"naive datetime {value!r}: times must be timezone-aware")
    utc = value.astimezone(dt.UTC)
    # Not strftime: its %Y does not zero-pad years before 1000 on glibc.
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
            f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")


def canonical(value: Any) -> str:
    """A stable text form for hashing and comparing values of any PRM kind."""
    if type(value) is str:  # the common case first: every record's text fields pass here
        return value
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read(raw: Any, kind: FieldKind) -> Any:
    return READERS[kind](raw)


def _read_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict | list):
        raise BadValue(_structure(raw))
    return canonical(raw)


def _structure(raw: dict[str, Any] | list[Any]) -> str:
    """Why a structured value (Salesforce's REST gives a compound field such as BillingAddress as
    an object) is not read as text: its repr would be stored and pushed back as if it were one."""
    keys = f" ({', '.join(map(str, list(raw)[:4]))}{', ...' if len(raw) > 4 else ''})" \
        if isinstance(raw, dict) and raw else ""
    return (f"the CRM gave a structure of several values{keys}, not one value: map one of its parts "
            "(`prm-sync check --online` names them)")


def _read_email(raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise BadValue(_structure(raw))
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if not _EMAIL.match(text):
        raise BadValue(f"{raw!r} is not an email address")
    return text


def _convert(value: Any, crm_type: FieldKind, prm_kind: FieldKind) -> Any:
    """A value read as `crm_type` into the PRM kind: the PRM kind's reader takes it as it is (each
    reader accepts the typed values of the kinds that feed it: a date-time for a date, an int for
    a decimal, anything for text), so no second switch over kinds lives here."""
    if crm_type == prm_kind:
        return value
    return _read(value, prm_kind)


def _read_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise BadValue(f"{raw!r} is not true or false")


def _read_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not a whole number")
    number = _read_decimal(raw)
    if number != number.to_integral_value():
        raise BadValue(f"{raw!r} is not a whole number")
    return int(number)


def _read_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not a number")
    if isinstance(raw, float):
        raw = repr(raw)  # the shortest text that round-trips: 1234.56, not 1234.5599999...
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise BadValue(f"{raw!r} is not a number") from None
    if not number.is_finite():
        raise BadValue(f"{raw!r} is not a finite number")
    return number


def _read_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.astimezone(dt.UTC).date() if raw.tzinfo else raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    if _EPOCH_MS.match(text):
        return _read_datetime(text).date()
    if "T" in text:
        return _read_datetime(text).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _read_datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day, tzinfo=dt.UTC)
    text = str(raw).strip()
    if _EPOCH_MS.match(text):
        try:
            return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise BadValue(f"{raw!r} is not a date-time") from None
    normal = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normal):  # Salesforce's +0000
        normal = normal[:-2] + ":" + normal[-2:]
    try:
        value = dt.datetime.fromisoformat(normal)
    except ValueError:
        raise BadValue(f"{raw!r} is not a date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: how each kind is read from a CRM or typed text (one entry per kind)
READERS: dict[FieldKind, Callable[[Any], Any]] = {
    FieldKind.STRING: _read_text,
    FieldKind.INT: _read_int,
    FieldKind.DECIMAL: _read_decimal,
    FieldKind.BOOL: _read_bool,
    FieldKind.DATE: _read_date,
    FieldKind.DATETIME: _read_datetime,
    FieldKind.EMAIL: _read_email,
    FieldKind.URL: _read_text,
}

#: how a PRM value is written to a CRM field of each kind (absent: its canonical text)
WRITERS: dict[FieldKind, Callable[[Any], Any]] = {
    FieldKind.DATETIME: _write_datetime,
    FieldKind.DATE: _write_date,
    FieldKind.DECIMAL: Decimal,
    FieldKind.INT: int,
    FieldKind.BOOL: bool,
}
