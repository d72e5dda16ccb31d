"""MemCRM: a tiny CRM kept in a JSON file, with a prm-sync connector. Test-only: it shows that a
CRM package needs nothing of prm-sync but `prm_sync.connector` and two entry points
(`prm_sync.connectors`, `prm_sync.crms`, see ../memcrm-0.1.dist-info/entry_points.txt)."""

from __future__ import annotations

from typing import Any

from prm_sync.connector import Connector, RetryPolicy


def build(config: Any, *, retry: RetryPolicy | None = None) -> Connector:
    from memcrm.connector import MemConnector

    return MemConnector(config.crm.section("memcrm"), retry=retry or RetryPolicy(),
                        daily_api_budget=config.sync.daily_api_budget)
