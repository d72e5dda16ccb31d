"""The daily API budget: HubSpot's own `X-HubSpot-RateLimit-Daily*` headers and ours.

Checked BEFORE each call, so a run stops cleanly (BudgetExhausted) instead of starving the
company's other integrations. Every HTTP attempt counts, retries included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prm_sync.errors import BudgetExhausted
from prm_sync.sync.ports import ApiUsage


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Budget:
    configured: int | None = None     # sync.daily_api_budget
    calls: int = 0                    # attempts made by this connector
    daily_limit: int | None = None    # as HubSpot last reported it
    used_today: int | None = None     # as HubSpot last reported it (limit - remaining)
    _calls_at_reading: int = 0

    def estimated_used_today(self) -> int:
        """HubSpot's last reading plus our calls since, or our calls when HubSpot said nothing."""
        if self.used_today is None:
            return self.calls
        return self.used_today + (self.calls - self._calls_at_reading)

    def before_call(self) -> None:
        used = self.estimated_used_today()
        if self.configured is not None and used >= self.configured:
            raise BudgetExhausted(
                f"the daily API budget (sync.daily_api_budget = {self.configured}) is used up: "
                f"{used} HubSpot calls today; the next run resumes"
            )
        if self.daily_limit is not None and used >= self.daily_limit:
            raise BudgetExhausted(
                f"HubSpot's daily API limit ({self.daily_limit}) is used up; the next run resumes"
            )
        self.calls += 1

    def read_headers(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return
        limit = _int_header(headers, "X-HubSpot-RateLimit-Daily")
        remaining = _int_header(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if limit is None or remaining is None:
            return
        self.daily_limit = limit
        self.used_today = max(limit - remaining, 0)
        self._calls_at_reading = self.calls

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls, used_today=self.used_today, daily_limit=self.daily_limit)
