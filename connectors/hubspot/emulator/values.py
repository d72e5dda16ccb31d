"""Property values: validation and normalisation of written values, and HubSpot's time format.

Values are stored as HubSpot returns them (strings): numbers as given, dates ``YYYY-MM-DD``,
datetimes ``2026-11-26T21:27:33.123Z``, booleans ``true``/``false``. Times are kept as
epoch milliseconds internally.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from connectors.hubspot.emulator.schema import (
    BOOL,
    DATE,
    DATETIME,
    ENUMERATION,
    NUMBER,
    ObjectTypeDef,
    PropertyDef,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ValueProblem:
    """One invalid property value, in the words HubSpot uses."""

    name: str
    code: str          # PROPERTY_DOESNT_EXIST, INVALID_OPTION, INVALID_DECIMAL, ...
    message: str

    def as_legacy(self) -> dict[str, object]:
        return {"isValid": False, "message": self.message, "error": self.code, "name": self.name}


@functools.lru_cache(maxsize=4096)
def _iso_day(day: int) -> str:
    # Not strftime: glibc's %Y does not zero-pad years before 1000 ("1-01-01").
    return (_EPOCH.date() + dt.timedelta(days=day)).isoformat()


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds -> ``2026-11-26T21:27:33.123Z`` (the date part is cached: generation
    formats tens of thousands of timestamps)."""
    day, in_day = divmod(epoch_ms, 86_400_000)
    seconds, millis = divmod(in_day, 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{_iso_day(day)}T{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}Z"


def parse_time_ms(raw: object) -> int | None:
    """Epoch-ms (int or digit string) or ISO 8601 (date or datetime) -> epoch ms, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw)
    text = str(raw).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _as_text(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def normalize(prop: PropertyDef, raw: object) -> str | ValueProblem:
    """Return the stored form of ``raw`` for ``prop``, or the problem with it."""
    text = _as_text(raw)
    if prop.type == NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return ValueProblem(prop.name, "INVALID_DECIMAL", f"{text} was not a valid number.")
        if not number.is_finite():
            return ValueProblem(prop.name, "INVALID_DECIMAL", f"{text} was not a valid number.")
        return text
    if prop.type == DATE:
        ms = parse_time_ms(text)
        if ms is None:
            return ValueProblem(prop.name, "INVALID_DATE", f"{text} was not a valid date.")
        if ms % 86_400_000:
            moment = iso_ms(ms)[11:23]
            return ValueProblem(
                prop.name, "INVALID_DATE", f"{text} is at {moment} UTC, not midnight!"
            )
        return iso_ms(ms)[:10]
    if prop.type == DATETIME:
        ms = parse_time_ms(text)
        if ms is None:
            return ValueProblem(prop.name, "INVALID_DATETIME", f"{text} was not a valid date.")
        return iso_ms(ms)
    if prop.type in (ENUMERATION, BOOL):
        value = text.lower() if prop.type == BOOL else text
        if value not in prop.option_values:
            allowed = ", ".join(prop.option_values)
            code = "INVALID_BOOLEAN" if prop.type == BOOL else "INVALID_OPTION"
            return ValueProblem(
                prop.name, code, f"{text} was not one of the allowed options: [{allowed}]"
            )
        return value
    return text


def validate_input(
    object_type: ObjectTypeDef, properties: dict[str, object]
) -> tuple[dict[str, str | None], list[ValueProblem]]:
    """Normalise a write's properties; ``None`` in the result means "clear the value".

    HubSpot clears a property given an empty string.
    """
    clean: dict[str, str | None] = {}
    problems: list[ValueProblem] = []
    for name, raw in properties.items():
        prop = object_type.properties.get(name)
        if prop is None:
            problems.append(
                ValueProblem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            )
            continue
        if prop.read_only:
            problems.append(ValueProblem(
                name, "READ_ONLY_VALUE", f"{name} is a read only property; its value cannot be set."
            ))
            continue
        if raw is None or raw == "":
            clean[name] = None
            continue
        result = normalize(prop, raw)
        if isinstance(result, ValueProblem):
            problems.append(result)
        else:
            clean[name] = result
    return clean, problems
