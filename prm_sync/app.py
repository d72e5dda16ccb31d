"""The composition root: config -> mapping -> store (-> connector -> engine, as they land).

Click commands ask this object for what they need; each part is built once, on first use, so
that `prm-sync --help` or `check` never opens a database and nothing happens at import. Its own
imports are deferred too: `prm-sync sandbox` must serve within 2 seconds of being started.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from prm_sync.errors import UsageError

if TYPE_CHECKING:  # imported where used: `prm-sync sandbox` and `--help` need none of them
    from prm_sync.config import Config
    from prm_sync.connector import Connector
    from prm_sync.mapping import CompiledMapping
    from prm_sync.store import Store
    from prm_sync.store.plainread import PlainStore


class App:
    def __init__(self, config_path: Path, *, need_crm: bool = True) -> None:
        self.config_path = config_path
        self.need_crm = need_crm

    @cached_property
    def config(self) -> Config:
        from prm_sync.config import load_config

        return load_config(self.config_path, need_crm=self.need_crm)

    def local(self) -> App:
        """The same app for a command that never talks to the CRM (CRM secrets not needed)."""
        return App(self.config_path, need_crm=False)

    @cached_property
    def mapping(self) -> CompiledMapping:
        from prm_sync.errors import MappingError, Problem
        from prm_sync.mapping import load_mapping

        cfg = self.config
        display = cfg.mappings if not Path(cfg.mappings).is_absolute() else None
        try:
            return load_mapping(cfg.mappings_path, expect_crm=cfg.crm.type, display=display)
        except MappingError as exc:
            if not exc.problems or any(p.line is not None for p in exc.problems):
                raise
            # the file itself cannot be read (missing, not a regular file, too big): say which
            # config.yaml line names it, so the admin knows where to fix the path
            pointer = Problem(cfg.source, cfg.mappings_line, "mappings",
                              f"the mapping file {cfg.mappings_path} named here cannot be used "
                              "(a relative path is relative to the config file)")
            raise MappingError([*exc.problems, pointer]) from None

    @property
    def store_url(self) -> str:
        return resolve_store_url(self.config.store.url, Path(self.config.base_dir))

    def connector(self) -> Connector:
        """The configured CRM's connector, found through the `prm_sync.connectors` entry points
        (so the core never imports a CRM package)."""
        crm = self.config.crm.type
        found = [ep for ep in entry_points(group="prm_sync.connectors") if ep.name == crm]
        if not found:
            raise UsageError(f"no connector is installed for crm.type '{crm}'")
        build = found[0].load()
        return build(self.config)

    def open_plain_store(self) -> PlainStore | None:
        """The configured store for a plain read without SQLAlchemy (prm_sync.store.plainread), or
        None when only `open_store` can open it (an unusual URL, a store not at the schema head...)."""
        from prm_sync.store.plainread import open_plain_store

        return open_plain_store(self.config.store.url, Path(self.config.base_dir))

    def open_store(self, *, create: bool = False, check: bool = True) -> Store:
        """Open the configured store; by default refuse one whose schema is not current."""
        from prm_sync.store import check_schema, open_store

        store = open_store(self.store_url, create=create)
        if check:
            try:
                check_schema(store)
            except BaseException:
                store.close()
                raise
        return store


def resolve_store_url(url: str, base_dir: Path) -> str:
    """A relative SQLite path is relative to the config file, not to the working directory
    (cron runs commands from $HOME)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    if parsed.database.startswith("file:") or parsed.query.get("uri") in ("true", "1"):
        return url  # an SQLite URI (e.g. ?mode=ro) says exactly which file it means
    path = Path(parsed.database)
    if path.is_absolute():
        return url
    return parsed.set(database=str((base_dir / path).resolve())).render_as_string(hide_password=False)
