"""Fault injection, counters, admin API, dump/load and generation of the Salesforce emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceResourceNotFound

from connectors.emulator_kit import Fault
from connectors.salesforce.emulator import SalesforceEmulator
from tests.integration.emulators.sf_fixtures import make_sf_client

QUERY_PATH = r"/query"


def test_injected_status_uses_salesforce_error_shape(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.inject(Fault(path=QUERY_PATH, status=503, retry_after=7))
    with pytest.raises(SalesforceGeneralError) as info:
        sf.query("SELECT Id FROM Account")
    assert info.value.status == 503
    assert info.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT Id FROM Account")["done"] is True
    sf_emulator.inject(Fault(path=QUERY_PATH, status=404))
    with pytest.raises(SalesforceResourceNotFound):
        sf.query("SELECT Id FROM Account")


def test_injected_delay_and_dropped_connection(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.inject(Fault(path=QUERY_PATH, delay_s=0.3))
    started = time.perf_counter()
    assert sf.query("SELECT Id FROM Account")["done"]
    assert time.perf_counter() - started >= 0.3
    sf_emulator.inject(Fault(path=QUERY_PATH, drop=True, count=2))
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            sf.query("SELECT Id FROM Account")
    assert sf.query("SELECT Id FROM Account")["done"]


def test_every_nth_call_and_method_filter(sf: Salesforce,
                                          sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.inject(Fault(path="sobjects/Account", method="POST", status=500, every=3,
                             count=1))
    outcomes = []
    for i in range(4):
        try:
            sf.Account.create({"Name": f"n{i}"})
            outcomes.append("ok")
        except SalesforceGeneralError:
            outcomes.append("fail")
    assert outcomes == ["ok", "ok", "fail", "ok"]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 3


def test_counters_and_admin_api(sf: Salesforce, sf_emulator: SalesforceEmulator,
                                sf_session: requests.Session) -> None:
    admin = f"{sf_emulator.base_url}/__admin__"
    sf.Account.create({"Name": "a", "PRM_Id__c": "x1"})
    sf.Account.upsert("PRM_Id__c/x1", {"Name": "b"})
    sf.query("SELECT Id FROM Account")
    counters = sf_session.get(f"{admin}/counters").json()
    assert counters["POST /services/data/v62.0/sobjects/Account"] == 1
    assert counters["PATCH /services/data/v62.0/sobjects/Account/PRM_Id__c/{value}"] == 1
    assert counters["GET /services/data/v62.0/query"] == 1
    assert sf_emulator.calls("/query") == 1 and sf_emulator.calls() == 3
    sf_session.post(f"{admin}/counters/reset")
    assert sf_emulator.calls() == 0
    sf_session.post(f"{admin}/faults", json=[{"path": "/limits", "status": 500}])
    with pytest.raises(SalesforceGeneralError):
        sf.limits()
    sf_session.post(f"{admin}/faults", json={"path": "/limits", "status": 500})
    sf_session.delete(f"{admin}/faults")
    assert "DailyApiRequests" in sf.limits()
    sf_session.post(f"{admin}/latency", json={"seconds": 0.2})
    started = time.perf_counter()
    sf.limits()
    assert time.perf_counter() - started >= 0.2
    sf_session.post(f"{admin}/latency", json={"seconds": 0})
    dump = sf_session.get(f"{admin}/dump").json()
    assert len(dump["objects"]["Account"]) == 1
    sf_session.post(f"{admin}/reset")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    sf_session.post(f"{admin}/load", json=dump)
    assert sf.Account.get_by_custom_id("PRM_Id__c", "x1")["Name"] == "b"
    sf_session.post(f"{admin}/generate", json={"n": 20, "seed": 5})
    assert sf.query("SELECT COUNT() FROM Account WHERE Type = 'Partner'")["totalSize"] == 20


def test_generation_is_deterministic_and_realistic(sf_tls_dir: Path) -> None:
    one, two = SalesforceEmulator(tls_dir=sf_tls_dir), SalesforceEmulator(tls_dir=sf_tls_dir)
    one.generate(50, seed=9)
    two.generate(50, seed=9)

    def content(emulator: SalesforceEmulator) -> list[tuple[str, str]]:
        return [(r["Name"], r["PRM_Id__c"]) for r in emulator.records("Account")]

    assert content(one) == content(two)
    leads = one.records("Lead")
    opportunities = one.records("Opportunity")
    assert leads and all(lead["LeadSource"] == "Partner Referral" for lead in leads)
    partner_ids = {r["Id"] for r in one.records("Account")}
    assert {lead["Partner_Account__c"] for lead in leads} <= partner_ids
    assert len({o["StageName"] for o in opportunities}) > 2
    assert len({o["CurrencyIsoCode"] for o in opportunities}) > 1


def test_dump_round_trips_through_a_seed_file(sf: Salesforce, sf_emulator: SalesforceEmulator,
                                              tmp_path: Path, sf_tls_dir: Path) -> None:
    sf_emulator.generate(5, seed=1)
    gone = sf_emulator.records("Account")[0]["Id"]
    sf.Account.delete(gone)
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(sf_emulator.dump()))
    with SalesforceEmulator(tls_dir=sf_tls_dir) as other:
        other.load(json.loads(seed_file.read_text()))
        client = make_sf_client(other)
        original = sf.query_all("SELECT Id, Name, SystemModstamp FROM Account ORDER BY Id",
                                include_deleted=True)["records"]
        copied = client.query_all("SELECT Id, Name, SystemModstamp FROM Account ORDER BY Id",
                                  include_deleted=True)["records"]
        assert copied == original
        assert client.Account.create({"Name": "new"})["id"] not in {r["Id"] for r in original}


def test_generate_10000_is_ready_to_serve(sf_tls_dir: Path) -> None:
    """How fast is measured in bench/timings.py (not here: a busy machine must not fail the suite)."""
    emulator = SalesforceEmulator(tls_dir=sf_tls_dir)
    emulator.generate(10_000, seed=0)
    emulator.start()
    try:
        sf = make_sf_client(emulator)
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 10_000
    finally:
        emulator.stop()
