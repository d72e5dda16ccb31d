"""A HubSpot sandbox and a prm-sync directory pointed at it, for the operations e2e tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from prm_sync.cli.main import run
from prm_sync.sandbox import Sandbox, start_sandbox

EXE = Path(sys.executable).with_name("prm-sync")


@dataclass
class Workspace:
    directory: Path
    sandbox: Sandbox
    store_url: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.directory / "config.yaml"

    def write_config(self, *, schedule: list[dict[str, Any]] | None = None, alerts: bool = False) -> None:
        lines = [
            "crm:", "  type: hubspot", "  hubspot:",
            '    access_token: "${HUBSPOT_ACCESS_TOKEN}"', '    base_url: "${HUBSPOT_BASE_URL}"',
            f"store: {{url: {json.dumps(self.store_url)}}}", "mappings: mappings/hubspot.yaml",
        ]
        if schedule:
            lines.append("schedule:")
            lines += [f"  - {json.dumps(entry)}" for entry in schedule]
        if alerts:
            lines += ["alerts:", '  webhook_url: "${PRM_SYNC_TEST_WEBHOOK}"', "  on: [errors, conflicts, failure]"]
        self.config.write_text("\n".join(lines) + "\n")

    def cli(self, *args: str) -> int:
        return run(["--config", str(self.config), *args])

    def spawn(self, *args: str, log: Path, stdout: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`prm-sync --config … ARGS` as cron or systemd would start it: stderr into a log file."""
        with log.open("ab") as err, (stdout or log.with_suffix(".out")).open("ab") as out:
            return subprocess.Popen([str(EXE), "--config", str(self.config), *args], stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, cwd=self.directory,
                                    env={**os.environ, **self.env, **(env or {})})


@contextmanager
def hubspot_workspace(tmp_path: Path, monkeypatch: Any, *, generate: int, store_url: str | None = None
                      ) -> Iterator[Workspace]:
    sandbox = start_sandbox("hubspot", generate=generate, workdir=tmp_path / "sandbox")
    try:
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)
        directory = tmp_path / "prm"
        assert run(["init", "--crm", "hubspot", "--force", str(directory)]) == 0
        workspace = Workspace(directory, sandbox, store_url or f"sqlite:///{directory / 'prm.db'}", dict(sandbox.env))
        workspace.write_config()
        if store_url:
            assert workspace.cli("db", "upgrade") == 0
        yield workspace
    finally:
        sandbox.stop()


def dump_store_text(store_url: str) -> str:
    """Every row of every table of the store as text (to search it for secrets)."""
    engine = create_engine(store_url)
    try:
        chunks = []
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    chunks.append(f"{table}: {tuple(row)!r}")
        return "\n".join(chunks)
    finally:
        engine.dispose()


def sync_runs(store_url: str) -> list[dict[str, Any]]:
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, started_at, finished_at, status FROM sync_run ORDER BY id"))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def stop(process: subprocess.Popen[bytes], timeout: float = 30, *, send: bool = True) -> int:
    """SIGTERM (once: a second one kills at once) and wait for the exit code."""
    if send and process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every non-empty line of a log file, each of which must be one JSON object."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
