"""HubSpot connector pieces without HTTP: wire values, error classification, budget, cursors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import urllib3

from connectors.hubspot.budget import Budget
from connectors.hubspot.errors import HubSpotRequestError, classify
from connectors.hubspot.pull import cursor_id, parse_cursor_id, to_ms
from connectors.hubspot.push import NotSendable, wire_value
from prm_sync.connector import Cursor, TransientCrmError
from prm_sync.errors import BudgetExhausted, CrmUnavailable


class FakeApiError(Exception):
    """Shaped like any generated package's ApiException: status, body, headers."""

    def __init__(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@pytest.mark.parametrize(("value", "wire"), [
    (None, ""), (True, "true"), (False, "false"), (7, "7"), ("O'Brien", "O'Brien"),
    (Decimal("12345678901234567890.000001"), "12345678901234567890.000001"), (Decimal("1E+2"), "100"),
    (dt.date(2026, 1, 2), "2026-01-02"),
    (dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC), "2026-01-02T03:04:05.678Z"),
])
def test_wire_values_are_exact_text(value, wire):
    assert wire_value(value) == wire


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), [1], {"a": 1}])
def test_values_that_cannot_be_sent_exactly(value):
    with pytest.raises(NotSendable):
        wire_value(value)


def test_classification_by_status_not_class():
    limited = classify(FakeApiError(429, '{"message": "slow down", "policyName": "TEN_SECONDLY_ROLLING"}',
                                    {"Retry-After": "3"}))
    assert isinstance(limited, TransientCrmError) and limited.retry_after == 3.0 and limited.status == 429
    assert isinstance(classify(FakeApiError(429, '{"policyName": "DAILY"}')), BudgetExhausted)
    assert isinstance(classify(FakeApiError(502, "<html>")), TransientCrmError)
    refused = classify(FakeApiError(401, '{"message": "Authentication credentials not found."}'))
    assert isinstance(refused, CrmUnavailable) and "401" in str(refused)
    invalid = classify(FakeApiError(400, '{"message": "Property values were not valid"}'))
    assert isinstance(invalid, HubSpotRequestError) and str(invalid) == "Property values were not valid"
    dropped = urllib3.exceptions.ProtocolError("Connection aborted.")
    assert isinstance(classify(dropped), TransientCrmError)
    assert isinstance(classify(TimeoutError()), TransientCrmError)
    other = ValueError("a bug")
    assert classify(other) is other


def test_budget_counts_our_calls_and_hubspots_reading():
    budget = Budget(configured=3)
    for _ in range(3):
        budget.before_call()
    with pytest.raises(BudgetExhausted, match="daily_api_budget"):
        budget.before_call()
    hubspot = Budget()
    hubspot.before_call()
    hubspot.read_headers({"X-HubSpot-RateLimit-Daily": "10", "X-HubSpot-RateLimit-Daily-Remaining": "8"})
    hubspot.before_call()
    assert hubspot.estimated_used_today() == 3 and hubspot.usage().daily_limit == 10
    hubspot.read_headers({"X-HubSpot-RateLimit-Daily": "10", "X-HubSpot-RateLimit-Daily-Remaining": "0"})
    with pytest.raises(BudgetExhausted, match="HubSpot's daily API limit"):
        hubspot.before_call()


def test_cursor_ids_order_like_numbers():
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert Cursor(stamp, cursor_id(999)) < Cursor(stamp, cursor_id(1000))
    assert parse_cursor_id(cursor_id(1234)) == parse_cursor_id("1234") == 1234
    assert parse_cursor_id("") == 0


def test_milliseconds_round_the_right_way():
    moment = dt.datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=dt.UTC)
    assert to_ms(moment) + 1 == to_ms(moment, ceil=True)
    assert to_ms(moment.replace(microsecond=2000)) == to_ms(moment.replace(microsecond=2000), ceil=True)
