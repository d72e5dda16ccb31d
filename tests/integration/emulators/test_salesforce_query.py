"""SOQL query / queryAll through the real simple-salesforce against the emulator."""

from __future__ import annotations

import datetime as dt

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from simple_salesforce.format import format_soql

from connectors.salesforce.emulator import SalesforceEmulator

T0 = dt.datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _bulk_accounts(sf: Salesforce, count: int, prefix: str = "acct") -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"{prefix} {i}",
                    "PRM_Id__c": f"{prefix}-{i}"} for i in range(start, min(start + 200, count))]
        result = sf.restful("composite/sobjects", method="POST",
                            json={"allOrNone": True, "records": records})
        ids.extend(r["id"] for r in result)
    return ids


def test_paging_past_three_pages_with_small_page_size(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.page_size = 200
    _bulk_accounts(sf, 750)
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert first["totalSize"] == 750 and not first["done"] and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/")
    everything = sf.query_all("SELECT Id, Name FROM Account")
    assert len(everything["records"]) == 750
    assert len({r["Id"] for r in everything["records"]}) == 750
    assert sf_emulator.calls("query/{cursor}") >= 3


def test_batch_size_header_is_clamped_and_honoured(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    _bulk_accounts(sf, 450)
    sf.headers["Sforce-Query-Options"] = "batchSize=300"
    page = sf.query("SELECT Id FROM Account")
    assert len(page["records"]) == 300
    sf.headers["Sforce-Query-Options"] = "batchSize=5"
    assert len(sf.query("SELECT Id FROM Account")["records"]) == 200


def test_default_page_is_2000_rows(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf_emulator.generate(2100, seed=3)
    page = sf.query("SELECT Id FROM Account")
    assert len(page["records"]) == 2000 and page["totalSize"] == 2100
    rest = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 100 and rest["done"]


def test_deleted_rows_only_in_query_all(sf: Salesforce) -> None:
    ids = _bulk_accounts(sf, 3)
    sf.Account.delete(ids[0])
    live = sf.query("SELECT Id FROM Account")
    assert {r["Id"] for r in live["records"]} == set(ids[1:])
    with_deleted = sf.query_all("SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true",
                                include_deleted=True)
    assert [r["Id"] for r in with_deleted["records"]] == [ids[0]]
    assert with_deleted["records"][0]["IsDeleted"] is True


def test_one_modstamp_per_dml_call_and_noop_update_bumps_it(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    clock = FakeClock()
    sf_emulator.clock = clock
    _bulk_accounts(sf, 5)
    rows = sf.query("SELECT Id, Name, SystemModstamp, CreatedDate FROM Account")["records"]
    assert {r["SystemModstamp"] for r in rows} == {"2025-03-01T12:00:00.123+0000"}
    clock.advance(1.5)
    sf.Account.update(rows[0]["Id"], {"Name": rows[0]["Name"]})
    again = sf.Account.get(rows[0]["Id"])
    assert again["SystemModstamp"] == "2025-03-01T12:00:01.623+0000"
    assert again["CreatedDate"] == "2025-03-01T12:00:00.123+0000"


def test_datetime_literal_forms_and_keyset_cursor(
        sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    clock = FakeClock()
    sf_emulator.clock = clock
    _bulk_accounts(sf, 3, "old")
    clock.advance(60)
    _bulk_accounts(sf, 2, "new")
    for literal in ("2025-03-01T12:00:30Z", "2025-03-01T12:00:30.000Z",
                    "2025-03-01T12:00:30+00:00", "2025-03-01T13:00:30+01:00"):
        rows = sf.query(f"SELECT Id FROM Account WHERE SystemModstamp >= {literal}")["records"]
        assert len(rows) == 2, literal
    since = dt.datetime(2025, 3, 1, 12, 0, 30, tzinfo=dt.UTC)
    soql = format_soql("SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= {} "
                       "ORDER BY SystemModstamp ASC, Id ASC", since)
    rows = sf.query(soql)["records"]
    assert [r["Id"] for r in rows] == sorted(r["Id"] for r in rows)


def test_quoted_datetime_is_invalid_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Account WHERE SystemModstamp >= '2024-01-01T00:00:00Z'")
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "must be of type dateTime" in info.value.content[0]["message"]


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id FROM", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'x' AND", "MALFORMED_QUERY"),
    ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
    ("SELECT Id FROM Account WHERE Partner_Since__c = '2024-01-01'", "INVALID_FIELD"),
])
def test_query_errors(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(soql)
    assert info.value.content[0]["errorCode"] == code


def test_where_operators_escapes_order_and_limit(sf: Salesforce) -> None:
    names = ["O'Brien & Co", "back\\slash", "Alpha", "alpha two", "Beta", "50% off_sale"]
    for i, name in enumerate(names):
        tier = ["Gold", "Silver", None][i % 3]
        sf.Account.create({"Name": name, "PRM_Id__c": f"p{i}", "Partner_Tier__c": tier,
                           "Partner_Since__c": f"2024-0{i + 1}-01"})

    def names_of(soql: str) -> list[str]:
        return [r["Name"] for r in sf.query_all(soql)["records"]]

    assert names_of(format_soql("SELECT Name FROM Account WHERE Name = {}", names[0])) == \
        [names[0]]
    assert names_of(format_soql("SELECT Name FROM Account WHERE Name = {}", names[1])) == \
        [names[1]]
    assert names_of("SELECT Name FROM Account WHERE Name = 'ALPHA'") == ["Alpha"]
    assert names_of("SELECT Name FROM Account WHERE Name LIKE 'alpha%' ORDER BY Name DESC") \
        == ["alpha two", "Alpha"]
    assert names_of(format_soql("SELECT Name FROM Account WHERE Name LIKE '{:like}%'",
                                "50% off_")) == ["50% off_sale"]
    assert names_of("SELECT Name FROM Account WHERE Partner_Tier__c IN ('Gold') "
                    "ORDER BY Name") == ["alpha two", "O'Brien & Co"]
    assert len(names_of("SELECT Name FROM Account WHERE Partner_Tier__c NOT IN ('Gold')")) == 4
    assert len(names_of("SELECT Name FROM Account WHERE Partner_Tier__c = null")) == 2
    assert names_of("SELECT Name FROM Account WHERE (Partner_Tier__c = 'Silver' OR "
                    "Partner_Since__c <= 2024-01-01) AND NOT Name = 'Beta' ORDER BY Name") \
        == ["back\\slash", "O'Brien & Co"]
    ordered = names_of("SELECT Name FROM Account ORDER BY Partner_Tier__c ASC NULLS LAST, "
                       "Name DESC LIMIT 3")
    assert ordered == ["O'Brien & Co", "alpha two", "Beta"]
    assert sf.query("SELECT COUNT() FROM Account WHERE Partner_Since__c > 2024-02-01")[
        "totalSize"] == 4


def test_relationship_field_and_lead_partner_lookup(sf: Salesforce) -> None:
    partner = sf.Account.create({"Name": "Partner", "PRM_Id__c": "prm-1"})["id"]
    sf.Lead.create({"LastName": "Lee", "Company": "Acme", "Partner_Account__c": partner})
    sf.Lead.create({"LastName": "Solo", "Company": "Acme"})
    rows = sf.query("SELECT LastName, Partner_Account__r.PRM_Id__c FROM Lead "
                    "ORDER BY LastName")["records"]
    assert rows[0]["Partner_Account__r"]["PRM_Id__c"] == "prm-1"
    assert rows[1]["Partner_Account__r"] is None
    filtered = sf.query("SELECT LastName FROM Lead WHERE Partner_Account__r.PRM_Id__c = "
                        "'prm-1'")["records"]
    assert [r["LastName"] for r in filtered] == ["Lee"]
