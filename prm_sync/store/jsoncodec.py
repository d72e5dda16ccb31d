"""JSON encoding for JSON columns (run counts, quarantine payloads, conflict values).

Decimals become strings (exact), dates and datetimes ISO 8601; anything else unknown is an
error rather than a silent `str()`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON column: {value!r}")


def dumps_json(value: Any) -> str:
    return json.dumps(value, default=_encode, separators=(",", ":"))
