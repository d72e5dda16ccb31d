"""Our own JSON for sObject Collections bodies, so Decimal keeps its exact digits.

simple-salesforce's `json=` goes through the standard json module, which cannot write a Decimal
(and a float would round it). Records are flat CRM field -> neutral value, so the body is
written here: Decimal as a JSON number literal with exactly its digits (`format(d, "f")`, no
exponent), strings with ASCII escapes (emoji become surrogate pairs; the JSON means the same
text), and the text is sent with `sf.restful(..., data=...)`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from prm_sync.connector import float_refused


class Unsendable(ValueError):
    """A value Salesforce cannot take (caught before calling: the record is INVALID)."""


def decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise Unsendable(f"{value} is not a finite number")
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def json_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        raise Unsendable(float_refused(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.datetime | dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return json_object(value)
    raise Unsendable(f"a {type(value).__name__} value cannot be sent to Salesforce")


def json_object(record: Mapping[str, Any]) -> str:
    return "{" + ",".join(f"{json.dumps(str(k))}:{json_value(v)}" for k, v in record.items()) + "}"


def collection_body(records: Sequence[Mapping[str, Any]], all_or_none: bool = False) -> bytes:
    """`{"allOrNone": false, "records": [...]}` as UTF-8 bytes (ASCII, in fact)."""
    items = ",".join(json_object(r) for r in records)
    return f'{{"allOrNone":{"true" if all_or_none else "false"},"records":[{items}]}}'.encode()


def csv_value(value: Any) -> str:
    """A Bulk API 2.0 CSV cell: #N/A sets null, booleans lower-case, Decimal exact."""
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        raise Unsendable(float_refused(value))
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise Unsendable(f"a {type(value).__name__} value cannot be sent to Salesforce")
