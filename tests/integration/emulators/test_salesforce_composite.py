"""sObject Collections (composite/sobjects) through simple-salesforce's ``restful``."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from connectors.salesforce.emulator import SalesforceEmulator


def _acct(i: int, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, "Name": f"A{i}", "PRM_Id__c": f"p-{i}", **extra}


def test_create_update_retrieve_delete(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    created = sf.restful("composite/sobjects", method="POST",
                         json={"allOrNone": False, "records": [_acct(1), _acct(2)]})
    ids = [r["id"] for r in created]
    assert all(r["success"] and r["errors"] == [] for r in created)
    rows = sf_emulator.records("Account")
    assert len({r["SystemModstamp"] for r in rows}) == 1
    updated = sf.restful("composite/sobjects", method="PATCH", json={
        "allOrNone": False,
        "records": [{"attributes": {"type": "Account"}, "Id": ids[0], "Industry": "Retail"},
                    {"attributes": {"type": "Account"}, "Id": ids[1], "Partner_Tier__c": "X"}]})
    assert updated[0] == {"id": ids[0], "success": True, "errors": []}
    assert updated[1]["success"] is False
    assert updated[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert updated[1]["errors"][0]["fields"] == ["Partner_Tier__c"]
    fetched = sf.restful("composite/sobjects/Account", method="GET",
                         params={"ids": ",".join(ids), "fields": "Id,Industry"})
    assert [r["Industry"] for r in fetched] == ["Retail", None]
    posted = sf.restful("composite/sobjects/Account", method="POST",
                        json={"ids": [ids[1], "001000000000000AAA"], "fields": ["Name"]})
    assert posted[0]["Name"] == "A2" and posted[1] is None
    deleted = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": ",".join(ids), "allOrNone": "false"})
    assert [r["success"] for r in deleted] == [True, True]
    assert sf_emulator.records("Account") == []


def test_upsert_results_in_request_order(sf: Salesforce) -> None:
    sf.restful("composite/sobjects", method="POST", json={"records": [_acct(2)]})
    records = [_acct(1), _acct(2, Name="renamed"), _acct(3, Partner_Tier__c="Bogus"),
               {"attributes": {"type": "Account"}, "PRM_Id__c": "p-4"}]
    results = sf.restful("composite/sobjects/Account/PRM_Id__c", method="PATCH",
                         json={"allOrNone": False, "records": records})
    assert [(r["success"], r["created"]) for r in results] == [
        (True, True), (True, False), (False, False), (False, False)]
    assert results[3]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[3]["errors"][0]["fields"] == ["Name"]
    names = {r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]}
    assert names == {"A1", "renamed"}


def test_all_or_none_rolls_back_everything(sf: Salesforce,
                                           sf_emulator: SalesforceEmulator) -> None:
    sf.restful("composite/sobjects", method="POST", json={"records": [_acct(1)]})
    before = sf_emulator.dump()
    records = [_acct(1, Name="changed"), _acct(2), _acct(3, Nope__c="x")]
    results = sf.restful("composite/sobjects/Account/PRM_Id__c", method="PATCH",
                         json={"allOrNone": True, "records": records})
    codes = [r["errors"][0]["statusCode"] for r in results]
    assert codes == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                     "INVALID_FIELD"]
    assert all(r["success"] is False for r in results)
    assert sf_emulator.dump()["objects"] == before["objects"]


def test_duplicate_value_in_collection(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="POST",
                         json={"records": [_acct(1), _acct(1, Name="twin")]})
    assert results[0]["success"] and not results[1]["success"]
    assert results[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"


def test_bad_date_fails_whole_request_with_json_parser_error(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite/sobjects", method="POST",
                   json={"records": [_acct(1), _acct(2, Partner_Since__c="31/12/2024")]})
    assert info.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert sf_emulator.records("Account") == []


@pytest.mark.parametrize("method, path", [
    ("POST", "composite/sobjects"),
    ("PATCH", "composite/sobjects"),
    ("PATCH", "composite/sobjects/Account/PRM_Id__c"),
])
def test_201_records_exceed_the_cap(sf: Salesforce, method: str, path: str) -> None:
    records = [_acct(i) for i in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful(path, method=method, json={"allOrNone": False, "records": records})
    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_200_records_are_fine_and_delete_cap(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects/Account/PRM_Id__c", method="PATCH",
                         json={"allOrNone": False, "records": [_acct(i) for i in range(200)]})
    assert len(results) == 200 and all(r["created"] for r in results)
    ids = [r["id"] for r in results] + ["001000000000000AAA"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
