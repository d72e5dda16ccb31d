"""HubSpot emulator: v4 associations, rate limits, injected faults, admin API, dump/load."""

from __future__ import annotations

import time

import pytest
import urllib3
from hubspot.crm.associations.v4 import (
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies import SimplePublicObjectInputForCreate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate

from connectors.emulator_kit import Fault
from connectors.hubspot.emulator import HubSpotEmulator, RateLimits, build
from tests.integration.emulators.hs_fixtures import error_json


def company(hub, name: str = "Acme") -> str:
    return hub.c_basic.create(SimplePublicObjectInputForCreate(properties={"name": name})).id


def deal(hub) -> str:
    return hub.client.crm.deals.basic_api.create(DealCreate(properties={"dealname": "D"})).id


def test_batch_create_and_read_associations_both_ways(hub):
    company_id, deal_ids = company(hub), [deal(hub) for _ in range(3)]
    created = hub.assoc.create("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        {"from": {"id": d}, "to": {"id": company_id},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}]}
        for d in deal_ids]))
    assert len(created.results) == 3 and created.results[0].to_object_id == company_id
    back = hub.assoc.get_page("companies", "deals", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": company_id}]))
    (row,) = back.results
    assert sorted(t.to_object_id for t in row.to) == sorted(deal_ids)
    assert row.to[0].association_types[0].type_id == 342
    forward = hub.assoc.get_page("deals", "companies", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": d} for d in [*deal_ids, "424242"]]))
    assert len(forward.results) == 3 and forward.errors[0].context == {"fromObjectId": ["424242"]}


def test_default_associations_and_wrong_type_ids(hub):
    company_id, deal_id = company(hub), deal(hub)
    answer = hub.assoc.create_default("deals", "companies",
                                      BatchInputPublicDefaultAssociationMultiPost(
                                          inputs=[{"from": {"id": deal_id}, "to": {"id": company_id}}]))
    assert {r.association_spec.association_type_id for r in answer.results} == {341, 342}
    with pytest.raises(Exception) as wrong:
        hub.assoc.create("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
            {"from": {"id": deal_id}, "to": {"id": company_id},
             "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]))
    assert wrong.value.status == 400
    with pytest.raises(Exception) as too_many:
        hub.assoc.get_page("deals", "companies", BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": str(i)} for i in range(1001)]))
    assert too_many.value.status == 400


def test_429_reaches_the_sdk_with_retry_after(hub):
    hub.emu.rate_limits = RateLimits(per_interval=3)
    for _ in range(3):
        hub.c_basic.get_page()
    with pytest.raises(Exception) as limited:
        hub.c_basic.get_page()
    assert limited.value.status == 429
    assert limited.value.headers["Retry-After"] == "10"
    body = error_json(limited.value)
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    hub.clock.advance(seconds=10)
    hub.c_basic.get_page()


def test_rate_limit_headers_on_every_answer_and_search_limit(hub):
    hub.emu.rate_limits = RateLimits(per_interval=100, daily=1000, search_per_second=1)
    answer = hub.raw("GET", "/crm/v3/objects/companies")
    assert answer.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "99"
    assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "999"
    assert hub.raw("POST", "/crm/v3/objects/companies/search", {}).status == 200
    limited = hub.raw("POST", "/crm/v3/objects/companies/search", {})
    assert limited.status == 429 and limited.json()["policyName"] == "SECONDLY"


def test_injected_status_delay_and_dropped_connection(hub):
    hub.emu.inject(Fault(path="/crm/v3/objects/companies$", method="GET", status=503, count=2))
    for _ in range(2):
        with pytest.raises(Exception) as failed:
            hub.c_basic.get_page()
        assert failed.value.status == 503
    hub.c_basic.get_page()
    hub.emu.inject(Fault(path="/search", status=429, retry_after=7))
    with pytest.raises(Exception) as limited:
        hub.c_search.do_search({})
    assert limited.value.headers["Retry-After"] == "7"
    hub.emu.inject(Fault(path="/crm/v3/objects/companies$", delay_s=0.3))
    started = time.perf_counter()
    hub.c_basic.get_page()
    assert time.perf_counter() - started >= 0.3
    hub.emu.inject(Fault(path="/crm/v3/objects/companies$", drop=True))
    with pytest.raises(urllib3.exceptions.HTTPError):
        hub.c_basic.get_page()
    assert hub.emu.calls("GET /crm/v3/objects/companies") == 5


def test_admin_api_counters_faults_dump_load(hub):
    hub.raw("POST", "/__admin__/generate", {"n": 3, "seed": 1})
    state = hub.raw("GET", "/__admin__/dump").json()
    assert len(state["objects"]["companies"]) == 3
    company(hub, "extra")
    counters = hub.raw("GET", "/__admin__/counters").json()
    assert counters == {"POST /crm/v3/objects/companies": 1}
    hub.raw("POST", "/__admin__/load", state)
    assert len(hub.c_basic.get_page(limit=100).results) == 3
    hub.raw("POST", "/__admin__/faults", {"path": "/companies", "status": 500})
    assert hub.raw("GET", "/crm/v3/objects/companies").status == 500
    hub.raw("POST", "/__admin__/ratelimits", {"per_interval": 1})
    hub.raw("GET", "/crm/v3/objects/companies")
    assert hub.raw("GET", "/crm/v3/objects/companies").status == 429
    assert hub.raw("POST", "/__admin__/reset").status == 200
    assert hub.emu.dump()["objects"]["companies"] == []


def test_build_from_seed_file(tmp_path):
    source = HubSpotEmulator()
    source.generate(4, seed=9)
    seed_file = tmp_path / "seed.json"
    import json
    seed_file.write_text(json.dumps(source.dump()))
    built = build(seed_file, generate_n=2)
    assert len(built.store.tables["companies"].records) == 6
    ids = list(built.store.tables["companies"].records)
    assert len(set(ids)) == 6
