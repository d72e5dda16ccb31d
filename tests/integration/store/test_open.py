"""Opening stores: SQLite file mode and PRAGMAs, PostgreSQL session settings, and one-line
errors that name the store without its password."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlmodel import select

from prm_sync.store import (
    BadStoreUrl,
    Partner,
    StoreNotInitialized,
    StoreUnavailable,
    open_store,
    upgrade,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_file_is_private_and_in_wal_mode(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        upgrade(store)
        with store.session() as session:
            session.add(Partner(name="Acme"))
        path = store.sqlite_path
        assert path is not None and _mode(path) == 0o600
        assert _mode(path.with_name(path.name + "-wal")) == 0o600
        with store.engine.connect() as connection:
            pragmas = [connection.execute(text(f"PRAGMA {name}")).scalar_one()
                       for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")]
    assert pragmas == ["wal", 1, 5000, 1]
    raw = sqlite3.connect(path)  # a connection that is not ours sees the persistent WAL mode
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_sqlite_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    with open_store(f"sqlite:///{path}"):
        pass
    assert _mode(path) == 0o640


def test_sqlite_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nope/prm.db"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    assert str(caught.value) == f"cannot open store {url}: directory {tmp_path}/nope does not exist"


def test_sqlite_no_create_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(StoreNotInitialized, match="does not exist: run `prm-sync init`"):
        open_store(f"sqlite:///{tmp_path}/prm.db", create=False)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(StoreUnavailable, match=r"notes\.db: the file is not an SQLite database$"):
        open_store(f"sqlite:///{path}")


def test_sqlite_read_only(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE t (x)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreUnavailable, match="the store is read-only"):
        open_store(f"sqlite:///file:{path}?mode=ro&uri=true")


def test_sqlite_in_memory_is_one_database_per_store() -> None:
    with open_store("sqlite://") as store:
        upgrade(store)
        with store.session() as session:
            session.add(Partner(name="Acme"))
        with store.session() as session:
            assert session.exec(select(Partner.name)).all() == ["Acme"]
        assert store.sqlite_path is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [("mysql://u:pw@h/db", "mysql://u:***@h/db"), ("not a url", "not a url"),
     ("postgresql+asyncpg://u:pw@h/db", "postgresql+asyncpg://u:***@h/db")],
)
def test_unsupported_urls(url: str, shown: str) -> None:
    with pytest.raises(BadStoreUrl) as caught:
        open_store(url)
    assert shown in str(caught.value) and "pw" not in str(caught.value)


def test_postgres_connection_refused_hides_password(pg_admin_url: URL) -> None:
    url = pg_admin_url.set(port=1, password="s3cret-pw").render_as_string(hide_password=False)
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith("cannot open store postgresql+psycopg://") and ":***@" in message
    assert "refused" in message.lower() and "s3cret" not in message and "\n" not in message


def test_postgres_missing_database(pg_admin_url: URL) -> None:
    url = pg_admin_url.set(database="prm_no_such_db").render_as_string(hide_password=False)
    with pytest.raises(StoreUnavailable, match='database "prm_no_such_db" does not exist'):
        open_store(url)


def test_postgres_plain_scheme_means_psycopg_and_sets_application_name(pg_url: str) -> None:
    plain = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with open_store(plain) as store, store.engine.connect() as connection:
        assert store.url.drivername == "postgresql+psycopg"
        name = connection.execute(
            text("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        ).scalar_one()
    assert name.startswith("prm-sync ") and name.endswith(f":{os.getpid()}")


def test_sqlite_foreign_keys_stay_on_after_upgrade(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        upgrade(store)
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
