"""Fixtures of the connector tests: one running harness per CRM and test module, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.connectors.harnesses import HARNESSES, harness_factory


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def running_harness(request: pytest.FixtureRequest) -> Iterator[Any]:
    with harness_factory(request.param)() as harness:
        yield harness


@pytest.fixture
def harness(running_harness: Any) -> Any:
    running_harness.reset()
    return running_harness
