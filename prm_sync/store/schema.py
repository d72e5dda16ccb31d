"""Schema versions: which revision a store is at, whether this prm-sync can use it, upgrading.

The Alembic configuration is built here in code (migrations ship inside the package), so no
alembic.ini is needed at runtime. Revision history is linear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from prm_sync.store.engine import Store, unavailable
from prm_sync.store.errors import NotAPrmStore, SchemaAhead, SchemaBehind, StoreNotInitialized
from prm_sync.store.revisions import MIGRATIONS_DIR, VERSION_TABLE, shipped_head

if TYPE_CHECKING:  # Alembic is imported where used: a store at the current revision needs none of it
    from alembic.config import Config

# Tables other prm-sync parts may create in the store before it is migrated (the scheduler's
# APScheduler job store); they do not make a database "foreign".
COMPANION_TABLE_PREFIXES = ("apscheduler_",)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for prm-sync's migrations, bound to `connection` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this prm-sync needs."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("prm-sync ships no migrations")
    return head


def current_revision(store: Store) -> str | None:
    """The store's schema revision, or None when prm-sync never migrated it."""
    try:
        with store.engine.connect() as connection:
            return _current_revision(connection)
    except DBAPIError as err:
        raise unavailable(store.display_url, err, password=store.url.password) from None


def check_schema(store: Store) -> str:
    """Return the store's revision if it is the one this prm-sync needs, else raise.

    Raises StoreNotInitialized (empty database), NotAPrmStore (someone else's tables),
    SchemaBehind (run `prm-sync db upgrade`) or SchemaAhead (newer prm-sync wrote it).
    """
    current = _current_if_shipped_head(store)
    if current is not None:
        return current
    current = _usable_revision(store)
    head = head_revision()
    if current is None:
        raise StoreNotInitialized(
            f"store {store.display_url} is empty: run `prm-sync init` or `prm-sync db upgrade`"
        )
    if current != head:
        raise SchemaBehind(
            f"store {store.display_url} is at revision {current}; this prm-sync needs {head}: "
            "run `prm-sync db upgrade`",
            current=current,
            head=head,
        )
    return current


def upgrade(store: Store, revision: str = "head") -> str:
    """Migrate the store to `revision` (default: head) and return the revision it is now at.

    Refuses, touching nothing, a database that is not prm-sync's or is ahead of this prm-sync.
    """
    from alembic import command

    _usable_revision(store)
    try:
        with store.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # batch migrations recreate tables; SQLite wants FK checks off meanwhile
                _raw(connection).execute("PRAGMA journal_mode=WAL")  # persistent: ours now
                _sqlite_foreign_keys(connection, on=False)
            try:
                with connection.begin():
                    command.upgrade(alembic_config(connection), revision)
                    if sqlite:
                        _sqlite_check_foreign_keys(connection)
                    now = _current_revision(connection)
            finally:
                if sqlite:
                    _sqlite_foreign_keys(connection, on=True)
    except DBAPIError as err:
        raise unavailable(store.display_url, err, password=store.url.password) from None
    assert now is not None
    return now


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    # Outside any transaction (PRAGMA foreign_keys is a no-op inside one), on the raw driver.
    _raw(connection).execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _raw(connection: Connection) -> Any:
    """The driver's own connection (sqlite3), for PRAGMAs that must run outside a transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None  # an open connection has one
    return raw


def _sqlite_check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _usable_revision(store: Store) -> str | None:
    """The store's revision if this prm-sync knows it (None: empty); raise if foreign or ahead."""
    try:
        with store.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            current = _current_revision(connection) if VERSION_TABLE in tables else None
    except DBAPIError as err:
        raise unavailable(store.display_url, err, password=store.url.password) from None
    if VERSION_TABLE not in tables:
        foreign = sorted(t for t in tables if not t.startswith(COMPANION_TABLE_PREFIXES))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise NotAPrmStore(
                f"store {store.display_url} is not a prm-sync store: it has tables ({shown}) "
                f"but no {VERSION_TABLE}; nothing was changed. Point store.url at an empty "
                "database or an existing prm-sync store"
            )
        return None
    if current is None:
        return None
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    head = head_revision()
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        raise SchemaAhead(
            f"store {store.display_url} is at revision {current}, unknown to this prm-sync "
            f"(which needs {head}): it was written by a newer prm-sync; upgrade prm-sync",
            current=current,
            head=head,
        ) from None
    return current


def _current_if_shipped_head(store: Store) -> str | None:
    """The store's revision when it is exactly the shipped head (the usual case), else None: the fast
    path of check_schema, without Alembic (the head is read from the migration files' text)."""
    head = shipped_head()
    if head is None:
        return None
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except DBAPIError:
        return None  # no version table, or the store is unreachable: the full check says which
    return head if [row[0] for row in rows] == [head] else None
