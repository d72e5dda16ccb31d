"""JSON encoding for JSON columns (run counts, quarantine payloads, conflict values).

Decimals become strings (exact), dates and datetimes ISO 8601; anything else unknown is an
error rather than a silent `str()`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON column: {value!r}")


_ENCODER = json.JSONEncoder(default=_encode, separators=(",", ":"))


def _c_encoder() -> Callable[[Any], str] | None:
    """The C encoder of `_ENCODER`, made once. `json.dumps` with options builds a JSONEncoder and
    its C encoder on every call, which cost as much as encoding a link's merge base (a pull
    writes one per record). Used only if it writes exactly what `_ENCODER` writes (a CPython
    without the C accelerator, or one whose private signature changed, keeps `_ENCODER.encode`).
    No circular-reference check: a JSON column's value is plain data (one would raise
    RecursionError instead of ValueError)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode = make(None, _encode, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    except TypeError:
        return None

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    probe = {"a": [1, 2.5, None, True], "b": "é\u2028\"", "c": Decimal("1.50"), "d": {"e": date(2026, 1, 2)}}
    try:
        return dumps if dumps(probe) == _ENCODER.encode(probe) else None
    except (TypeError, ValueError):
        return None


_DUMPS = _c_encoder() or _ENCODER.encode


def dumps_json(value: Any) -> str:
    if isinstance(value, str):  # the C encoder takes containers; a bare string is rare
        return _ENCODER.encode(value)
    return _DUMPS(value)
