"""The daily API budget: HubSpot's own `X-HubSpot-RateLimit-Daily*` headers and ours.

Checked BEFORE each call, so a run stops cleanly (BudgetExhausted) instead of starving the
company's other integrations. Every HTTP attempt counts, retries included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prm_sync.connector import DailyBudget


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Budget(DailyBudget):
    """The shared daily budget, read from HubSpot's `X-HubSpot-RateLimit-Daily*` headers."""

    crm_label: str = "HubSpot"

    def read_headers(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return
        limit = _int_header(headers, "X-HubSpot-RateLimit-Daily")
        remaining = _int_header(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if limit is None or remaining is None:
            return
        self.reading(used_today=limit - remaining, daily_limit=limit)
