"""The daily API budget: Salesforce's `Sforce-Limit-Info` reading plus our own call count.

simple-salesforce parses `Sforce-Limit-Info: api-usage=N/M` into `sf.api_usage` after every REST
call, so the reading is free. Between readings (and for Bulk 2.0 calls, which do not update it)
our own count fills in. Checked BEFORE each call: a run stops cleanly with BudgetExhausted
instead of starving the company's other integrations; the next run resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prm_sync.connector import DailyBudget


@dataclass
class Budget(DailyBudget):
    """The shared daily budget, read from what simple-salesforce parsed of `Sforce-Limit-Info`."""

    crm_label: str = "Salesforce"

    def read(self, api_usage: Mapping[str, Any]) -> None:
        """Take the reading simple-salesforce parsed from the last response (`sf.api_usage`)."""
        usage = api_usage.get("api-usage") if api_usage else None
        if usage is None:
            return
        self.reading(used_today=int(usage.used), daily_limit=int(usage.total))
