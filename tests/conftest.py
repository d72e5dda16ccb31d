"""Shared fixtures. Store fixtures: `sqlite_url`, `pg_url`, `store_url` (both backends), `store`.

PostgreSQL tests need PRM_SYNC_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
the URL is used as an admin connection to create a fresh database per test, dropped afterwards
(creating and migrating one takes about 0.1 s).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from prm_sync.store import Store, open_store, upgrade

PG_URL_ENV = "PRM_SYNC_TEST_PG_URL"


def _conninfo(url: URL, database: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        host=url.host or "", port=url.port or "", user=url.username or "",
        password=url.password or "", dbname=database or url.database or "postgres",
    )


def _pg_admin(url: URL) -> psycopg.Connection:
    try:
        return psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        return psycopg.connect(_conninfo(url, "postgres"), autocommit=True, connect_timeout=5)


def _create_database(admin_url: URL) -> str:
    name = f"prm_test_{uuid.uuid4().hex[:16]}"
    with _pg_admin(admin_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(admin_url: URL, name: str) -> None:
    with _pg_admin(admin_url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_admin_url() -> URL:
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1/test)")
    return make_url(raw).set(drivername="postgresql+psycopg")


@pytest.fixture
def pg_url(pg_admin_url: URL) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    name = _create_database(pg_admin_url)
    yield pg_admin_url.set(database=name).render_as_string(hide_password=False)
    _drop_database(pg_admin_url, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A not-yet-existing SQLite file in this test's tmp dir."""
    return f"sqlite:///{tmp_path / 'prm.db'}"


@pytest.fixture(
    params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg)]
)
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty store URL, once per backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An opened store on `store_url`, migrated to head (so: once per backend)."""
    with open_store(store_url) as opened:
        upgrade(opened)
        yield opened


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly whether the PostgreSQL variants ran (CI must show they did, not that they skipped)."""
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") in ("call", "setup") and "postgresql" in getattr(report, "nodeid", ""):
                if outcome == "passed" and report.when != "call":
                    continue
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        terminalreporter.write_sep("-", "PostgreSQL store tests")
        terminalreporter.write_line(", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    from tests.reliability.ledger import ledger_of

    book = ledger_of(config)  # the reliability suite's counts (summed over pytest-xdist workers)
    if not book.empty:
        terminalreporter.write_sep("-", "reliability summary")
        terminalreporter.write_line(book.line())


LEDGER_WIRE_KEY = "reliability_ledger"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker hands its reliability ledger to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.reliability.ledger import ledger_of

        workeroutput[LEDGER_WIRE_KEY] = ledger_of(session.config).to_wire()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds up the workers' reliability ledgers."""
    wire = getattr(node, "workeroutput", {}).get(LEDGER_WIRE_KEY)
    if wire:
        from tests.reliability.ledger import ledger_of

        ledger_of(node.config).merge(wire)
