"""Shared fixtures. Store fixtures: `sqlite_url`, `pg_url`, `store_url` (both backends), `store`.

PostgreSQL tests need PRM_SYNC_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
the URL is used as an admin connection to create a fresh database per test, dropped afterwards.
`pg_url` is an empty database; `store_url`'s PostgreSQL variant is a copy of a template database
migrated to head once per schema version (`CREATE DATABASE ... TEMPLATE`: ~0.1 s against ~0.4 s to
create and migrate one per test, most of it PostgreSQL's own CPU, shared with the suite's workers).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def _create_database(admin_url: URL, template: str | None = None) -> str:
    name = f"prm_test_{uuid.uuid4().hex[:16]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    with _pg_admin(admin_url) as admin:
        admin.execute(statement)
    return name


def _schema_fingerprint() -> str:
    """A hash of the migration scripts: a changed or added migration gets a new template database."""
    versions = Path(__file__).resolve().parents[1] / "prm_sync" / "store" / "migrations" / "versions"
    digest = hashlib.sha256()
    for script in sorted(versions.glob("*.py")):
        digest.update(script.name.encode())
        digest.update(script.read_bytes())
    return digest.hexdigest()[:12]


_TEMPLATE_LOCK = 0x70726D74  # pg_advisory_lock key: one xdist worker builds the template, the others wait


def _migrated_template(admin_url: URL) -> str:
    """The name of a database migrated to head, built once per schema version and kept between runs."""
    name = f"prm_template_{_schema_fingerprint()}"
    with _pg_admin(admin_url) as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
        try:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                stale = admin.execute(
                    r"SELECT datname FROM pg_database WHERE datname LIKE 'prm\_template\_%%' AND datname <> %s",
                    (name,)).fetchall()
                for (old,) in stale:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old)))
                building = f"{name}_building"
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building)))
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
                with open_store(admin_url.set(database=building).render_as_string(hide_password=False)) as opened:
                    upgrade(opened)
                # renamed only once whole, so an interrupted build is never taken for a template
                admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(name)))
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))
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


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: URL) -> str:
    return _migrated_template(pg_admin_url)


@contextmanager
def migrated_database(pg_admin_url: URL, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database already at the schema's head (a copy of the template), dropped after."""
    name = _create_database(pg_admin_url, template=pg_template)
    try:
        yield pg_admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(pg_admin_url, name)


@pytest.fixture
def pg_migrated_url(pg_admin_url: URL, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database already at the schema's head (a copy of the template)."""
    with migrated_database(pg_admin_url, pg_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A not-yet-existing SQLite file in this test's tmp dir."""
    return f"sqlite:///{tmp_path / 'prm.db'}"


#: the two stores, PostgreSQL's marked `pg` (CI checks that they ran)
BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg)]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """A store URL once per backend: a not-yet-existing SQLite file; a PostgreSQL database at the
    schema's head (migrating is what `open_store` + `upgrade` and the CLI do first; a test of the
    migrations themselves takes `pg_url`, an empty database)."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_migrated_url")


@pytest.fixture(params=BACKENDS)
def blank_store_url(request: pytest.FixtureRequest) -> str:
    """A store URL with nothing in it, once per backend: for tests of the migrations and of what a
    store that is not (yet) a PRM store looks like."""
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
