"""Bulk API 2.0 ingest and query jobs through ``sf.bulk2``."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from connectors.salesforce.emulator import SalesforceEmulator, bulk2


def test_bulk2_upsert_with_failures(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf.Account.create({"Name": "existing", "PRM_Id__c": "b-0"})
    records = [{"PRM_Id__c": f"b-{i}", "Name": f"B{i}", "Partner_Tier__c": "Gold"}
               for i in range(5)]
    records.append({"PRM_Id__c": "b-bad", "Name": "bad", "Partner_Tier__c": "Diamond"})
    results = sf.bulk2.Account.upsert(records=records, external_id_field="PRM_Id__c", wait=0.1)
    assert results[0]["numberRecordsProcessed"] == 6
    assert results[0]["numberRecordsFailed"] == 1
    job_id = results[0]["job_id"]
    ok = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_successful_records(job_id))))
    assert [row["sf__Created"] for row in ok] == ["false", "true", "true", "true", "true"]
    assert all(row["sf__Id"].startswith("001") for row in ok)
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_failed_records(job_id))))
    assert failed[0]["PRM_Id__c"] == "b-bad"
    assert failed[0]["sf__Error"].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    rows = sf_emulator.records("Account")
    assert len({r["SystemModstamp"] for r in rows if r["Name"] != "existing"} |
               {next(r for r in rows if r["PRM_Id__c"] == "b-0")["SystemModstamp"]}) == 1


def test_bulk2_insert_update_delete(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    inserted = sf.bulk2.Lead.insert(records=[{"LastName": f"L{i}", "Company": "C"}
                                             for i in range(3)], wait=0.1)
    assert inserted[0]["numberRecordsFailed"] == 0
    ids = [r["Id"] for r in sf_emulator.records("Lead")]
    sf.bulk2.Lead.update(records=[{"Id": ids[0], "Company": "New"}], wait=0.1)
    assert sf.Lead.get(ids[0])["Company"] == "New"
    sf.bulk2.Lead.delete(records=[{"Id": i} for i in ids[1:]], wait=0.1)
    assert [r["Id"] for r in sf_emulator.records("Lead")] == ids[:1]


def test_bulk2_query_pages_with_locator(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.generate(30, seed=2)
    pages = list(sf.bulk2.Account.query("SELECT Id, Name FROM Account", max_records=12, wait=0.1))
    assert len(pages) == 3
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(rows) == 30 and len({r["Id"] for r in rows}) == 30


def test_bulk2_query_job_moves_through_its_states_and_query_all_keeps_deleted_rows(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    ids = [sf.Account.create({"Name": f"Q{i}", "Territories__c": "zwei\nZeilen, \"zitiert\""})["id"]
           for i in range(3)]
    sf.Account.delete(ids[0])
    created = sf.restful("jobs/query", method="POST",
                         data='{"operation": "queryAll", "query": "SELECT Id, IsDeleted, Territories__c FROM Account"}')
    assert created["state"] == "UploadComplete"
    with pytest.raises(SalesforceMalformedRequest):   # no results before JobComplete
        sf.bulk2.Account._client.get_query_results(created["id"])
    states = [sf.restful(f"jobs/query/{created['id']}")["state"] for _ in range(3)]
    # the refused results request was the job's 1st step, the 1st poll its 2nd: complete
    assert states == ["JobComplete", "JobComplete", "JobComplete"]
    created = sf.restful("jobs/query", method="POST",
                         data='{"operation": "queryAll", "query": "SELECT Id, IsDeleted, Territories__c FROM Account"}')
    states = [sf.restful(f"jobs/query/{created['id']}")["state"] for _ in range(3)]
    assert states == ["InProgress", "JobComplete", "JobComplete"]
    result = sf.bulk2.Account._client.get_query_results(created["id"], max_records=2)
    assert result["number_of_records"] == 2 and result["locator"]
    last = sf.bulk2.Account._client.get_query_results(created["id"], result["locator"], max_records=2)
    assert last["number_of_records"] == 1 and last["locator"] == ""   # Sforce-Locator: null
    rows = [*csv.DictReader(io.StringIO(result["records"])), *csv.DictReader(io.StringIO(last["records"]))]
    assert {r["Id"]: r["IsDeleted"] for r in rows} == {ids[0]: "true", ids[1]: "false", ids[2]: "false"}
    assert {r["Territories__c"] for r in rows} == {'zwei\nZeilen, "zitiert"'}
    assert result["records"].startswith('"Id","IsDeleted","Territories__c"\n')   # every value quoted


def test_a_query_job_moves_on_with_every_request_the_org_serves_not_only_its_polls(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    """A job created ahead of its read (the connector prepares the next entity's) is complete at its
    first poll when the client did other things meanwhile; counted in requests, never in time."""
    sf_emulator.generate(5, seed=3)
    body = '{"operation": "queryAll", "query": "SELECT Id FROM Account"}'
    early, late = (sf.restful("jobs/query", method="POST", data=body)["id"] for _ in range(2))
    assert sf.restful(f"jobs/query/{late}")["state"] == "InProgress"   # the create of `late`: early's 1st step
    assert sf.restful(f"jobs/query/{early}")["state"] == "JobComplete"  # 1 poll: 3 steps
    sf.query("SELECT Id FROM Account")
    assert sf.restful(f"jobs/query/{late}")["state"] == "JobComplete"   # its own poll, a query, this poll
    sf_emulator.query_job_polls = 5
    try:
        slow = sf.restful("jobs/query", method="POST", data=body)["id"]
        assert [sf.restful(f"jobs/query/{slow}")["state"] for _ in range(5)] == ["InProgress"] * 4 + ["JobComplete"]
    finally:
        sf_emulator.query_job_polls = 2


def test_bulk2_query_job_refuses_aggregates(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest, match="Aggregate"):
        sf.restful("jobs/query", method="POST", data='{"operation": "query", "query": "SELECT COUNT() FROM Account"}')


def test_bulk2_query_job_takes_its_rows_after_create_and_streams_a_results_page_in_chunks(
        sf: Salesforce, sf_emulator: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    sf_emulator.generate(25, seed=3)
    monkeypatch.setattr(bulk2, "STREAM_ROWS", 10)   # the emulator's own chunk size, small enough to see
    created = sf.restful("jobs/query", method="POST", data='{"operation": "query", "query": "SELECT Id FROM Account"}')
    assert created["state"] == "UploadComplete" and created["numberRecordsProcessed"] == 0
    # the poll that completes the job waits for its rows: always 2 polls, however slow the machine
    assert [sf.restful(f"jobs/query/{created['id']}")["state"] for _ in range(2)] == ["InProgress", "JobComplete"]
    assert sf.restful(f"jobs/query/{created['id']}")["numberRecordsProcessed"] == 25
    response = sf.session.get(f"{sf.bulk2_url}query/{created['id']}/results", params={"maxRecords": 25},
                              headers={**sf.headers, "Accept": "text/csv"}, stream=True)
    with response:
        assert "Content-Length" not in response.headers     # sent as it is written, not built whole first
        text = b"".join(response.iter_content(chunk_size=None)).decode()
    assert response.headers["Sforce-NumberOfRecords"] == "25" and response.headers["Sforce-Locator"] == "null"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len({r["Id"] for r in rows}) == 25 and text.startswith('"Id"\n')
