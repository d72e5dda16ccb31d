"""Compound address fields (Account.BillingAddress) as Salesforce serves them.

Salesforce: a compound field is read-only, its describe type is `address`, each of its parts names
it in `compoundFieldName`; REST queries return it as one structure built from the parts (null
when every part is null), and Bulk API queries refuse it ("FUNCTIONALITY_NOT_ENABLED: Selecting
compound data not supported in Bulk Query").
"""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from connectors.salesforce.emulator import SalesforceEmulator

PARTS = ("BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "BillingCountryCode")


def test_describe_names_the_compound_field_and_its_parts(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    compound = fields["BillingAddress"]
    assert compound["type"] == "address"
    assert (compound["createable"], compound["updateable"]) == (False, False)
    assert all(fields[name]["compoundFieldName"] == "BillingAddress" for name in PARTS)
    assert fields["Name"]["compoundFieldName"] is None


def test_rest_query_returns_the_address_as_one_structure(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf.Account.create({"Name": "Müller & Söhne GmbH", "BillingStreet": "Königstraße 1", "BillingCity": "München",
                       "BillingPostalCode": "80331", "BillingCountryCode": "DE"})
    sf.Account.create({"Name": "No address"})
    rows = sf.query("SELECT Name, BillingAddress, BillingCity FROM Account ORDER BY Name")["records"]
    assert rows[0]["BillingAddress"] == {
        "city": "München", "country": None, "countryCode": "DE", "geocodeAccuracy": None, "latitude": None,
        "longitude": None, "postalCode": "80331", "state": None, "stateCode": None, "street": "Königstraße 1"}
    assert rows[0]["BillingCity"] == "München"
    assert rows[1]["BillingAddress"] is None


def test_the_compound_field_cannot_be_written(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Account.create({"Name": "x", "BillingAddress": {"city": "Paris"}})
    assert "BillingAddress" in str(refused.value.content)


def test_bulk_query_refuses_compound_fields(sf: Salesforce) -> None:
    body = '{"operation": "queryAll", "query": "SELECT Id, BillingAddress FROM Account", "contentType": "CSV"}'
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("jobs/query", method="POST", data=body)
    assert "FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query" in str(
        refused.value.content)


@pytest.mark.parametrize("soql", ["SELECT Id FROM Account WHERE BillingAddress = null",
                                  "SELECT Id FROM Account ORDER BY BillingAddress"])
def test_a_compound_field_is_neither_filtered_nor_sorted(sf: Salesforce, soql: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query(soql)
    assert "BillingAddress" in str(refused.value.content) and "INVALID_FIELD" in str(refused.value.content)
