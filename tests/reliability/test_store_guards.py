"""A store that is not prm-sync's, a store from a newer prm-sync, a read-only store: `prm-sync sync`
says so in one line (exit 2, no traceback) and leaves the file's bytes as they were.

Read-only: the tests run as root, for whom file modes do not stop writes, and mounts are not
available; the store URL opens SQLite read-only instead (`file:...?mode=ro&uri=true`), which is
what a read-only disk looks like to SQLite: every write fails with SQLITE_READONLY.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import Partner, StoreError, check_schema, open_store, upgrade
from tests.reliability.ledger import Ledger
from tests.reliability.world import ROOT


def write_config(tmp_path: Path, store_url: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "crm: {type: hubspot, hubspot: {access_token: '${HUBSPOT_ACCESS_TOKEN}', base_url: 'http://127.0.0.1:9'}}\n"
        f"store: {{url: '{store_url}'}}\n"
        f"mappings: {ROOT / 'mappings' / 'hubspot.yaml'}\n", encoding="utf-8")
    return config


def foreign_sqlite(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
        db.execute("INSERT INTO invoices (total) VALUES ('12.50')")
    db.close()
    return f"sqlite:///{path}"


def not_a_database(path: Path) -> str:
    path.write_bytes(b"name,tier\nAcme,gold\n" * 100)
    return f"sqlite:///{path}"


def newer_schema(path: Path) -> str:
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        upgrade(store)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE prm_sync_alembic_version SET version_num = '9999_from_the_future'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return url


def read_only(path: Path) -> str:
    with open_store(f"sqlite:///{path}") as store:
        upgrade(store)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")  # a read-only opener cannot create the WAL index
    db.close()
    return f"sqlite:///file:{path}?mode=ro&uri=true"


CASES = [
    pytest.param(foreign_sqlite, "not a prm-sync store", id="foreign-sqlite-file"),
    pytest.param(not_a_database, "not an sqlite database", id="not-a-database"),
    pytest.param(newer_schema, "newer", id="newer-schema"),
    pytest.param(read_only, "read-only", id="read-only"),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("make", "fragment"), CASES)
def test_unusable_store_is_a_one_line_error_and_stays_untouched(
    make: Callable[[Path], str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, ledger: Ledger, request: pytest.FixtureRequest,
) -> None:
    """Exit 2 and exactly one `error:` line (the run's own failure event may be logged beside
    it), no traceback, and the store file's bytes unchanged."""
    data = tmp_path / "data"
    data.mkdir()
    url = make(data / "prm.db")
    config = write_config(tmp_path, url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-test")
    before = digest(data / "prm.db")
    code = run(["-q", "--log-format", "text", "--config", str(config), "sync"])
    err = capsys.readouterr().err
    ledger.store_guards.add(request.node.callspec.id)
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert fragment in errors[0].lower(), errors[0]
    assert code == 2, err
    assert digest(data / "prm.db") == before, "the store file changed"


def test_read_only_store_refuses_the_run_and_stays_untouched(tmp_path: Path, ledger: Ledger) -> None:
    """A read-only store refuses to open at all (before any write is tried)
    as a one-line StoreError (exit 2 through the CLI's error table), nothing is written."""
    path = tmp_path / "prm.db"
    url = read_only(path)
    before = digest(path)
    with pytest.raises(StoreError, match="read-only"), open_store(url) as store:
        check_schema(store)
        with store.session(write=True) as session:
            session.add(Partner(name="never written"))
    ledger.store_guards.add("read-only-store-level")
    assert digest(path) == before
