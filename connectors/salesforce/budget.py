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

from prm_sync.errors import BudgetExhausted
from prm_sync.sync.ports import ApiUsage


@dataclass
class Budget:
    configured: int | None = None     # sync.daily_api_budget
    calls: int = 0                    # HTTP calls made by this connector (retries and logins included)
    daily_limit: int | None = None    # as Salesforce last reported it
    used_today: int | None = None     # as Salesforce last reported it
    _calls_at_reading: int = 0

    def estimated_used_today(self) -> int:
        """Salesforce's last reading plus our calls since, or our own calls before any reading."""
        if self.used_today is None:
            return self.calls
        return self.used_today + (self.calls - self._calls_at_reading)

    def before_call(self, cost: int = 1) -> None:
        """Raise BudgetExhausted if `cost` more calls would pass our budget or Salesforce's limit."""
        used = self.estimated_used_today()
        if self.configured is not None and used + cost > self.configured:
            raise BudgetExhausted(
                f"the daily API budget (sync.daily_api_budget = {self.configured}) would be passed: "
                f"{used} Salesforce calls used today; the next run resumes"
            )
        if self.daily_limit is not None and used + cost > self.daily_limit:
            raise BudgetExhausted(
                f"Salesforce's daily API limit ({self.daily_limit}) would be passed; the next run resumes"
            )

    def count(self, calls: int = 1) -> None:
        self.calls += calls

    def read(self, api_usage: Mapping[str, Any]) -> None:
        """Take the reading simple-salesforce parsed from the last response (`sf.api_usage`)."""
        usage = api_usage.get("api-usage") if api_usage else None
        if usage is None:
            return
        self.used_today = int(usage.used)
        self.daily_limit = int(usage.total)
        self._calls_at_reading = self.calls

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls, used_today=self.used_today, daily_limit=self.daily_limit)
