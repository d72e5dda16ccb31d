"""The cursor query's fast path (rows kept in (SystemModstamp, Id) order, bisected) answers exactly
what the general path (filter every row, then sort) answers."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from connectors.salesforce.emulator.modstamp_order import ModstampOrder
from connectors.salesforce.emulator.schema import default_schema
from connectors.salesforce.emulator.soql_compile import compile_conditions, compile_query
from connectors.salesforce.emulator.store import Store

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _store() -> Store:
    store = Store(default_schema(), clock=lambda: T0)
    rng = random.Random(3)
    for i in range(300):  # few distinct stamps: many ties, broken by Id
        stamp = T0 + dt.timedelta(seconds=rng.randrange(12))
        kind = "Partner" if i % 3 else "Customer"
        store.insert("Account", {"Name": f"A {i}", "Type": kind}, stamp)
    ids = sorted(store.records["Account"])
    store.delete("Account", ids[7], T0 + dt.timedelta(seconds=5))
    return store


def _lit(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _queries(store: Store) -> list[str]:
    rows = sorted(store.records["Account"].values(), key=lambda r: (r["SystemModstamp"], r["Id"]))
    middle = rows[len(rows) // 2]
    m, rid = _lit(middle["SystemModstamp"]), middle["Id"]
    select = "SELECT Id, Name FROM Account WHERE "
    order = " ORDER BY SystemModstamp, Id"
    return [
        select + f"(Type = 'Partner') AND (SystemModstamp > {m} OR (SystemModstamp = {m} AND Id >= '{rid}')) "
                 f"AND SystemModstamp <= {_lit(T0 + dt.timedelta(seconds=9))}" + order,
        select + f"SystemModstamp >= {m} AND SystemModstamp < {_lit(T0 + dt.timedelta(seconds=10))}" + order,
        select + f"SystemModstamp > {m} AND Type != 'Customer'" + order,
        select + "Type = 'Partner'" + order,
        select + f"SystemModstamp <= {m} OR Type = 'Customer'" + order,
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("include_deleted", [False, True])
def test_fast_path_equals_filter_then_sort(index: int, include_deleted: bool) -> None:
    store = _store()
    compiled = compile_query(_queries(store)[index], store.schema, store.lookup)
    general = [r for r in store.records["Account"].values()
               if (include_deleted or not r["IsDeleted"]) and compiled.predicate(r)]  # type: ignore[misc]
    assert compiled.sort is not None
    expected = [r["Id"] for r in compiled.sort(general)]

    found = ModstampOrder().candidates(store, "Account", compiled.query)
    assert found is not None
    rows, residual = found
    predicate = compile_conditions(residual, store.schema, compiled.obj, store.lookup)
    fast = [r["Id"] for r in rows if (include_deleted or not r["IsDeleted"]) and (predicate is None or predicate(r))]
    assert fast == expected and expected


def test_order_follows_writes() -> None:
    store = _store()
    order = ModstampOrder()
    before = len(order.ordered(store, "Account").rows)
    store.insert("Account", {"Name": "late", "Type": "Partner"}, T0 + dt.timedelta(seconds=30))
    rows = order.ordered(store, "Account").rows
    assert len(rows) == before + 1 and rows[-1]["Name"] == "late"


def test_other_orders_take_the_general_path() -> None:
    store = _store()
    compiled = compile_query("SELECT Id FROM Account ORDER BY Name", store.schema, store.lookup)
    assert ModstampOrder().candidates(store, "Account", compiled.query) is None
