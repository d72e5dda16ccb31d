"""HubSpot connector (private-app token), found through the `prm_sync.connectors` entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prm_sync.connector import Config, Connector, RetryPolicy


def build(config: Config, *, retry: RetryPolicy | None = None) -> Connector:
    """The connector for `config.crm.hubspot`; the SDK client is made here, nothing is called."""
    from connectors.hubspot.connector import HubSpotConnector

    settings = config.crm.section("hubspot")
    if settings is None:
        raise ValueError("crm.hubspot is not configured")
    return HubSpotConnector(settings, policy=retry, daily_api_budget=config.sync.daily_api_budget)
