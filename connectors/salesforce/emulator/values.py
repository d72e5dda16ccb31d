"""Salesforce value rules: record ids, timestamps, and typed coercion of written values."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.salesforce.emulator.schema import FieldDef

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


class FieldError(Exception):
    """A per-record validation error (``statusCode`` in collection results)."""

    def __init__(self, status_code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = fields or []

    def as_result(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}


class JsonParseError(Exception):
    """A value that Salesforce cannot even deserialize: the whole request answers 400."""


def id_suffix(id15: str) -> str:
    """The 3-char case-safety suffix of a 15-char Salesforce id."""
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_SUFFIX[bits])
    return "".join(out)


def to_id18(value: str) -> str:
    return value + id_suffix(value) if len(value) == 15 else value


def make_id(key_prefix: str, number: int) -> str:
    digits = []
    for _ in range(10):
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    id15 = key_prefix + "8d" + "".join(reversed(digits))
    return id15 + id_suffix(id15)


def is_valid_id(value: str) -> bool:
    if not _ID.match(value):
        return False
    return len(value) == 15 or id_suffix(value[:15]).lower() == value[15:].lower()


@functools.lru_cache(maxsize=65536)
def sf_datetime(value: dt.datetime) -> str:
    """``2026-11-26T21:27:33.000+0000`` (what the REST API prints); cached, rows share stamps."""
    if value.utcoffset() != dt.timedelta(0):
        value = value.astimezone(dt.UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}+0000")


def parse_datetime(text: str) -> dt.datetime:
    """Parse ISO-8601 forms Salesforce accepts: Z, +00:00, +0000, optional millis."""
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    match = re.match(r"^(.*[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(\d{2})$", cleaned)
    if match:
        cleaned = f"{match.group(1)}{match.group(2)}:{match.group(3)}"
    parsed = dt.datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def out_value(value: Any) -> Any:
    """Internal typed value -> JSON value."""
    if value is None or value.__class__ is str or value.__class__ is bool:
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return sf_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_value(value: Any) -> str:
    """A typed value as a Bulk CSV cell. Text first: most cells are text, and a Bulk query job
    writes one cell per field of every record it returns."""
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.datetime):  # the store's are UTC: 2026-02-22T21:24:49.341Z
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    return str(out_value(value))


def _type_error(fdef: FieldDef, raw: Any) -> JsonParseError:
    kind = {"date": "date", "datetime": "datetime", "boolean": "boolean"}.get(fdef.type, "double")
    return JsonParseError(
        f"Cannot deserialize instance of {kind} from VALUE_STRING value {raw} "
        f"or request may be missing a required field at [line:1, column:1]"
    )


def coerce(fdef: FieldDef, raw: Any) -> Any:
    """Validate and convert one written value; raises FieldError or JsonParseError."""
    if raw is None:
        return None
    kind = fdef.type
    if kind in ("date", "datetime"):
        if not isinstance(raw, str):
            raise _type_error(fdef, raw)
        try:
            if kind == "date":
                return dt.date.fromisoformat(raw[:10]) if len(raw) >= 10 else dt.date.fromisoformat(raw)
            return parse_datetime(raw)
        except ValueError:
            raise _type_error(fdef, raw) from None
    if kind in ("currency", "double", "int", "percent"):
        if isinstance(raw, bool):
            raise _type_error(fdef, raw)
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise _type_error(fdef, raw) from None
        if not number.is_finite():
            raise _type_error(fdef, raw)
        digits = (fdef.precision or 18) - (fdef.scale or 0)
        if number != 0 and number.adjusted() >= digits:  # Salesforce numbers hold at most 18 digits
            raise FieldError("NUMBER_OUTSIDE_VALID_RANGE",
                             f"{fdef.label or fdef.name}: value outside of valid range on numeric field: {raw}",
                             [fdef.name])
        return number
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise _type_error(fdef, raw)
    text = raw if isinstance(raw, str) else str(raw)
    if text == "":
        return None
    return _check_text(fdef, text)


def _check_text(fdef: FieldDef, text: str) -> str:
    label = fdef.label or fdef.name
    if fdef.type == "reference":
        if not is_valid_id(text):
            raise FieldError("MALFORMED_ID", f"{label}: id value of incorrect type: {text}", [fdef.name])
        return to_id18(text)
    if fdef.length and len(text) > fdef.length:
        raise FieldError(
            "STRING_TOO_LONG",
            f"{label}: data value too large: {text[:40]} (max length={fdef.length})",
            [fdef.name],
        )
    if fdef.type == "email" and not _EMAIL.match(text):
        raise FieldError("INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {text}", [fdef.name])
    if fdef.type == "picklist" and fdef.restricted_picklist and text not in fdef.picklist:
        raise FieldError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{label}: bad value for restricted picklist field: {text}",
            [fdef.name],
        )
    return text
