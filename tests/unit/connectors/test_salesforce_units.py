"""Salesforce connector pieces without HTTP: wire JSON, SOQL, describe, error classification, budget."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from connectors.salesforce.budget import Budget
from connectors.salesforce.describe import field_info
from connectors.salesforce.errors import SalesforceRequestError, classify
from connectors.salesforce.soql import BadSoqlName, changes_query, deletions_query, identifier, soql_datetime
from connectors.salesforce.wire import Unsendable, collection_body, csv_value, json_value
from prm_sync.connector import Cursor, TransientCrmError
from prm_sync.errors import BudgetExhausted, CrmUnavailable
from prm_sync.mapping import load_mapping

MAPPING = load_mapping(Path(__file__).resolve().parents[3] / "mappings" / "salesforce.yaml")
T = dt.datetime(2026, 11, 26, 21, 27, 33, 123000, tzinfo=dt.UTC)


# ----- wire -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["0.10", "1234567890123456.78", "-0.000001", "100", "99999999999999999.99"])
def test_decimal_goes_on_the_wire_with_its_exact_digits(text: str) -> None:
    body = collection_body([{"Amount__c": Decimal(text)}])
    assert f'"Amount__c":{text}' in body.decode()
    assert json.loads(body, parse_float=Decimal)["records"][0]["Amount__c"] == Decimal(text)


def test_exponent_decimals_are_written_plainly_and_nan_is_unsendable() -> None:
    assert json_value(Decimal("1E+2")) == "100" and json_value(Decimal("1.5E-3")) == "0.0015"
    for bad in (Decimal("NaN"), Decimal("Infinity"), float("nan"), object()):
        with pytest.raises(Unsendable):
            json_value(bad)


def test_hostile_strings_survive_the_json_body() -> None:
    names = ["O'Brien' OR Name != '", 'q " \\ \\\' end', "🚀 emoji", "שותף عربي ‏", "line\nbreak\x00"]
    body = collection_body([{"Name": n} for n in names], all_or_none=False)
    decoded = json.loads(body)
    assert decoded["allOrNone"] is False and [r["Name"] for r in decoded["records"]] == names


def test_bulk_csv_cells() -> None:
    assert [csv_value(v) for v in (None, True, Decimal("1.50"), 3, "x")] == ["#N/A", "true", "1.50", "3", "x"]


# ----- SOQL -------------------------------------------------------------------------------------
def test_changes_query_bounds_by_the_compound_cursor_exactly() -> None:
    soql = changes_query(MAPPING["partner"], Cursor(T, "0018d00009p57ZZAAY"), T + dt.timedelta(minutes=5))
    assert soql.startswith("SELECT Id, SystemModstamp, IsDeleted, Name, ")
    assert "FROM Account WHERE (Type = 'Partner') AND (SystemModstamp > 2026-11-26T21:27:33.123Z OR " \
           "(SystemModstamp = 2026-11-26T21:27:33.123Z AND Id >= '0018d00009p57ZZAAY'))" in soql
    assert soql.endswith("AND SystemModstamp <= 2026-11-26T21:32:33.123Z ORDER BY SystemModstamp, Id")


def test_changes_query_without_filter_or_cursor() -> None:
    soql = changes_query(MAPPING["commission"], None, T)
    assert "WHERE SystemModstamp <= 2026-11-26T21:27:33.123Z ORDER BY" in soql


def test_cursor_ids_are_quoted_by_format_soql() -> None:
    soql = changes_query(MAPPING["partner"], Cursor(T, "x' OR Name != '"), T)
    assert "Id >= 'x\\' OR Name != \\''" in soql


def test_deletions_query() -> None:
    assert deletions_query(MAPPING["partner"], T) == (
        "SELECT Id, SystemModstamp, PRM_Id__c FROM Account WHERE IsDeleted = true AND "
        "SystemModstamp >= 2026-11-26T21:27:33.123Z ORDER BY SystemModstamp, Id")


def test_names_must_be_identifiers_and_datetimes_aware() -> None:
    assert identifier("Partner_Account__r.Name") == "Partner_Account__r.Name"
    for bad in ("Name, (SELECT Id FROM Users)", "Name FROM User --", ""):
        with pytest.raises(BadSoqlName):
            identifier(bad)
    with pytest.raises(ValueError):
        soql_datetime(dt.datetime(2026, 1, 1))     # naive on purpose


# ----- describe ---------------------------------------------------------------------------------
def test_field_info_from_describe() -> None:
    info = field_info({
        "name": "Partner_Tier__c", "type": "picklist", "label": "Tier", "createable": True, "updateable": True,
        "nillable": True, "externalId": False, "idLookup": False, "unique": False, "defaultedOnCreate": False,
        "picklistValues": [{"value": "Gold", "active": True}, {"value": "Old", "active": False}],
        "referenceTo": [],
    })
    assert (info.kind, info.options, info.required, info.unique_key) == ("string", ("Gold",), False, False)
    key = field_info({"name": "PRM_Id__c", "type": "string", "externalId": True, "createable": True,
                      "nillable": True})
    assert key.unique_key
    name = field_info({"name": "Name", "type": "string", "createable": True, "nillable": False,
                       "defaultedOnCreate": False, "idLookup": True, "unique": False})
    assert name.required and not name.unique_key
    kinds = {t: field_info({"name": "F", "type": t}).kind for t in
             ("currency", "percent", "double", "int", "boolean", "date", "datetime", "email", "url", "reference",
              "textarea", "phone", "id")}
    assert kinds == {"currency": "decimal", "percent": "decimal", "double": "decimal", "int": "int",
                     "boolean": "bool", "date": "date", "datetime": "datetime", "email": "email", "url": "url",
                     "reference": "string", "textarea": "string", "phone": "string", "id": "string"}


# ----- errors -----------------------------------------------------------------------------------
def sdk_error(cls: type, status: int, code: str, message: str) -> Exception:
    return cls("https://x/services/data/v62.0/query", status, "query", [{"errorCode": code, "message": message}])


def test_classification() -> None:
    assert isinstance(classify(requests.ConnectionError("reset")), TransientCrmError)
    assert isinstance(classify(requests.Timeout("slow")), TransientCrmError)
    transient = classify(sdk_error(SalesforceGeneralError, 503, "SERVER_UNAVAILABLE", "down"))
    assert isinstance(transient, TransientCrmError) and transient.status == 503
    daily = sdk_error(SalesforceRefusedRequest, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    assert isinstance(classify(daily), BudgetExhausted)
    concurrent = sdk_error(SalesforceGeneralError, 429, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn")
    assert isinstance(classify(concurrent), TransientCrmError)
    assert isinstance(classify(sdk_error(SalesforceExpiredSession, 401, "INVALID_SESSION_ID", "x")), CrmUnavailable)
    assert isinstance(classify(sdk_error(SalesforceRefusedRequest, 403, "API_DISABLED_FOR_ORG", "x")), CrmUnavailable)
    bad = classify(sdk_error(SalesforceMalformedRequest, 400, "MALFORMED_QUERY", "unexpected token"))
    assert isinstance(bad, SalesforceRequestError) and "MALFORMED_QUERY: unexpected token" in str(bad)
    assert classify(ValueError("ours")) is None


# ----- budget -----------------------------------------------------------------------------------
def test_budget_uses_salesforce_reading_plus_our_calls_since() -> None:
    budget = Budget(configured=100)
    budget.count(2)
    budget.read({"api-usage": SimpleNamespace(used=95, total=1000)})
    budget.count(3)
    assert budget.estimated_used_today() == 98
    budget.check(2)
    with pytest.raises(BudgetExhausted, match="daily_api_budget"):
        budget.check(3)
    limited = Budget()
    limited.read({"api-usage": SimpleNamespace(used=1000, total=1000)})
    with pytest.raises(BudgetExhausted, match="Salesforce's daily API limit"):
        limited.before_call()
    assert limited.usage().daily_limit == 1000 and limited.usage().used_today == 1000
