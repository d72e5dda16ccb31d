"""The Salesforce emulator's org setup API (Tooling CustomField/CustomObject, permission sets) and its
field-level security, driven by the real simple-salesforce over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest

from connectors.salesforce.emulator import SalesforceEmulator
from connectors.salesforce.emulator.tooling import INTEGRATION_USER_ID
from tests.integration.emulators.sf_fixtures import make_sf_client, sf_tls_dir

__all__ = ["sf_tls_dir"]


@pytest.fixture
def empty(sf_tls_dir: Path) -> Iterator[SalesforceEmulator]:
    emulator = SalesforceEmulator.empty(tls_dir=sf_tls_dir)
    emulator.start()
    yield emulator
    emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


@pytest.fixture
def sf(empty: SalesforceEmulator) -> Salesforce:
    return make_sf_client(empty)


def field(sf: Salesforce, full_name: str, **metadata: Any) -> Any:
    return sf.toolingexecute("sobjects/CustomField/", method="POST",
                             data={"FullName": full_name, "Metadata": {"label": "X", **metadata}})


def error_of(exc: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    [body] = exc.value.content
    return body["errorCode"], body["message"]


def grant(sf: Salesforce, *records: dict[str, Any], all_or_none: bool = True) -> Any:
    return sf.restful("composite/sobjects", method="POST", json={"allOrNone": all_or_none, "records": list(records)})


def permission_set(sf: Salesforce, name: str = "PRM_Sync", assign: bool = True) -> str:
    ps = str(sf.PermissionSet.create({"Name": name, "Label": name.replace("_", " ")})["id"])
    if assign:
        sf.PermissionSetAssignment.create({"PermissionSetId": ps, "AssigneeId": INTEGRATION_USER_ID})
    return ps


def fls(ps: str, full: str, edit: bool) -> dict[str, Any]:
    return {"attributes": {"type": "FieldPermissions"}, "ParentId": ps, "SobjectType": full.split(".")[0],
            "Field": full, "PermissionsRead": True, "PermissionsEdit": edit}


def test_custom_field_create_answers_like_tooling_and_a_second_is_a_duplicate(sf: Salesforce,
                                                                             empty: SalesforceEmulator) -> None:
    created = field(sf, "Account.PRM_Id__c", type="Text", length=36, externalId=True, unique=True)
    assert created["success"] is True and created["id"].startswith("00N") and created["errors"] == []
    with pytest.raises(SalesforceMalformedRequest) as exc:
        field(sf, "Account.PRM_Id__c", type="Text", length=36)
    assert error_of(exc) == ("DUPLICATE_DEVELOPER_NAME", "There is already a field named PRM_Id on Account.")
    with pytest.raises(SalesforceMalformedRequest) as exc:     # a standard field's name too
        sf.toolingexecute("sobjects/CustomField/", method="POST",
                          data=[{"FullName": "Account.A__c", "Metadata": {"label": "A", "type": "Text"}}])
    assert error_of(exc)[0] == "JSON_PARSER_ERROR"               # one component per call: no arrays
    with pytest.raises(SalesforceMalformedRequest) as exc:
        field(sf, "Account.Long__c", type="Text", length=256)
    assert error_of(exc)[0] == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        field(sf, "Account.Flag__c", type="Checkbox")
    assert error_of(exc)[0] == "FIELD_INTEGRITY_EXCEPTION"       # a Checkbox needs its defaultValue
    rows = sf.toolingexecute("query/", params={
        "q": "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE TableEnumOrId IN ('Account')"})
    assert [(r["DeveloperName"], r["TableEnumOrId"]) for r in rows["records"]] == [("PRM_Id", "Account")]
    [one] = sf.toolingexecute("query/", params={
        "q": f"SELECT Id, Metadata FROM CustomField WHERE Id = '{created['id']}'"})["records"]
    assert one["Metadata"]["type"] == "Text" and one["Metadata"]["externalId"] is True
    assert one["Metadata"]["length"] == 36
    field(sf, "Account.Other__c", type="Text", length=10)
    with pytest.raises(SalesforceMalformedRequest) as exc:      # Metadata: one record per query only
        sf.toolingexecute("query/", params={"q": "SELECT Id, Metadata FROM CustomField"})
    assert error_of(exc)[0] == "MALFORMED_QUERY"
    assert empty.write_calls == 6


def test_a_created_field_is_invisible_until_a_permission_set_grants_it(sf: Salesforce,
                                                                       empty: SalesforceEmulator) -> None:
    field(sf, "Account.Partner_Tier__c", type="Picklist", valueSet={"restricted": True, "valueSetDefinition": {
        "value": [{"fullName": "Gold", "default": False, "label": "Gold"}]}})
    assert "Partner_Tier__c" not in [f["name"] for f in sf.Account.describe()["fields"]]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id, Partner_Tier__c FROM Account")
    assert error_of(exc)[0] == "INVALID_FIELD" and "No such column 'Partner_Tier__c'" in error_of(exc)[1]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Name": "Ánh Dương", "Partner_Tier__c": "Gold"})
    assert error_of(exc)[0] == "INVALID_FIELD"

    read_only = permission_set(sf, "Read_Only")
    assert grant(sf, fls(read_only, "Account.Partner_Tier__c", edit=False))[0]["success"]
    described = {f["name"]: f for f in sf.Account.describe()["fields"]}["Partner_Tier__c"]
    assert described["type"] == "picklist" and described["updateable"] is False
    assert [p["value"] for p in described["picklistValues"]] == ["Gold"]
    assert sf.query("SELECT Id, Partner_Tier__c FROM Account")["totalSize"] == 0
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Name": "Ánh Dương", "Partner_Tier__c": "Gold"})
    assert error_of(exc)[0] == "INVALID_FIELD_FOR_INSERT_UPDATE"

    editing = permission_set(sf, "PRM_Sync")
    grant(sf, fls(editing, "Account.Partner_Tier__c", edit=True))
    assert sf.Account.create({"Name": "Ánh Dương", "Partner_Tier__c": "Gold"})["success"]


def test_a_custom_object_needs_object_permissions_to_be_seen(sf: Salesforce, empty: SalesforceEmulator) -> None:
    created = sf.toolingexecute("sobjects/CustomObject/", method="POST", data={
        "FullName": "Partner_Commission__c", "Metadata": {
            "label": "Partner Commission", "pluralLabel": "Partner Commissions", "deploymentStatus": "Deployed",
            "sharingModel": "ReadWrite",
            "nameField": {"type": "AutoNumber", "label": "Commission Number", "displayFormat": "PC-{000000}"}}})
    assert created["id"].startswith("01I")
    assert "Partner_Commission__c" not in [o["name"] for o in sf.describe()["sobjects"]]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Partner_Commission__c")
    assert error_of(exc)[0] == "INVALID_TYPE"
    field(sf, "Partner_Commission__c.Period__c", type="Text", length=20)
    ps = permission_set(sf)
    results = grant(sf, {"attributes": {"type": "ObjectPermissions"}, "ParentId": ps,
                         "SobjectType": "Partner_Commission__c", "PermissionsRead": True, "PermissionsCreate": True,
                         "PermissionsEdit": True}, fls(ps, "Partner_Commission__c.Period__c", edit=True))
    assert [r["success"] for r in results] == [True, True]
    new = sf.Partner_Commission__c.create({"Period__c": "2026-Q4", "CurrencyIsoCode": "EUR"})
    row = sf.Partner_Commission__c.get(new["id"])
    assert row["Name"] == "PC-000001" and row["Period__c"] == "2026-Q4"


def test_grants_are_checked_like_salesforce_does(sf: Salesforce, empty: SalesforceEmulator) -> None:
    field(sf, "Lead.Products__c", type="Text", length=255)
    ps = permission_set(sf, assign=False)
    refused = grant(sf, fls(ps, "Lead.Products__c", edit=True), fls(ps, "Lead.LastName", edit=True),
                    all_or_none=True)
    assert refused[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert refused[1]["errors"][0] == {"statusCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["Field"],
                                       "message": "Field Name: bad value for restricted picklist field: "
                                                  "Lead.LastName"}      # a required field: not permissionable
    assert sf.query(f"SELECT Id FROM FieldPermissions WHERE ParentId = '{ps}'")["totalSize"] == 0
    edit_only = {**fls(ps, "Lead.Products__c", edit=True), "PermissionsRead": False}
    assert grant(sf, edit_only)[0]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert grant(sf, fls(ps, "Lead.Products__c", edit=True))[0]["success"]
    assert grant(sf, fls(ps, "Lead.Products__c", edit=True))[0]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        grant(sf, *[fls(ps, "Lead.Products__c", edit=True)] * 201)
    assert error_of(exc)[0] == "EXCEEDED_ID_LIMIT"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.PermissionSet.create({"Name": "PRM_Sync", "Label": "Again"})
    assert error_of(exc)[0] == "DUPLICATE_DEVELOPER_NAME"


def test_missing_admin_permissions_are_refused(sf: Salesforce, empty: SalesforceEmulator) -> None:
    empty.setup.can_customize = False
    with pytest.raises(SalesforceRefusedRequest) as exc:
        field(sf, "Account.X__c", type="Text", length=10)
    assert error_of(exc)[0] == "INSUFFICIENT_ACCESS"
    empty.setup.can_manage_permissions = False
    with pytest.raises(SalesforceMalformedRequest) as exc2:
        sf.PermissionSet.create({"Name": "PRM_Sync", "Label": "PRM Sync"})
    assert error_of(exc2)[0] == "INSUFFICIENT_ACCESS_OR_READONLY"
    assert empty.setup.state()["fields"] == {} and empty.setup.state()["rows"]["PermissionSet"] == []


def test_lookups_need_a_unique_child_relationship_name(sf: Salesforce) -> None:
    field(sf, "Lead.Partner_Account__c", type="Lookup", referenceTo="Account", relationshipName="Partner_Leads")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        field(sf, "Opportunity.Partner_Account__c", type="Lookup", referenceTo="Account",
              relationshipName="Partner_Leads")
    assert error_of(exc) == ("DUPLICATE_DEVELOPER_NAME",
                             "There is already a Child Relationship named Partner_Leads on Account.")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        field(sf, "Opportunity.Partner_Account__c", type="Lookup", referenceTo="Nowhere__c", relationshipName="X")
    assert error_of(exc)[0] == "FIELD_INTEGRITY_EXCEPTION"


def test_the_default_emulator_keeps_full_access(sf_tls_dir: Path) -> None:
    with SalesforceEmulator(tls_dir=sf_tls_dir) as emulator:
        assert isinstance(emulator, SalesforceEmulator)
        sf = make_sf_client(emulator)
        assert "Partner_Tier__c" in [f["name"] for f in sf.Account.describe()["fields"]]
        field(sf, "Account.Extra__c", type="Number", precision=18, scale=0)
        assert sf.query("SELECT Id, Extra__c FROM Account")["totalSize"] == 0   # no grant needed
        assert sf.oauth2("userinfo")["user_id"] == INTEGRATION_USER_ID


def test_the_admin_api_turns_the_sandbox_into_an_untouched_org(sf_tls_dir: Path) -> None:
    import requests

    with SalesforceEmulator(tls_dir=sf_tls_dir) as emulator:
        assert isinstance(emulator, SalesforceEmulator)
        session = requests.Session()
        session.trust_env = False
        answer = session.post(f"{emulator.base_url}/__admin__/org", json={"empty": True},
                              verify=str(emulator.ca_path))
        assert answer.status_code == 200 and answer.json()["objects"] == ["Account", "Contact", "Lead", "Opportunity"]
        sf = make_sf_client(emulator)
        assert not [f["name"] for f in sf.Account.describe()["fields"] if f["name"].endswith("__c")]
        field(sf, "Account.PRM_Id__c", type="Text", length=36, externalId=True, unique=True)
        assert "PRM_Id__c" not in [f["name"] for f in sf.Account.describe()["fields"]]   # FLS applies
        emulator.reset_org()
        assert "Partner_Tier__c" in [f["name"] for f in sf.Account.describe()["fields"]]
