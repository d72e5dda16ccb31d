"""The CRM search engine: filter groups (OR of ANDs), sorts, paging by string offset.

Pure functions over records; no HTTP. ``compile_search`` validates a request body the way
HubSpot does (limits, operators, properties) and raises ``SearchError`` with the message of
the 400 answer. Values compare by property type: numbers as Decimal, dates and datetimes as
epoch ms (filters accept epoch-ms strings or ISO), strings case-insensitively.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from connectors.hubspot.emulator.records import Record
from connectors.hubspot.emulator.schema import DATE, DATETIME, NUMBER, ObjectTypeDef
from connectors.hubspot.emulator.values import parse_time_ms

Value = int | Decimal | str
Getter = Callable[[Record], Value | None]
Predicate = Callable[[Record], bool]

OPERATORS = frozenset({
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
})
_TOKEN_SPLIT = re.compile(r"[^0-9a-z@._*-]+")


class SearchError(ValueError):
    """A search request HubSpot answers with 400 VALIDATION_ERROR."""


@dataclass(frozen=True)
class SearchLimits:
    max_groups: int = 5
    max_filters_per_group: int = 6
    max_filters_total: int = 18
    max_page_size: int = 200
    max_results: int = 10_000


@dataclass
class CompiledSearch:
    groups: list[list[Predicate]]
    sorts: list[tuple[str, bool]]          # (property, descending)
    properties: list[str] | None
    limit: int
    offset: int
    text_query: str | None
    cache_key: str                         # identical for every page of the same query


def value_getter(object_type: ObjectTypeDef, name: str) -> Getter:
    """How to read a comparable value of ``name`` from a record (None = no value)."""
    if name == "hs_object_id":
        return lambda r: r.id
    if name == "createdate":
        return lambda r: r.created_ms
    if name in (object_type.modified_property, "hs_lastmodifieddate"):
        return lambda r: r.updated_ms
    prop = object_type.properties[name]
    if prop.type == NUMBER:
        def number(r: Record) -> Decimal | None:
            raw = r.properties.get(name)
            return None if raw is None else Decimal(raw)
        return number
    if prop.type in (DATE, DATETIME):
        def moment(r: Record) -> int | None:
            raw = r.properties.get(name)
            return None if raw is None else parse_time_ms(raw)
        return moment

    def text(r: Record) -> str | None:
        raw = r.properties.get(name)
        return None if raw is None else raw.lower()
    return text


def _operand(object_type: ObjectTypeDef, name: str, raw: object) -> Value:
    """Convert a filter value to the comparable type of the property."""
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if name == "hs_object_id":
        if not text.isdigit():
            raise SearchError(f"{text} is not a valid value for property hs_object_id")
        return int(text)
    kind = object_type.properties[name].type
    if name in ("createdate", object_type.modified_property, "hs_lastmodifieddate"):
        kind = DATETIME
    if kind == NUMBER:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise SearchError(f"{text} is not a valid number for property {name}") from None
    if kind in (DATE, DATETIME):
        ms = parse_time_ms(text)
        if ms is None:
            raise SearchError(f"{text} is not a valid date/datetime for property {name}")
        return ms
    return text.lower()


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text.lower()) if t]


def _predicate(object_type: ObjectTypeDef, spec: dict[str, object]) -> Predicate:
    name = str(spec.get("propertyName") or "")
    operator = str(spec.get("operator") or "EQ")
    if operator not in OPERATORS:
        raise SearchError(f"Unsupported operator: {operator}")
    if name not in object_type.properties:
        raise SearchError(f"Property {name} does not exist on object type {object_type.name}")
    get = value_getter(object_type, name)
    if operator == "HAS_PROPERTY":
        return lambda r: get(r) not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return lambda r: get(r) in (None, "")
    if operator in ("IN", "NOT_IN"):
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise SearchError(f"The {operator} operator needs a non-empty 'values' list")
        allowed = {_operand(object_type, name, v) for v in values}
        if operator == "IN":
            return lambda r: get(r) in allowed
        return lambda r: get(r) not in allowed
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(spec.get("value") or "").lower()

        def contains(r: Record) -> bool:
            raw = r.properties.get(name)
            return raw is not None and any(
                fnmatch.fnmatchcase(token, pattern) for token in _tokens(raw)
            )
        if operator == "CONTAINS_TOKEN":
            return contains
        return lambda r: not contains(r)
    if "value" not in spec or spec["value"] is None:
        raise SearchError(f"The {operator} operator needs a 'value'")
    low = _operand(object_type, name, spec["value"])
    if operator == "BETWEEN":
        if spec.get("highValue") is None:
            raise SearchError("The BETWEEN operator needs 'value' and 'highValue'")
        high = _operand(object_type, name, spec["highValue"])
        return _between(get, low, high)
    return _compare(get, operator, low)


def _between(get: Getter, low: Value, high: Value) -> Predicate:
    def check(r: Record) -> bool:
        value = get(r)
        return value is not None and low <= value <= high  # type: ignore[operator]
    return check


def _compare(get: Getter, operator: str, operand: Value) -> Predicate:
    if operator == "EQ":
        return lambda r: get(r) == operand
    if operator == "NEQ":
        return lambda r: get(r) != operand
    compare: Callable[[Value, Value], bool] = {
        "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,  # type: ignore[operator]
        "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b,  # type: ignore[operator]
    }[operator]

    def check(r: Record) -> bool:
        value = get(r)
        return value is not None and compare(value, operand)
    return check


def compile_search(
    object_type: ObjectTypeDef, body: dict[str, object], limits: SearchLimits | None = None
) -> CompiledSearch:
    limits = limits or SearchLimits()
    raw_groups = body.get("filterGroups") or []
    if not isinstance(raw_groups, list):
        raise SearchError("filterGroups must be a list")
    if len(raw_groups) > limits.max_groups:
        raise SearchError(
            f"Too many filter groups: {len(raw_groups)}. The maximum is {limits.max_groups}."
        )
    total = 0
    groups: list[list[Predicate]] = []
    for group in raw_groups:
        filters = list((group or {}).get("filters") or [])
        if len(filters) > limits.max_filters_per_group:
            raise SearchError(
                f"Too many filters in a filter group: {len(filters)}. "
                f"The maximum is {limits.max_filters_per_group}."
            )
        total += len(filters)
        groups.append([_predicate(object_type, f) for f in filters])
    if total > limits.max_filters_total:
        raise SearchError(
            f"Too many filters: {total}. The maximum is {limits.max_filters_total} in total."
        )
    sorts = [_sort(object_type, s) for s in (body.get("sorts") or [])]  # type: ignore[attr-defined]
    limit = int(body.get("limit") or 10)  # type: ignore[call-overload]
    if limit < 1 or limit > limits.max_page_size:
        raise SearchError(f"limit must be between 1 and {limits.max_page_size}, got {limit}")
    after = body.get("after")
    offset = int(str(after)) if after not in (None, "") else 0
    if offset >= limits.max_results:
        raise SearchError(
            f"Paging beyond {limits.max_results} results is not supported "
            f"(after={offset}); narrow the query instead."
        )
    properties = body.get("properties")
    query = body.get("query")
    key = json.dumps(
        [body.get("filterGroups") or [], body.get("sorts") or [], query or ""], sort_keys=True
    )
    return CompiledSearch(
        groups, sorts, list(properties) if properties else None,  # type: ignore[call-overload]
        limit, offset, str(query) if query else None, key,
    )


def _sort(object_type: ObjectTypeDef, spec: object) -> tuple[str, bool]:
    if isinstance(spec, str):  # the SDK's model types sorts as strings; accept "-prop" too
        return (spec[1:], True) if spec.startswith("-") else (spec, False)
    if not isinstance(spec, dict):
        raise SearchError("Each sort needs propertyName and direction")
    name = str(spec.get("propertyName") or "")
    if name not in object_type.properties:
        raise SearchError(f"Property {name} does not exist on object type {object_type.name}")
    direction = str(spec.get("direction") or "ASCENDING").upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise SearchError(f"Unknown sort direction {direction}")
    return name, direction == "DESCENDING"


def _text_match(object_type: ObjectTypeDef, query: str) -> Predicate:
    needle = query.lower()
    fields = object_type.default_properties

    def check(r: Record) -> bool:
        return any(needle in (r.properties.get(f) or "").lower() for f in fields)
    return check


def run_search(
    object_type: ObjectTypeDef, search: CompiledSearch, records: Iterable[Record]
) -> list[Record]:
    """Every matching (non-archived) record, sorted; ties broken by ascending id."""
    groups = search.groups
    text = _text_match(object_type, search.text_query) if search.text_query else None
    matched = [
        r for r in records
        if r.archived_ms is None
        and (not groups or any(all(p(r) for p in group) for group in groups))
        and (text is None or text(r))
    ]
    matched.sort(key=lambda r: r.id)
    for name, descending in reversed(search.sorts):
        get = value_getter(object_type, name)
        present = [r for r in matched if get(r) is not None]
        missing = [r for r in matched if get(r) is None]
        present.sort(key=get, reverse=descending)  # type: ignore[arg-type]
        matched = present + missing  # records without the value sort last either way
    return matched


def page_of(
    search: CompiledSearch, ordered: list[Record], max_results: int = 10_000
) -> tuple[list[Record], str | None]:
    """The requested page and the next ``after`` (None on the last page)."""
    end = min(search.offset + search.limit, len(ordered), max_results)
    page = ordered[search.offset:end]
    more = end < len(ordered)
    return page, (str(end) if more else None)
