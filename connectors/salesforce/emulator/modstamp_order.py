"""The change-stream query's fast path: rows kept in (SystemModstamp, Id) order, found by bisection.

Connectors page through changes with
``WHERE (filter) AND (SystemModstamp > m OR (SystemModstamp = m AND Id >= id)) AND SystemModstamp <= u
ORDER BY SystemModstamp, Id``. Instead of filtering every row and sorting the matches, the rows of
an object are kept sorted by (SystemModstamp, Id) (rebuilt only when the object's rows changed), the
bounds found in the top-level AND narrow the range by bisection, and the full predicate still
decides each row of that range. The result is the same list the general path would build.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from connectors.salesforce.emulator.soql import BoolOp, Condition, Literal, Query
from connectors.salesforce.emulator.store import Record, Store


@dataclass
class _Ordered:
    store: Store
    version: int
    rows: list[Record]
    keys: list[tuple[dt.datetime, str]]
    stamps: list[dt.datetime]


class ModstampOrder:
    """Per object: its rows sorted by (SystemModstamp, Id), cached until the object changes."""

    def __init__(self) -> None:
        self._cache: dict[str, _Ordered] = {}

    def ordered(self, store: Store, obj: str) -> _Ordered:
        version = store.version[obj]
        cached = self._cache.get(obj)
        if cached is None or cached.store is not store or cached.version != version:
            rows = sorted(store.records[obj].values(), key=lambda r: (r["SystemModstamp"], r["Id"]))
            keys = [(r["SystemModstamp"], r["Id"]) for r in rows]
            cached = _Ordered(store, version, rows, keys, [k[0] for k in keys])
            self._cache[obj] = cached
        return cached

    def candidates(self, store: Store, obj: str, query: Query) -> tuple[list[Record], list[Any]] | None:
        """The rows in the range the query's (SystemModstamp, Id) bounds allow, already in the
        query's order, and the conditions still to check on each (the bounds used are exact, so
        they are not checked again); None when the query is not of that kind."""
        if not _is_modstamp_order(query):
            return None
        ordered = self.ordered(store, obj)
        low, high = 0, len(ordered.rows)
        residual = []
        for item in _conjuncts(query.where):
            lower, upper = _lower(item, ordered), _upper(item, ordered)
            if lower is not None:
                low = max(low, lower)
            elif upper is not None:
                high = min(high, upper)
            else:
                residual.append(item)
        return ordered.rows[low:high], residual


def _name(path: tuple[str, ...]) -> str:
    return path[0].lower() if len(path) == 1 else ""


def _is_modstamp_order(query: Query) -> bool:
    order = query.order_by
    return (len(order) == 2 and [_name(o.field) for o in order] == ["systemmodstamp", "id"]
            and not any(o.descending or o.nulls_last for o in order))


def _conjuncts(node: Any) -> list[Any]:
    if node is None:
        return []
    if isinstance(node, BoolOp) and node.op == "AND":
        return [part for item in node.items for part in _conjuncts(item)]
    return [node]


def _stamp(cond: Any, *ops: str) -> dt.datetime | None:
    if (isinstance(cond, Condition) and _name(cond.field) == "systemmodstamp" and cond.op in ops
            and isinstance(cond.value, Literal) and cond.value.kind == "datetime"):
        value: dt.datetime = cond.value.value
        return value
    return None


def _lower(cond: Any, ordered: _Ordered) -> int | None:
    if (stamp := _stamp(cond, ">=")) is not None:
        return bisect.bisect_left(ordered.stamps, stamp)
    if (stamp := _stamp(cond, ">")) is not None:
        return bisect.bisect_right(ordered.stamps, stamp)
    # (SystemModstamp > m OR (SystemModstamp = m AND Id >= id)): from (m, id) on
    if isinstance(cond, BoolOp) and cond.op == "OR" and len(cond.items) == 2:
        after, tie = cond.items
        later = _stamp(after, ">")
        if later is None or not (isinstance(tie, BoolOp) and tie.op == "AND" and len(tie.items) == 2):
            return None
        same, from_id = tie.items
        if (_stamp(same, "=") == later and isinstance(from_id, Condition) and _name(from_id.field) == "id"
                and from_id.op == ">=" and isinstance(from_id.value, Literal) and from_id.value.kind == "string"
                and len(str(from_id.value.value)) == 18):
            return bisect.bisect_left(ordered.keys, (later, str(from_id.value.value)))
    return None


def _upper(cond: Any, ordered: _Ordered) -> int | None:
    if (stamp := _stamp(cond, "<=")) is not None:
        return bisect.bisect_right(ordered.stamps, stamp)
    if (stamp := _stamp(cond, "<")) is not None:
        return bisect.bisect_left(ordered.stamps, stamp)
    return None
