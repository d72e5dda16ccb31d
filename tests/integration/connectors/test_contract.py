"""The connector contract suite (prm_sync.connector.testing) on every CRM harnesses.py lists.

Each check drives the real SDK over HTTP against the CRM's emulator, through a connector built
from the `prm_sync.connectors` entry point. The third, test-only connector runs the same checks
in tests/integration/third_crm.
"""

from __future__ import annotations

from typing import Any

import pytest

from prm_sync.connector.testing import CHECKS, Check


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract(check: Check, harness: Any) -> None:
    check(harness)
