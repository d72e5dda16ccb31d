"""Salesforce connector (simple-salesforce): REST queryAll, sObject Collections, Bulk API 2.0.

Found by prm-sync through the entry point `prm_sync.connectors: salesforce`. Nothing connects at
import or build time: the first call logs in (or uses the configured session id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prm_sync.connector import ConfigError, Problem

if TYPE_CHECKING:  # config validation loads this package (its settings): keep tenacity out of it
    from connectors.salesforce.connector import SalesforceConnector
    from prm_sync.connector import Config, RetryPolicy

__all__ = ["build"]


def build(config: Config, *, retry: RetryPolicy | None = None, bulk_wait_s: float = 1.0) -> SalesforceConnector:
    """A connector from `crm.salesforce` and `sync.daily_api_budget`; `bulk_wait_s` is how long Bulk
    API 2.0 jobs wait before the first status poll."""
    from connectors.salesforce.budget import Budget
    from connectors.salesforce.client import SalesforceClient
    from connectors.salesforce.connector import SalesforceConnector
    from prm_sync.connector import RetryPolicy

    settings = config.crm.section("salesforce")
    if settings is None:
        raise ConfigError([Problem(config.source, None, "crm.salesforce", "the Salesforce section is missing")])
    budget = Budget(configured=config.sync.daily_api_budget)
    client = SalesforceClient(settings, budget, retry or RetryPolicy())
    return SalesforceConnector(client, bulk_threshold=settings.bulk_threshold, bulk_wait_s=bulk_wait_s,
                               bulk_query_threshold=settings.bulk_query_threshold)
