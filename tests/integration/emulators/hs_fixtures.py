"""Shared helpers for the HubSpot emulator tests: a running emulator plus a real SDK client.

The SDK builds a new ApiClient on every ``client.crm.x.y_api`` access, so the harness fetches
each API object once and keeps it. ``retry=Retry(0)``: tests must see 429s, not urllib3's
silent retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
import urllib3
from hubspot import HubSpot

from connectors.hubspot.emulator import HubSpotEmulator, RateLimits
from tests.integration.connectors.harnesses import START, Clock

TOKEN = "test-token"
ManualClock = Clock  # a clock the test moves by hand


@dataclass
class Hub:
    emu: HubSpotEmulator
    clock: ManualClock
    url: str
    http: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(retries=False))

    @cached_property
    def client(self) -> HubSpot:
        return HubSpot(access_token=TOKEN, host=self.url, retry=urllib3.util.Retry(0))

    @cached_property
    def companies(self) -> Any:
        return self.client.crm.companies

    @cached_property
    def c_basic(self) -> Any:
        return self.companies.basic_api

    @cached_property
    def c_batch(self) -> Any:
        return self.companies.batch_api

    @cached_property
    def c_search(self) -> Any:
        return self.companies.search_api

    @cached_property
    def objects(self) -> Any:
        return self.client.crm.objects

    @cached_property
    def o_basic(self) -> Any:
        return self.objects.basic_api

    @cached_property
    def o_batch(self) -> Any:
        return self.objects.batch_api

    @cached_property
    def o_search(self) -> Any:
        return self.objects.search_api

    @cached_property
    def assoc(self) -> Any:
        return self.client.crm.associations.v4.batch_api

    @cached_property
    def properties(self) -> Any:
        return self.client.crm.properties.core_api

    @cached_property
    def schemas(self) -> Any:
        return self.client.crm.schemas.core_api

    def raw(self, method: str, path: str, body: Any = None, token: str | None = TOKEN
            ) -> urllib3.BaseHTTPResponse:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        return self.http.request(method, self.url + path, body=data, headers=headers)


@contextmanager
def running_hub(**options: Any) -> Iterator[Hub]:
    clock = options.pop("clock", None) or ManualClock()
    emu = HubSpotEmulator(token=TOKEN, clock=clock, **options)
    url = emu.start()
    try:
        yield Hub(emu, clock, url)
    finally:
        emu.stop()
        assert not emu.unexpected_errors, emu.unexpected_errors


def reset_hub(hub: Hub) -> Hub:
    """Empty state, no faults, counters, limits or lag; the clock back at START.

    Lets a test module share one running emulator (stopping a server costs ~0.5 s).
    """
    hub.emu.reset()
    hub.emu.clear_faults()
    hub.emu.reset_counters()
    hub.emu.rate_limits = RateLimits()
    hub.emu.set_search_lag(0)
    hub.emu.set_latency(0)
    hub.clock.now = START
    return hub


def error_json(exc: BaseException) -> dict[str, Any]:
    """The parsed body of an SDK ApiException (each SDK package has its own class)."""
    body = getattr(exc, "body", None)
    assert body, f"no body on {exc!r}"
    return json.loads(body)


@pytest.fixture(scope="module")
def shared_hub() -> Iterator[Any]:
    """One running HubSpot emulator per test module (reset between tests by `hub`)."""
    with running_hub() as running:
        yield running


@pytest.fixture
def hub(shared_hub: Any) -> Any:
    return reset_hub(shared_hub)
