"""One hubspot-api-client SDK client per connector, its API objects fetched once, and the call wrapper.

Facts this relies on (SDK_FACTS): ``HubSpot(host=...)`` points every generated API at the base
URL; ``client.crm.x.y_api`` builds a new ApiClient and pool on each access, so each API object
is fetched once here; ``retry=Retry(0)`` turns urllib3's own retries off so the tenacity policy
is the only retry layer. Calls use ``*_with_http_info(..., _preload_content=False)``: the SDK
builds, authenticates and sends the request and raises its ApiException on errors, and we get
the raw answer, whose headers carry the daily budget and whose JSON we read as sent (the SDK's
models would drop a 207's shape and parse values).

Timeouts: every call passes ``_request_timeout=(connect, read)`` (urllib3's per-request timeout)
from the connector config, cut to what is left of the run's deadline (prm_sync.connector.deadline).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import urllib3
from hubspot import HubSpot

from connectors.hubspot.budget import Budget
from connectors.hubspot.errors import classify
from connectors.hubspot.settings import HubSpotSettings
from connectors.transport_errors import Endpoint
from prm_sync.connector import CrmUnavailable, RetryPolicy, TransientCrmError, call_timeouts


class HubSpotClient:
    def __init__(self, settings: HubSpotSettings, policy: RetryPolicy, budget: Budget) -> None:
        options: dict[str, Any] = {}
        if settings.ca_bundle:
            options["ssl_ca_cert"] = settings.ca_bundle
        self.sdk = HubSpot(access_token=settings.access_token, host=settings.base_url.rstrip("/"),
                           retry=urllib3.util.Retry(0), **options)
        self.policy = policy
        self.budget = budget
        self.timeouts = (settings.connect_timeout_seconds, settings.read_timeout_seconds)
        self.endpoint = Endpoint("HubSpot", settings.base_url, settings.ca_bundle, "crm.hubspot.ca_bundle")
        crm = self.sdk.crm
        self.basic_api = crm.objects.basic_api
        self.batch_api = crm.objects.batch_api
        self.search_api = crm.objects.search_api
        self.associations_api = crm.associations.v4.batch_api
        self.properties_api = crm.properties.core_api
        self.schemas_api = crm.schemas.core_api
        # `crm setup` only (connectors/hubspot/setup.py)
        self.groups_api = crm.properties.groups_api
        self.properties_batch_api = crm.properties.batch_api
        self.pipelines_api = crm.pipelines.pipelines_api
        self.pipeline_stages_api = crm.pipelines.pipeline_stages_api

    def call(self, invoke: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one SDK ``*_with_http_info`` method under the retry policy; the parsed JSON answer.

        Raises TransientCrmError-turned-CrmUnavailable after the last attempt, BudgetExhausted,
        CrmUnavailable (auth) or HubSpotRequestError (other 4xx), never an SDK exception.
        """

        def attempt() -> Any:
            self.budget.before_call()
            try:
                response = invoke(*args, _preload_content=False, _request_timeout=call_timeouts(*self.timeouts),
                                  **kwargs)
                data = response.data
            except Exception as exc:
                self.budget.read_headers(getattr(exc, "headers", None))
                mapped = classify(exc, self.endpoint)
                if mapped is exc:
                    raise
                raise mapped from exc
            self.budget.read_headers(response.headers)
            return json.loads(data) if data else None

        try:
            return self.policy.call(attempt)
        except TransientCrmError as exc:
            raise CrmUnavailable(
                f"HubSpot is unavailable after {self.policy.attempts} attempts: {exc}"
            ) from exc

    def close(self) -> None:
        for api in (self.basic_api, self.batch_api, self.search_api, self.associations_api,
                    self.properties_api, self.schemas_api, self.groups_api, self.properties_batch_api,
                    self.pipelines_api, self.pipeline_stages_api):
            pool = getattr(getattr(api.api_client, "rest_client", None), "pool_manager", None)
            if pool is not None:
                pool.clear()
