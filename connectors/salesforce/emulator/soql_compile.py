"""Compile a parsed SOQL ``Query`` against the org schema into closures, once per query.

The result filters, sorts and renders records (plain dicts of typed values) without
re-reading the query text; relationship paths (``Partner_Account__r.PRM_Id__c``) resolve
through a ``lookup(object, id)`` callback into the store.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring  # the C-accelerated one when available
from typing import Any

from connectors.salesforce.emulator.schema import (
    COMPOUND_TYPES,
    NUMBER_TYPES,
    STRING_TYPES,
    FieldDef,
    ObjectDef,
    Schema,
)
from connectors.salesforce.emulator.soql import (
    BoolOp,
    Condition,
    Literal,
    Query,
    SoqlError,
    like_regex,
    parse,
)
from connectors.salesforce.emulator.values import out_value, sf_datetime, to_id18

Record = dict[str, Any]
Lookup = Callable[[str, Any], Record | None]
Getter = Callable[[Record], Any]
Predicate = Callable[[Record], bool]

_CMP = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_KIND_FOR_TYPE = {"date": "date", "datetime": "datetime", "boolean": "boolean"}
_TYPE_WORD = {
    "date": "date",
    "datetime": "dateTime",
    "boolean": "boolean",
    "number": "number",
    "string": "string",
}


@dataclass
class Column:
    """One selected field: output path (``("Partner_Account__r", "PRM_Id__c")``) + getter."""

    path: tuple[str, ...]
    getter: Getter
    target: str | None = None  # related object name for relationship columns
    related_finder: Callable[[Record], Record | None] | None = None
    field: str | None = None  # the record's own field this column reads (None: a relationship's)
    compound: bool = False  # a compound field (BillingAddress): a structure made of its parts


@dataclass
class CompiledQuery:
    obj: ObjectDef
    query: Query
    predicate: Predicate | None
    columns: list[Column]
    sort: Callable[[list[Record]], list[Record]] | None
    _simple_prefixes: list[tuple[str, str]] | None = None

    def render_json(self, record: Record, url_base: str) -> str:
        """``render`` straight to JSON text (fast path: 2,000-row pages in milliseconds)."""
        if self._simple_prefixes is None:
            if any(col.target is not None or col.compound for col in self.columns):
                return json.dumps(self.render(record, url_base), separators=(",", ":"))
            self._simple_prefixes = [(col.path[0], f',"{col.path[0]}":')
                                     for col in self.columns]
        name = self.obj.name
        parts = [f'{{"attributes":{{"type":"{name}","url":"{url_base}/sobjects/{name}/'
                 f'{record["Id"]}"}}']
        for field_name, prefix in self._simple_prefixes:
            parts.append(prefix)
            parts.append(_json_scalar(record.get(field_name)))
        parts.append("}")
        return "".join(parts)

    def render(self, record: Record, url_base: str) -> dict[str, Any]:
        """One result row in the REST shape (attributes + selected fields)."""
        name = self.obj.name
        row: dict[str, Any] = {
            "attributes": {"type": name, "url": f"{url_base}/sobjects/{name}/{record['Id']}"}
        }
        for col in self.columns:
            if col.compound:
                row[col.path[0]] = col.getter(record)
                continue
            if col.target is None:
                value = record.get(col.path[0])
                row[col.path[0]] = value if value is None or value.__class__ is str \
                    else out_value(value)
                continue
            rel = col.path[0]
            nested = row.get(rel, ...)
            if nested is ...:
                finder = col.related_finder
                nested_record = finder(record) if finder else None
                nested = None if nested_record is None else {
                    "attributes": {"type": col.target,
                                   "url": f"{url_base}/sobjects/{col.target}/"
                                          f"{nested_record['Id']}"}}
                row[rel] = nested
            if nested is not None:
                nested[col.path[1]] = out_value(col.getter(record))
        return row


def _json_scalar(value: Any) -> str:
    cls = value.__class__
    if cls is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if cls is bool:
        return "true" if value else "false"
    if cls is dt.datetime:
        return f'"{sf_datetime(value)}"'
    if cls is Decimal:
        return repr(float(value))
    return json.dumps(out_value(value))


def _field(obj: ObjectDef, name: str) -> FieldDef:
    fdef = obj.field(name)
    if fdef is None:
        raise SoqlError(
            f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name.",
            "INVALID_FIELD",
        )
    return fdef


def _resolve(schema: Schema, obj: ObjectDef, path: tuple[str, ...], lookup: Lookup) -> tuple[FieldDef, Column]:
    if len(path) == 1:
        fdef = _field(obj, path[0])
        name = fdef.name
        if fdef.type in COMPOUND_TYPES:
            return fdef, Column((name,), _compound_getter(obj, name), compound=True)
        return fdef, Column((name,), lambda r, n=name: r.get(n), field=name)
    if len(path) != 2:
        raise SoqlError(f"Didn't understand relationship '{'.'.join(path)}'", "INVALID_FIELD")
    rel_name = path[0]
    ref = next(
        (f for f in obj.fields.values() if (f.relationship_name or "").lower() == rel_name.lower()),
        None,
    )
    if ref is None or not ref.reference_to:
        raise SoqlError(
            f"Didn't understand relationship '{rel_name}' in field path. If you are attempting "
            "to use a custom relationship, be sure to append the '__r' after the custom "
            "relationship name.",
            "INVALID_FIELD",
        )
    target = schema.objects[ref.reference_to[0]]
    fdef = _field(target, path[1])
    ref_name, target_name, field_name = ref.name, target.name, fdef.name

    def find(r: Record) -> Record | None:
        ref_id = r.get(ref_name)
        return None if ref_id is None else lookup(target_name, ref_id)

    def get(r: Record) -> Any:
        related = find(r)
        return None if related is None else related.get(field_name)

    return fdef, Column((ref.relationship_name or rel_name, field_name), get, target_name, find)


#: an address structure's keys, by the suffix of the part each is read from (BillingCity -> city)
_ADDRESS_KEYS = {"City": "city", "Country": "country", "CountryCode": "countryCode",
                 "GeocodeAccuracy": "geocodeAccuracy", "Latitude": "latitude", "Longitude": "longitude",
                 "PostalCode": "postalCode", "State": "state", "StateCode": "stateCode", "Street": "street"}


def _compound_getter(obj: ObjectDef, name: str) -> Getter:
    """A compound field's value as REST gives it: every key of the structure (parts the org lacks
    are null), or null when every part is null."""
    prefix = name.removesuffix("Address")

    def part(suffix: str) -> str | None:
        fdef = obj.fields.get(prefix + suffix)
        return fdef.name if fdef is not None and fdef.compound_field_name == name else None

    parts = sorted((key, part(suffix)) for suffix, key in _ADDRESS_KEYS.items())  # keys in REST's order

    def get(r: Record) -> Any:
        value = {key: None if field is None else out_value(r.get(field)) for key, field in parts}
        return value if any(v is not None for v in value.values()) else None

    return get


def _literal_value(fdef: FieldDef, lit: Literal) -> Any:
    if lit.kind == "null":
        return None
    ftype = fdef.type
    if ftype in STRING_TYPES:
        expected = "string"
    elif ftype in NUMBER_TYPES:
        expected = "number"
    else:
        expected = _KIND_FOR_TYPE.get(ftype, "string")
    if lit.kind != expected:
        quoted = "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
        raise SoqlError(
            f"value of filter criterion for field '{fdef.name}' must be of type {_TYPE_WORD[expected]} and {quoted}",
            "INVALID_FIELD",
            lit.pos,
        )
    if expected == "string":
        text = str(lit.value)
        if ftype in ("id", "reference") and len(text) == 15:
            text = to_id18(text)
        return text.casefold()
    return lit.value


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _condition(cond: Condition, schema: Schema, obj: ObjectDef, lookup: Lookup) -> Predicate:
    fdef, col = _resolve(schema, obj, cond.field, lookup)
    if col.compound:  # Salesforce filters on a compound field's parts only
        raise SoqlError(f"field '{fdef.name}' can not be filtered in a query call", "INVALID_FIELD")
    get = col.getter
    if cond.op in ("IN", "NOTIN"):
        assert isinstance(cond.value, tuple)
        values = {_literal_value(fdef, lit) for lit in cond.value}
        if cond.op == "IN":
            return lambda r: _norm(get(r)) in values
        return lambda r: _norm(get(r)) not in values
    assert isinstance(cond.value, Literal)
    if cond.op == "LIKE":
        if fdef.type not in STRING_TYPES or cond.value.kind != "string":
            raise SoqlError(f"invalid operator on field '{fdef.name}': LIKE", "INVALID_FIELD")
        pattern = like_regex(cond.value.raw)
        return lambda r: (v := get(r)) is not None and pattern.fullmatch(v) is not None
    target = _literal_value(fdef, cond.value)
    if cond.op == "=":
        if target is None:
            return lambda r: get(r) is None
        return lambda r: _norm(get(r)) == target
    if cond.op == "!=":
        if target is None:
            return lambda r: get(r) is not None
        return lambda r: _norm(get(r)) != target
    compare = _CMP[cond.op]
    if target is None:
        return lambda r: False
    if fdef.type in ("id", "reference"):
        # Ids are base-62 numbers: ranges compare them case-sensitively (binary), like Salesforce.
        exact = str(cond.value.value)
        exact = to_id18(exact) if len(exact) == 15 else exact
        return lambda r: (v := get(r)) is not None and compare(v, exact)
    return lambda r: (v := get(r)) is not None and compare(_norm(v), target)


def _predicate(node: Condition | BoolOp, schema: Schema, obj: ObjectDef, lookup: Lookup) -> Predicate:
    if isinstance(node, Condition):
        return _condition(node, schema, obj, lookup)
    parts = [_predicate(item, schema, obj, lookup) for item in node.items]
    if node.op == "NOT":
        inner = parts[0]
        return lambda r: not inner(r)
    if node.op == "AND":
        return lambda r: all(p(r) for p in parts)
    return lambda r: any(p(r) for p in parts)


def compile_conditions(nodes: list[Condition | BoolOp], schema: Schema, obj: ObjectDef,
                       lookup: Lookup) -> Predicate | None:
    """A predicate for the AND of `nodes` (None when there are none)."""
    if not nodes:
        return None
    return _predicate(nodes[0] if len(nodes) == 1 else BoolOp("AND", tuple(nodes)), schema, obj, lookup)


def _sort_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal | int | float | dt.date):
        return value
    return value


def _sorter(query: Query, schema: Schema, obj: ObjectDef,
            lookup: Lookup) -> Callable[[list[Record]], list[Record]] | None:
    if not query.order_by:
        return None
    resolved = [(_resolve(schema, obj, item.field, lookup), item) for item in query.order_by]
    for (fdef, col), _item in resolved:
        if col.compound:
            raise SoqlError(f"field '{fdef.name}' can not be sorted in a query call", "INVALID_FIELD")
    # Ids sort as the base-62 numbers they are (case-sensitive, i.e. binary); text case-insensitively.
    keys = [(col.getter, item) for (_fdef, col), item in resolved]
    binary = [fdef.type in ("id", "reference") for (fdef, _col), _item in resolved]
    descending = {item.descending for _, item in keys}
    if len(descending) == 1:
        # One direction: a single sort on a tuple key; the null flag places nulls.
        reverse = descending.pop()
        parts = [(get, item.nulls_last != reverse, is_id) for (get, item), is_id in zip(keys, binary, strict=True)]

        def tuple_key(r: Record) -> tuple[Any, ...]:
            out: list[Any] = []
            for get, null_high, is_id in parts:
                v = get(r)
                if v is None:
                    out.extend((null_high, 0))
                else:
                    out.extend((not null_high, v.casefold() if v.__class__ is str and not is_id else v))
            return tuple(out)

        return lambda records: sorted(records, key=tuple_key, reverse=reverse)

    def sort(records: list[Record]) -> list[Record]:
        result = list(records)
        for (get, item), is_id in reversed(list(zip(keys, binary, strict=True))):
            nulls = [r for r in result if get(r) is None]
            present = [r for r in result if get(r) is not None]
            present.sort(key=lambda r, g=get, b=is_id: g(r) if b else _sort_key(g(r)), reverse=item.descending)
            result = present + nulls if item.nulls_last else nulls + present
        return result

    return sort


def compile_query(text: str, schema: Schema, lookup: Lookup) -> CompiledQuery:
    """Parse and compile; raises SoqlError (MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE)."""
    query = parse(text)
    obj = schema.obj(query.sobject)
    if obj is None:
        raise SoqlError(
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name.",
            "INVALID_TYPE",
        )
    columns = [_resolve(schema, obj, path, lookup)[1] for path in query.fields]
    predicate = _predicate(query.where, schema, obj, lookup) if query.where else None
    return CompiledQuery(obj, query, predicate, columns, _sorter(query, schema, obj, lookup))
