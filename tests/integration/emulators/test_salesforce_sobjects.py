"""sObject rows, upsert by external id, describe, limits and error shapes via simple-salesforce."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce.emulator import SalesforceEmulator, default_schema
from connectors.salesforce.emulator.values import id_suffix, is_valid_id
from tests.integration.emulators.sf_fixtures import make_sf_client


def test_create_get_update_delete(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Acme", "Type": "Partner", "PRM_Id__c": "a-1",
                                 "Partner_Since__c": "2024-05-01"})
    assert created["success"] is True and created["errors"] == []
    record_id = created["id"]
    assert record_id.startswith("001") and len(record_id) == 18 and is_valid_id(record_id)
    assert record_id[15:] == id_suffix(record_id[:15])
    row = sf.Account.get(record_id)
    assert row["Name"] == "Acme" and row["Partner_Since__c"] == "2024-05-01"
    assert row["SystemModstamp"].endswith("+0000") and row["IsDeleted"] is False
    assert sf.Account.update(record_id, {"Partner_Tier__c": "Gold"}) == 204
    assert sf.Account.get(record_id)["Partner_Tier__c"] == "Gold"
    assert sf.Account.get(record_id[:15])["Id"] == record_id
    assert sf.Account.delete(record_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Account.get(record_id)
    assert info.value.content[0]["errorCode"] == "NOT_FOUND"


def test_key_prefixes(sf: Salesforce) -> None:
    account = sf.Account.create({"Name": "P"})["id"]
    lead = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    opp = sf.Opportunity.create({"Name": "O", "StageName": "Closed Won",
                                 "CloseDate": "2025-01-31"})["id"]
    commission = sf.Partner_Commission__c.create({"PRM_Id__c": "c-1", "Amount__c": 12.5})["id"]
    assert (account[:3], lead[:3], opp[:3], commission[:3]) == ("001", "00Q", "006", "a0X")
    assert sf.Lead.get(lead)["Status"] == "Open - Not Contacted"
    opp_row = sf.Opportunity.get(opp)
    assert opp_row["IsWon"] is True and opp_row["IsClosed"] is True
    assert sf.Partner_Commission__c.get(commission)["Name"] == "PC-000001"


def test_upsert_by_external_id_statuses(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    assert sf.Account.upsert("PRM_Id__c/ext-1", {"Name": "First"}) == 201
    assert sf.Account.upsert("PRM_Id__c/ext-1", {"Name": "Second"}) == 200
    raw = sf.session.patch(f"{sf.base_url}sobjects/Account/PRM_Id__c/ext-1",
                           json={"Name": "Third"}, headers=sf.headers)
    assert raw.status_code == 200
    assert raw.json()["created"] is False and raw.json()["success"] is True
    found = sf.Account.get_by_custom_id("PRM_Id__c", "ext-1")
    assert found["Name"] == "Third"
    gone = sf.session.delete(f"{sf.base_url}sobjects/Account/PRM_Id__c/ext-1", headers=sf.headers)
    assert gone.status_code == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id("PRM_Id__c", "ext-1")


def test_upsert_with_several_matches_answers_300(sf_tls_dir: Path) -> None:
    schema = default_schema()
    schema.set_flags("Account", "PRM_Id__c", unique=False)
    with SalesforceEmulator(schema, tls_dir=sf_tls_dir) as emulator:
        sf = make_sf_client(emulator)
        sf.Account.create({"Name": "A", "PRM_Id__c": "dup"})
        sf.Account.create({"Name": "B", "PRM_Id__c": "dup"})
        with pytest.raises(SalesforceMoreThanOneRecord) as info:
            sf.Account.upsert("PRM_Id__c/dup", {"Name": "C"})
        assert len(info.value.content) == 2
        assert all(url.startswith("/services/data/v62.0/sobjects/Account/001")
                   for url in info.value.content)


@pytest.mark.parametrize("payload, code", [
    ({"Name": "x", "Nope__c": 1}, "INVALID_FIELD"),
    ({"Type": "Partner"}, "REQUIRED_FIELD_MISSING"),
    ({"Name": "x", "Partner_Tier__c": "Diamond"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
    ({"Name": "x", "Partner_Since__c": "2024-13-45"}, "JSON_PARSER_ERROR"),
    ({"Name": "x", "IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ({"Name": "x" * 256}, "STRING_TOO_LONG"),
    ({"Name": "x", "Channel_Manager_Email__c": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
])
def test_create_error_shapes(sf: Salesforce, payload: dict[str, object], code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Account.create(payload)
    error = info.value.content[0]
    assert error["errorCode"] == code and error["message"]


def test_duplicate_value(sf: Salesforce) -> None:
    first = sf.Account.create({"Name": "a", "PRM_Id__c": "same"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Account.create({"Name": "b", "PRM_Id__c": "SAME"})
    assert info.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    assert first in info.value.content[0]["message"]


def test_schema_is_configurable(sf_tls_dir: Path) -> None:
    schema = default_schema()
    schema.remove_field("Account", "Partner_Tier__c")
    schema.set_picklist("Lead", "LeadSource", ["Web"], restricted=True)
    with SalesforceEmulator(schema, tls_dir=sf_tls_dir) as emulator:
        sf = make_sf_client(emulator)
        names = {f["name"] for f in sf.Account.describe()["fields"]}
        assert "Partner_Tier__c" not in names and "PRM_Id__c" in names
        with pytest.raises(SalesforceMalformedRequest) as info:
            sf.Lead.create({"LastName": "x", "Company": "y", "LeadSource": "Partner Referral"})
        assert info.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_describe_and_describe_global(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Account", "Lead", "Opportunity", "Partner_Commission__c"} <= names
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    prm = fields["PRM_Id__c"]
    assert prm["externalId"] and prm["unique"] and prm["idLookup"] and prm["length"] == 36
    status = fields["Status"]
    assert status["defaultedOnCreate"] and {"value": "Open - Not Contacted", "label":
                                            "Open - Not Contacted", "active": True,
                                            "validFor": None, "defaultValue": True} \
        in status["picklistValues"]
    assert fields["Partner_Account__c"]["referenceTo"] == ["Account"]
    assert fields["IsConverted"]["createable"] is False
    for key in ("name", "type", "label", "length", "nillable", "createable", "updateable",
                "externalId", "unique", "idLookup", "calculated", "defaultedOnCreate",
                "picklistValues", "referenceTo"):
        assert key in prm


def test_limits_usage_header_and_daily_limit(sf: Salesforce,
                                             sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.daily_api_limit = 5
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 5
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 5, "Remaining": 3}
    for _ in range(3):
        sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT Id FROM Account")
    assert info.value.content == [{"message": "TotalRequests Limit exceeded.",
                                   "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_rate_limit(sf_tls_dir: Path) -> None:
    with SalesforceEmulator(tls_dir=sf_tls_dir, rate_limit=(2, 60.0)) as emulator:
        sf = make_sf_client(emulator)
        sf.query("SELECT Id FROM Account")
        sf.query("SELECT Id FROM Account")
        with pytest.raises(SalesforceRefusedRequest) as info:
            sf.query("SELECT Id FROM Account")
        assert info.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_updated_and_deleted_endpoints(sf: Salesforce) -> None:
    keep = sf.Account.create({"Name": "keep"})["id"]
    gone = sf.Account.create({"Name": "gone"})["id"]
    sf.Account.delete(gone)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert keep in sf.Account.updated(start, end)["ids"]
    assert [d["id"] for d in sf.Account.deleted(start, end)["deletedRecords"]] == [gone]
