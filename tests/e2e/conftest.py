"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.e2e.sync_world import World, open_world


@pytest.fixture
def paired_world(request: pytest.FixtureRequest, crm: str, backend: str, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world of a test parametrized by `crm` and `backend` (tests that run each case on a CRM
    and a store in pairs, not on the whole CRM x store matrix)."""
    store_url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_migrated_url")
    with open_world(crm, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


@pytest.fixture
def inserts_seen() -> Iterator[list[str]]:
    """Tables that got an INSERT statement (COPY is not one)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO"):
            seen.append(statement.split()[2].strip('"'))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)
