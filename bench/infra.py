"""Processes and stores for a measurement: the emulator process, fresh stores, config files, workers."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from prm_sync.store import Partner, open_store, upgrade
from prm_sync.store.types import utcnow

ROOT = Path(__file__).resolve().parents[1]
PG_URL_ENV = "PRM_SYNC_TEST_PG_URL"


class EmulatorProcess:
    """`python -m bench.serve` as a child process (see bench.serve for the protocol)."""

    def __init__(self, crm: str, partners: int, registrations: int, deals: int) -> None:
        self.crm = crm
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve", crm, str(partners), str(registrations), str(deals)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.crm} emulator process ended (exit {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def touch(self, fraction: float) -> int:
        return int(self.ask({"cmd": "touch", "fraction": fraction})["changed"])

    def calls_seen(self) -> int:
        """Requests the emulator served since the last asking (and reset)."""
        return sum(self.ask({"cmd": "counts"})["counts"].values())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def emulator(crm: str, partners: int, registrations: int, deals: int) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(crm, partners, registrations, deals)
    try:
        yield process
    finally:
        process.close()


@contextmanager
def fresh_store(kind: str, workdir: Path) -> Iterator[str]:
    """A new, migrated store: a SQLite file, or a new PostgreSQL database (dropped afterwards)."""
    if kind == "sqlite":
        path = workdir / f"prm-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = make_url(os.environ[PG_URL_ENV]).set(drivername="postgresql+psycopg")
    name = f"prm_bench_{uuid.uuid4().hex[:12]}"
    with _pg_admin(admin) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with _pg_admin(admin) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg_admin(url: Any) -> psycopg.Connection[Any]:
    info = psycopg.conninfo.make_conninfo(host=url.host or "", port=url.port or "", user=url.username or "",
                                          password=url.password or "", dbname=url.database or "postgres")
    return psycopg.connect(info, autocommit=True, connect_timeout=5)


def pg_available() -> bool:
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        return False
    try:
        with _pg_admin(make_url(raw)):
            return True
    except psycopg.OperationalError:
        return False


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """`--store sqlite|postgresql`, repeatable; `stores_wanted` reads it."""
    parser.add_argument("--store", action="append", choices=["sqlite", "postgresql"],
                        help=f"repeatable; default both (PostgreSQL only when {PG_URL_ENV} answers)")


def stores_wanted(chosen: list[str] | None) -> list[str]:
    """The stores `--store` chose (default both), without PostgreSQL when its server does not answer."""
    stores = chosen or ["sqlite", "postgresql"]
    return [s for s in stores if s != "postgresql" or pg_available()]


def _migrate(url: str) -> None:
    with open_store(url, create=True) as store:
        upgrade(store)


def seed_partners(url: str, count: int, tag: str) -> None:
    """`count` PRM-side partners never synced (what a push of `count` records sends)."""
    now = utcnow()
    rows = [{"id": f"{tag}-{i:08d}", "name": f"Bench Partner {i}", "tier": "gold", "status": "active",
             "website": f"https://p{i}.example", "phone": f"+1 555 {1000000 + i}", "channel_manager": None,
             "territories": "US;CA", "created_at": now, "updated_at": now} for i in range(count)]
    with open_store(url) as store, store.engine.begin() as connection:
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(Partner.__table__), rows[start:start + 10_000])  # type: ignore[attr-defined]


def write_config(workdir: Path, crm: str, hello: dict[str, Any], store_url: str, *,
                 bulk_threshold: int = 2000, bulk_query_threshold: int | None = None) -> Path:
    settings = dict(hello["settings"])
    if crm == "salesforce":
        settings["bulk_threshold"] = bulk_threshold
        if bulk_query_threshold is not None:
            settings["bulk_query_threshold"] = bulk_query_threshold
    config = {"crm": {"type": crm, crm: settings}, "store": {"url": store_url},
              "mappings": str(ROOT / "mappings" / f"{crm}.yaml"),
              "sync": {"lookback_seconds": 0, "deletion_sweep_minutes": 7 * 24 * 60}}
    path = workdir / f"config-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


#: run workers in this process instead (smoke tests: fast, but RSS and CPU then mean nothing)
INLINE = {"on": False}


def run_worker(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    if INLINE["on"]:
        from bench import worker

        os.environ.update(env)
        return worker.run(spec)
    done = subprocess.run([sys.executable, "-m", "bench.worker", json.dumps(spec)], cwd=ROOT, check=False,
                          env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer
