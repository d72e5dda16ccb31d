"""An initial pull into PostgreSQL writes its new rows with COPY: the same store as executemany."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine.url import URL

from prm_sync.sync import inserts
from tests.conftest import _create_database, _drop_database
from tests.e2e.sync_world import World, open_world
from tests.e2e.test_sync_bulk_query import seed, store_state


@pytest.fixture
def second_pg_url(pg_admin_url: URL) -> Iterator[str]:
    name = _create_database(pg_admin_url)
    yield pg_admin_url.set(database=name).render_as_string(hide_password=False)
    _drop_database(pg_admin_url, name)


def full_state(world: World) -> dict[str, Any]:
    state = store_state(world)
    snapshot = world.store_snapshot()
    state["tables with rows"] = sorted(name for name, rows in snapshot.items() if rows)
    return state


def test_copy_and_executemany_write_the_same_store(
        pg_url: str, second_pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, inserts_seen: list[str]) -> None:
    with open_world("salesforce", pg_url, tmp_path, capsys, monkeypatch) as world:
        seed(world)
        monkeypatch.setattr(inserts, "COPY_MIN_ROWS", 1)
        inserts_seen.clear()
        assert world.sync()["exit"] == 0
        copied = full_state(world)
        assert not {"partner", "registration", "deal", "link"} & set(inserts_seen), inserts_seen

        world.store_url = second_pg_url
        world.write_config()
        assert world.cli("db", "upgrade")[0] == 0
        monkeypatch.setattr(inserts, "COPY_MIN_ROWS", 10**9)
        inserts_seen.clear()
        assert world.sync()["exit"] == 0
        assert {"partner", "deal", "link"} <= set(inserts_seen), inserts_seen
        assert full_state(world) == copied
        assert len(copied["partner"]) == 8 and len(copied["lead links"]) == 9
