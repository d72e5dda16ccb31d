"""One daily budget for every connector: a call may start while used + cost <= limit."""

from __future__ import annotations

import pytest

from connectors.hubspot.budget import Budget as HubSpotBudget
from connectors.salesforce.budget import Budget as SalesforceBudget
from prm_sync.connector import BudgetExhausted, DailyBudget


@pytest.mark.parametrize("make", [HubSpotBudget, SalesforceBudget, lambda **kw: DailyBudget("Test CRM", **kw)])
def test_the_last_call_within_the_budget_runs_and_the_next_one_stops(make) -> None:  # type: ignore[no-untyped-def]
    budget = make(configured=5)
    budget.count(4)
    budget.check(1)                      # 4 used + 1 = 5: still within
    with pytest.raises(BudgetExhausted, match="daily_api_budget"):
        budget.check(2)                  # 4 + 2 > 5: a two-call job would pass the budget
    budget.before_call()                 # the fifth call runs and is counted
    with pytest.raises(BudgetExhausted):
        budget.before_call()             # 5 used: the sixth does not start
    assert budget.usage().calls == 5


def test_the_crms_own_limit_counts_the_same_way() -> None:
    budget = HubSpotBudget()
    budget.read_headers({"X-HubSpot-RateLimit-Daily": "10", "X-HubSpot-RateLimit-Daily-Remaining": "1"})
    budget.check(1)
    with pytest.raises(BudgetExhausted, match="HubSpot's daily API limit"):
        budget.check(2)


def test_both_connectors_use_the_one_class() -> None:
    assert issubclass(HubSpotBudget, DailyBudget) and issubclass(SalesforceBudget, DailyBudget)


def test_both_connectors_refuse_floats_alike() -> None:
    """One float rule on the wire (they used to disagree: Salesforce sent repr(float), HubSpot refused)."""
    from connectors.hubspot.push import NotSendable, wire_value
    from connectors.salesforce.wire import Unsendable, csv_value, json_value
    from prm_sync.connector import float_refused

    for send, error in ((json_value, Unsendable), (csv_value, Unsendable), (wire_value, NotSendable)):
        with pytest.raises(error) as caught:
            send(0.1)
        assert str(caught.value) == float_refused(0.1)
