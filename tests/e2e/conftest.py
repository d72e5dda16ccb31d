"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world


@pytest.fixture
def paired_world(request: pytest.FixtureRequest, crm: str, backend: str, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world of a test parametrized by `crm` and `backend` (tests that run each case on a CRM
    and a store in pairs, not on the whole CRM x store matrix)."""
    store_url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_migrated_url")
    with open_world(crm, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w
