"""The `crm.hubspot` section of config.yaml, and HubSpot's registration with prm-sync."""

from __future__ import annotations

from connectors.hubspot.filters import MAX_FILTERS_HINT, MAX_MAPPING_FILTERS, HubSpotFilter
from prm_sync.connector import CrmPlugin, CrmTimeouts, SecretField, SecureUrl


class HubSpotSettings(CrmTimeouts):
    access_token: str = SecretField()
    base_url: SecureUrl = "https://api.hubapi.com"
    ca_bundle: str | None = None


INIT_CONFIG = """\
# Secrets come from the environment: export HUBSPOT_ACCESS_TOKEN=... (a private-app token).
crm:
  type: hubspot
  hubspot:
    access_token: "${HUBSPOT_ACCESS_TOKEN}"
    base_url: "${HUBSPOT_BASE_URL:-https://api.hubapi.com}"
"""

PLUGIN = CrmPlugin(name="hubspot", label="HubSpot", settings=HubSpotSettings, filter_is_text=False,
                   filter_hint="a HubSpot filter is a list of {property, operator, value}", associations=True,
                   filter_model=HubSpotFilter, filter_max_items=MAX_MAPPING_FILTERS,
                   filter_max_hint=MAX_FILTERS_HINT, names_any_case=False,
                   init_config=INIT_CONFIG, unique_key_hint="give the property 'unique values' (HubSpot)")
