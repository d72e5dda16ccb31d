"""The contract suite on MemCRM (collected only when test_third_crm.py runs it with memcrm installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prm_sync.connector.testing import CHECKS, Check
from tests.integration.third_crm.harness_memcrm import MemHarness


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[MemHarness]:
    yield MemHarness(tmp_path / "memcrm.json")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract(check: Check, harness: MemHarness) -> None:
    check(harness)
