"""HubSpot emulator, search API over HTTP with the real SDK; generated portals."""

from __future__ import annotations

import pytest
from hubspot.crm.companies import PublicObjectSearchRequest
from hubspot.crm.objects import PublicObjectSearchRequest as ObjectSearch

from connectors.hubspot.emulator import HubSpotEmulator
from tests.integration.emulators.hs_fixtures import ManualClock, error_json

CURSOR = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"},
          {"propertyName": "hs_object_id", "direction": "ASCENDING"}]


def gte(prop: str, value: str) -> list[dict[str, object]]:
    return [{"filters": [{"propertyName": prop, "operator": "GTE", "value": value}]}]


def test_generate_10000_is_ready_to_serve():
    """How fast is measured in bench/timings.py (not here: a busy machine must not fail the suite)."""
    emu = HubSpotEmulator()
    emu.generate(10_000, seed=7)
    url = emu.start()
    try:
        assert url.startswith("http://")
        companies = emu.store.tables["companies"].records.values()
        assert sum(1 for r in companies if r.properties["prm_is_partner"] == "true") == 10_000
    finally:
        emu.stop()


def test_generation_is_deterministic_by_seed():
    first, second, other = HubSpotEmulator(), HubSpotEmulator(), HubSpotEmulator()
    for emu, seed in ((first, 3), (second, 3), (other, 4)):
        emu.clock = ManualClock()
        emu.generate(30, seed=seed)
    assert first.dump() == second.dump() != other.dump()
    deals = first.dump()["objects"]["deals"]
    pipelines = {d["properties"]["pipeline"] for d in deals}
    assert pipelines == {"default", "partner_registrations"}
    assert len({d["properties"]["deal_currency_code"] for d in deals}) > 1
    assert all(row[0] == "deals" and row[2] == "companies" and row[4] == 341
               for row in first.dump()["associations"])


def test_cursor_walk_over_more_than_three_pages(hub):
    hub.emu.generate(120, seed=1)
    total_companies = len(hub.emu.store.tables["companies"].records)
    seen, after, pages = [], None, 0
    while True:
        page = hub.c_search.do_search(PublicObjectSearchRequest(
            filter_groups=gte("hs_lastmodifieddate", "0"), sorts=CURSOR, limit=30, after=after,
            properties=["name", "prm_id"]))
        pages += 1
        assert page.total == total_companies
        seen += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert pages == 4 and len(seen) == len(set(seen)) == total_companies
    first = page.results[-1]
    assert set(first.properties) == {"name", "prm_id", "hs_object_id", "createdate",
                                     "hs_lastmodifieddate"}
    assert first.archived is False


def test_search_never_returns_archived_records_and_sees_writes(hub):
    hub.emu.generate(5, seed=2)
    before = hub.c_search.do_search(PublicObjectSearchRequest(limit=100))
    hub.c_basic.archive(before.results[0].id)
    after = hub.c_search.do_search(PublicObjectSearchRequest(limit=100))
    assert after.total == before.total - 1
    assert before.results[0].id not in {r.id for r in after.results}


def test_search_index_lag(hub):
    hub.emu.set_search_lag(1_000)
    from hubspot.crm.companies import SimplePublicObjectInputForCreate
    hub.c_basic.create(SimplePublicObjectInputForCreate(properties={"name": "lagging"}))
    body = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "name", "operator": "EQ", "value": "lagging"}]}])
    assert hub.c_search.do_search(body).total == 0
    hub.clock.advance(milliseconds=1_000)
    assert hub.c_search.do_search(body).total == 1


def test_search_validation_errors_are_400s(hub):
    for body in (PublicObjectSearchRequest(limit=201),
                 PublicObjectSearchRequest(after="10000"),
                 PublicObjectSearchRequest(filter_groups=[{"filters": []}] * 6),
                 PublicObjectSearchRequest(filter_groups=gte("nope", "1"))):
        with pytest.raises(Exception) as refused:
            hub.c_search.do_search(body)
        assert refused.value.status == 400
        assert error_json(refused.value)["category"] == "VALIDATION_ERROR"


def test_paging_stops_at_10000_results(hub):
    hub.emu.generate(10_050, seed=5)
    search = hub.o_search
    body = {"filter_groups": gte("hs_lastmodifieddate", "0"), "sorts": CURSOR, "limit": 200,
            "properties": ["prm_id"]}
    page = search.do_search("companies", ObjectSearch(after="9800", **body))
    assert page.total == 10_050 and len(page.results) == 200
    assert page.paging.next.after == "10000"
    with pytest.raises(Exception) as refused:
        search.do_search("companies", ObjectSearch(after=page.paging.next.after, **body))
    assert refused.value.status == 400 and "10000" in error_json(refused.value)["message"]


def test_custom_object_and_contacts_search(hub):
    from hubspot.crm.objects import SimplePublicObjectInputForCreate
    for amount in ("5", "50", "500"):
        hub.o_basic.create("p_partner_commissions", SimplePublicObjectInputForCreate(
            properties={"amount": amount, "status": "paid"}))
    found = hub.o_search.do_search("2-12345", ObjectSearch(
        filter_groups=[{"filters": [{"propertyName": "amount", "operator": "BETWEEN",
                                     "value": "10", "highValue": "500"}]}],
        sorts=[{"propertyName": "amount", "direction": "DESCENDING"}], properties=["amount"]))
    assert [r.properties["amount"] for r in found.results] == ["500", "50"]
    contacts = hub.o_search.do_search("contacts", ObjectSearch(
        filter_groups=gte("lastmodifieddate", "0"),
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]))
    assert contacts.total == 0
