"""The daily API budget: the one class both connectors count their calls with.

Checked BEFORE each call, so a run stops cleanly (BudgetExhausted) instead of starving the
company's other integrations; the next run resumes. Every HTTP attempt counts, retries included.
Between the CRM's own readings (response headers), our own count fills in.

The rule: a call of `cost` calls may start while `used + cost <= limit`; `used + cost > limit`
stops. With the common cost of 1 this is `used >= limit`; a Bulk API job costing several calls is
refused when it would pass the limit, not only once the limit is already reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from prm_sync.connector.types import ApiUsage
from prm_sync.errors import BudgetExhausted


@dataclass
class DailyBudget:
    crm_label: str                    # "Salesforce", "HubSpot": how the messages name the CRM
    configured: int | None = None     # sync.daily_api_budget
    calls: int = 0                    # HTTP calls made by this connector (retries and logins included)
    daily_limit: int | None = None    # as the CRM last reported it
    used_today: int | None = None     # as the CRM last reported it
    _calls_at_reading: int = 0

    def estimated_used_today(self) -> int:
        """The CRM's last reading plus our calls since, or our own calls before any reading."""
        if self.used_today is None:
            return self.calls
        return self.used_today + (self.calls - self._calls_at_reading)

    def check(self, cost: int = 1) -> None:
        """Raise BudgetExhausted if `cost` more calls would pass our budget or the CRM's limit."""
        used = self.estimated_used_today()
        if self.configured is not None and used + cost > self.configured:
            raise BudgetExhausted(
                f"the daily API budget (sync.daily_api_budget = {self.configured}) is used up: "
                f"{used} {self.crm_label} calls today; the next run resumes"
            )
        if self.daily_limit is not None and used + cost > self.daily_limit:
            raise BudgetExhausted(
                f"{self.crm_label}'s daily API limit ({self.daily_limit}) is used up; the next run resumes"
            )

    def count(self, calls: int = 1) -> None:
        self.calls += calls

    def before_call(self, cost: int = 1) -> None:
        """Check, then count the call (a connector that counts each attempt as it starts)."""
        self.check(cost)
        self.count(cost)

    def reading(self, used_today: int, daily_limit: int) -> None:
        """The CRM's own figures, as its last response told them."""
        self.used_today = max(used_today, 0)
        self.daily_limit = daily_limit
        self._calls_at_reading = self.calls

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls, used_today=self.used_today, daily_limit=self.daily_limit)
