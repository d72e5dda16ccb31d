"""CLI start-up: `--help` and group help import only what they use (issue 17, item 3).

Each case runs the real entry point in a fresh interpreter and lists the heavy modules it
loaded (from sys.modules at exit). No wall-clock assertion: bench/cli_startup.py measures time.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "hubspot", "simple_salesforce", "pydantic",
         "connectors", "prm_sync.store", "prm_sync.sync", "prm_sync.services")

PROBE = """
import atexit, json, sys
heavy = {heavy!r}
def report():
    loaded = sorted(m for m in heavy if m in sys.modules)
    sys.__stderr__.write("LOADED=" + json.dumps(loaded) + "\\n")
atexit.register(report)
sys.argv = ["prm-sync", *{args!r}]
from prm_sync.cli.main import main
main()
"""


def loaded_by(*args: str, heavy: tuple[str, ...] = HEAVY, usage: bool = True) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=heavy, args=list(args))],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert ("Usage: prm-sync" in done.stdout) == usage
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")][-1]
    return json.loads(line.removeprefix("LOADED="))


@pytest.mark.parametrize("args", [["--help"], ["partners", "--help"], ["partners", "list", "--help"]])
def test_help_imports_no_store_orm_migrations_or_crm_sdk(args):
    assert loaded_by(*args) == []


def test_the_root_help_reads_as_if_every_command_were_imported():
    import click
    from click.testing import CliRunner

    from prm_sync.cli.main import cli

    result = CliRunner().invoke(cli, ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    listed = result.output[result.output.index("Commands:"):]
    with click.Context(cli, info_name="prm-sync", terminal_width=100) as ctx:
        formatter = ctx.make_formatter()
        click.Group.format_commands(cli, ctx, formatter)        # click's own: imports each command
    assert listed.strip() == formatter.getvalue().strip()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    """`prm-sync init` once for the module: config.yaml, mapping and a current SQLite store."""
    tmp_path = tmp_path_factory.mktemp("startup")
    init = subprocess.run([sys.executable, "-c", "from prm_sync.cli.main import main; main()", "init", "--crm",
                           "hubspot", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr
    return tmp_path


def test_a_store_only_command_on_a_current_store_imports_no_migrations_or_crm_sdk(workspace):
    # the config's crm.<type> section is validated by that CRM package's settings model (its plugin,
    # prm_sync.crm_plugins): that much of `connectors` loads; its connector, client and SDK do not
    not_needed = ("alembic", "psycopg", "hubspot", "simple_salesforce", "connectors.hubspot.connector",
                  "connectors.hubspot.client", "connectors.salesforce.connector", "connectors.salesforce.client",
                  "prm_sync.sync")
    assert loaded_by("--config", str(workspace / "config.yaml"), "partners", "list", heavy=not_needed,
                     usage=False) == []


#: What `partners list` (a read of the store) has no use for, beyond the migrations and SDKs above:
#: SQLAlchemy, SQLModel and the ORM tables (a current SQLite store is read through sqlite3 and plain
#: SQL, prm_sync.store.plainread), the connector protocol and its retry library (the CRM settings
#: models import only the cheap part of prm_sync.connector), the mapping compiler, the run lock,
#: templates, the sync engine, APScheduler (a store-only command does not check the schedule's crons)
#: the ISO 4217 table (imported when a currency is checked), the commission calculation (the config
#: needs the plan models only) and the tier rules.
NOT_FOR_A_LIST = ("apscheduler", "iso4217", "prm_sync.domain.commissions.calculate", "prm_sync.domain.tier_rules",
                  "sqlalchemy", "sqlmodel", "prm_sync.store.engine", "prm_sync.store.schema",
                  "prm_sync.store.tables", "prm_sync.store.types", "prm_sync.services.partners",
                  "prm_sync.services.contracts", "prm_sync.rules",
                  "alembic", "psycopg", "hubspot", "simple_salesforce", "jinja2", "tenacity", "filelock",
                  "prm_sync.mapping", "prm_sync.connector.protocol", "prm_sync.connector.retry",
                  "prm_sync.connector.types", "prm_sync.store.locks",
                  "prm_sync.store.tables.bookkeeping", "prm_sync.store.tables.deals",
                  "prm_sync.store.tables.registrations", "prm_sync.store.tables.commissions",
                  "prm_sync.sync", "prm_sync.ops.scheduler", "connectors.salesforce.connector",
                  "connectors.hubspot.connector")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_partners_list_as_data_imports_only_the_config_and_sqlite3(workspace, fmt):
    """Issue 17: `partners list` start-up. CSV and JSON output need no rich either."""
    loaded = loaded_by("--config", str(workspace / "config.yaml"), "partners", "list", "--format", fmt,
                       heavy=(*NOT_FOR_A_LIST, "rich", "sqlite3"), usage=False)
    assert loaded == ["sqlite3"]


def test_partners_list_of_an_empty_store_says_so_without_rich_or_the_orm(workspace):
    loaded = loaded_by("--config", str(workspace / "config.yaml"), "partners", "list",
                       heavy=(*NOT_FOR_A_LIST, "rich", "prm_sync.store.plainread"), usage=False)
    assert loaded == ["prm_sync.store.plainread"]   # the probe sees what is used: the plain read


def test_partners_list_of_a_store_behind_the_schema_takes_the_full_path_and_says_what_to_run(tmp_path):
    """The plain read leaves an unusual store to open_store + check_schema, which explain it."""
    init = subprocess.run([sys.executable, "-c", "from prm_sync.cli.main import main; main()", "-q", "init", "--crm",
                           "hubspot", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr
    with sqlite3.connect(tmp_path / "prm.db") as connection:
        connection.execute("UPDATE prm_sync_alembic_version SET version_num = '0004'")
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=("sqlalchemy",), args=[
        "--config", str(tmp_path / "config.yaml"), "partners", "list"])], capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 2 and "prm-sync db upgrade" in done.stderr and "0004" in done.stderr, done.stderr
    assert 'LOADED=["sqlalchemy"]' in done.stderr


def test_the_store_metadata_holds_every_table_though_tables_load_on_first_use():
    """Migrations and the schema check read STORE_METADATA: it must never be a partial schema."""
    probe = "from prm_sync.store import STORE_METADATA; import json; print(json.dumps(sorted(STORE_METADATA.tables)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    import prm_sync.store.tables as tables

    every = {getattr(tables, name).__table__.name for name in tables.__all__
             if hasattr(getattr(tables, name), "__table__")}
    assert len(every) >= 15
    assert set(json.loads(done.stdout)) == every


@pytest.mark.pg
def test_partners_list_on_postgresql_imports_psycopg_but_no_sqlalchemy(pg_url, tmp_path):
    """The plain read on PostgreSQL: the driver, no SQLAlchemy."""
    from prm_sync.store import open_store, upgrade

    with open_store(pg_url) as store:
        upgrade(store)
    init = subprocess.run([sys.executable, "-c", "from prm_sync.cli.main import main; main()", "-q", "init", "--crm",
                           "hubspot", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr
    config = tmp_path / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('"sqlite:///prm.db"', f'"{pg_url}"'),
                      encoding="utf-8")
    loaded = loaded_by("--config", str(config), "partners", "list", "--format", "csv",
                       heavy=("psycopg", "sqlalchemy", "sqlmodel", "alembic", "rich"), usage=False)
    assert loaded == ["psycopg"]
