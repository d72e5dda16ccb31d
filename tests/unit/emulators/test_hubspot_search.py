"""The HubSpot emulator's search engine, without HTTP."""

from __future__ import annotations

import pytest

from connectors.hubspot.emulator.records import RecordStore
from connectors.hubspot.emulator.schema import ObjectTypeDef, default_portal_schema
from connectors.hubspot.emulator.search import SearchError, compile_search, page_of, run_search

DAY = 86_400_000
T0 = 1_790_000_000_000  # 2026-09-21


@pytest.fixture
def deals() -> tuple[RecordStore, ObjectTypeDef]:
    schema = default_portal_schema()
    store = RecordStore(schema)
    deal_type = schema.object_types["deals"]
    rows = [
        {"dealname": "Alpha Edge", "amount": "100", "dealstage": "closedwon",
         "closedate": "2026-01-01T00:00:00.000Z", "prm_product_line": "software"},
        {"dealname": "beta cloud", "amount": "250.50", "dealstage": "qualifiedtobuy",
         "closedate": "2026-02-01T00:00:00.000Z", "prm_product_line": "hardware"},
        {"dealname": "Gamma", "amount": "99.99", "dealstage": "closedlost"},
        {"dealname": "Delta Edge", "dealstage": "registration_submitted",
         "pipeline": "partner_registrations"},
    ]
    for index, values in enumerate(rows):
        store.create(deal_type, dict(values), T0 + index * DAY)
    return store, deal_type


def names(store: RecordStore, object_type: ObjectTypeDef, body: dict[str, object]) -> list[str]:
    compiled = compile_search(object_type, body)
    return [r.properties["dealname"] for r in run_search(
        object_type, compiled, store.table(object_type).records.values())]


def f(prop: str, op: str, value: object = None, **extra: object) -> dict[str, object]:
    spec: dict[str, object] = {"propertyName": prop, "operator": op}
    if value is not None:
        spec["value"] = value
    return spec | extra


def one(*filters: dict[str, object]) -> dict[str, object]:
    return {"filterGroups": [{"filters": list(filters)}]}


@pytest.mark.parametrize(("spec", "expected"), [
    (f("amount", "GT", "100"), ["beta cloud"]),
    (f("amount", "GTE", "100"), ["Alpha Edge", "beta cloud"]),
    (f("amount", "LT", "100"), ["Gamma"]),
    (f("amount", "LTE", "100"), ["Alpha Edge", "Gamma"]),
    (f("amount", "EQ", "250.5"), ["beta cloud"]),
    (f("dealname", "EQ", "BETA CLOUD"), ["beta cloud"]),
    (f("dealstage", "NEQ", "closedwon"), ["beta cloud", "Gamma", "Delta Edge"]),
    (f("amount", "BETWEEN", "99.99", highValue="100"), ["Alpha Edge", "Gamma"]),
    (f("dealstage", "IN", values=["closedwon", "closedlost"]), ["Alpha Edge", "Gamma"]),
    (f("dealstage", "NOT_IN", values=["closedwon", "closedlost"]), ["beta cloud", "Delta Edge"]),
    (f("amount", "HAS_PROPERTY"), ["Alpha Edge", "beta cloud", "Gamma"]),
    (f("amount", "NOT_HAS_PROPERTY"), ["Delta Edge"]),
    (f("dealname", "CONTAINS_TOKEN", "edge"), ["Alpha Edge", "Delta Edge"]),
    (f("dealname", "CONTAINS_TOKEN", "clo*"), ["beta cloud"]),
    (f("dealname", "NOT_CONTAINS_TOKEN", "edge"), ["beta cloud", "Gamma"]),
    (f("hs_is_closed_won", "EQ", "true"), ["Alpha Edge"]),
    (f("hs_is_closed", "EQ", True), ["Alpha Edge", "Gamma"]),
])
def test_each_operator(deals, spec, expected):
    store, deal_type = deals
    assert names(store, deal_type, one(spec)) == expected


def test_datetime_filters_take_epoch_ms_strings_and_iso(deals):
    store, deal_type = deals
    epoch = str(T0 + 2 * DAY)
    by_epoch = names(store, deal_type, one(f("hs_lastmodifieddate", "GTE", epoch)))
    iso = "2026-09-23T14:13:20Z"  # == T0 + 2 days
    by_iso = names(store, deal_type, one(f("hs_lastmodifieddate", "GTE", iso)))
    assert by_epoch == by_iso == ["Gamma", "Delta Edge"]
    assert names(store, deal_type, one(f("closedate", "LT", "2026-01-15"))) == ["Alpha Edge"]


def test_groups_are_ored_and_filters_anded(deals):
    store, deal_type = deals
    body = {"filterGroups": [
        {"filters": [f("amount", "GT", "50"), f("dealstage", "EQ", "closedlost")]},
        {"filters": [f("pipeline", "EQ", "partner_registrations")]},
    ]}
    assert names(store, deal_type, body) == ["Gamma", "Delta Edge"]


def test_sorts_put_missing_values_last_and_break_ties_by_id(deals):
    store, deal_type = deals
    ascending = {"sorts": [{"propertyName": "amount", "direction": "ASCENDING"}]}
    descending = {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]}
    assert names(store, deal_type, ascending) == ["Gamma", "Alpha Edge", "beta cloud",
                                                  "Delta Edge"]
    assert names(store, deal_type, descending) == ["beta cloud", "Alpha Edge", "Gamma",
                                                   "Delta Edge"]
    store.update(deal_type, store.table(deal_type).records[1002], {}, T0)
    by_modified = {"sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]}
    assert names(store, deal_type, by_modified)[:2] == ["Alpha Edge", "beta cloud"]


def test_archived_records_are_never_found(deals):
    store, deal_type = deals
    store.archive(deal_type, store.table(deal_type).records[1001], T0 + 9 * DAY)
    assert "Alpha Edge" not in names(store, deal_type, {})


def test_paging_by_string_offset_and_the_10000_cap(deals):
    store, deal_type = deals
    compiled = compile_search(deal_type, {"limit": 3})
    ordered = run_search(deal_type, compiled, store.table(deal_type).records.values())
    first, after = page_of(compiled, ordered)
    assert len(first) == 3 and after == "3"
    second, after = page_of(compile_search(deal_type, {"limit": 3, "after": after}), ordered)
    assert len(second) == 1 and after is None
    with pytest.raises(SearchError, match="10000"):
        compile_search(deal_type, {"after": "10000"})
    capped = compile_search(deal_type, {"limit": 2, "after": "1"})
    page, after = page_of(capped, ordered, max_results=2)
    assert len(page) == 1 and after == "2"  # next page would ask for after=2 -> the 400


@pytest.mark.parametrize(("body", "message"), [
    ({"filterGroups": [{"filters": []}] * 6}, "filter groups"),
    ({"filterGroups": [{"filters": [f("amount", "HAS_PROPERTY")] * 7}]}, "filter group"),
    ({"filterGroups": [{"filters": [f("amount", "HAS_PROPERTY")] * 5}] * 4}, "Too many filters: 20"),
    ({"limit": 201}, "limit"),
    (one(f("nope", "EQ", "x")), "nope"),
    (one(f("amount", "LIKE", "1")), "operator"),
    (one(f("amount", "EQ", "abc")), "number"),
    (one(f("closedate", "GT", "yesterday")), "date"),
    (one(f("amount", "IN")), "values"),
    (one(f("amount", "BETWEEN", "1")), "highValue"),
    ({"sorts": [{"propertyName": "amount", "direction": "UP"}]}, "direction"),
])
def test_invalid_requests_are_refused(deals, body, message):
    _, deal_type = deals
    with pytest.raises(SearchError, match=message):
        compile_search(deal_type, body)


def test_cache_key_is_the_same_for_every_page(deals):
    _, deal_type = deals
    body = one(f("amount", "GT", "1"))
    first = compile_search(deal_type, body | {"after": "0"})
    later = compile_search(deal_type, body | {"after": "200", "limit": 50})
    assert first.cache_key == later.cache_key
    assert compile_search(deal_type, one(f("amount", "GT", "2"))).cache_key != first.cache_key
