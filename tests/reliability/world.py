"""A test world: an emulated CRM (in this process), a SQLite store and a config.yaml pointing
prm-sync at both; snapshots of the two sides; sync runs through the CLI in a subprocess (that a
test can SIGKILL from the emulator's request thread) or in-process (fast reruns, fault runs)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from connectors.emulator_kit import Fault
from prm_sync.config import Config, load_config
from prm_sync.connector import no_wait_policy
from prm_sync.mapping import load_mapping
from prm_sync.sandbox import Sandbox, start_sandbox
from prm_sync.store import Store, open_store, upgrade
from prm_sync.sync.engine import run_sync
from prm_sync.sync.report import RunReport

ROOT = Path(__file__).resolve().parents[2]
PRM_SYNC = Path(sys.executable).with_name("prm-sync")
CLI_TIMEOUT_S = 60


@dataclass(frozen=True)
class Snapshot:
    """Both sides at one moment: the emulator's dump and the store file's bytes."""

    crm_state: dict[str, Any]
    store_bytes: bytes


@dataclass
class World:
    crm: str
    sandbox: Sandbox
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def emulator(self) -> Any:
        return self.sandbox.emulator

    @property
    def store_path(self) -> Path:
        return self.workdir / "prm.db"

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.store_path}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "config.yaml"

    @property
    def env(self) -> dict[str, str]:
        return {**self.sandbox.env, **self.extra_env}

    def config(self) -> Config:
        return load_config(self.config_path, env=self.env)

    @contextmanager
    def store(self) -> Iterator[Store]:
        with open_store(self.store_url) as opened:
            yield opened

    # ----- snapshots -----------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        _checkpoint(self.store_path)
        return Snapshot(json.loads(json.dumps(self.emulator.dump(), default=str)), self.store_path.read_bytes())

    def restore(self, snap: Snapshot) -> None:
        self.emulator.clear_faults()
        self.emulator.load(snap.crm_state)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.store_path}{suffix}").unlink(missing_ok=True)
        self.store_path.write_bytes(snap.store_bytes)

    # ----- runs ----------------------------------------------------------------------------
    def sync_in_process(self, **kwargs: Any) -> RunReport:
        """One run through the engine, with the connector built through its entry point and a
        retry policy that does not sleep (Retry-After is honoured as a decision, not a wait)."""
        config = self.config()
        mapping = load_mapping(config.mappings_path, expect_crm=config.crm.type)
        [entry] = [ep for ep in entry_points(group="prm_sync.connectors") if ep.name == self.crm]
        connector = entry.load()(config, retry=no_wait_policy())
        try:
            with self.store() as store:
                return run_sync(store, connector, mapping, config, **kwargs)
        finally:
            connector.close()

    def sync_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRM_SYNC), "--config", str(self.config_path), *args], capture_output=True,
                              text=True, env={**os.environ, **self.env}, timeout=CLI_TIMEOUT_S, check=False)

    def sync_until_quiet(self, runs: int = 4) -> int:
        """Rerun (in-process) until a run changes nothing; returns how many runs it took."""
        for n in range(1, runs + 1):
            report = self.sync_in_process()
            if report.total("create", "update", "delete") == 0:
                return n
        raise AssertionError(f"still changing after {runs} runs: {report.plain_counts()}")

    def killed_cli_sync(self, fault: Fault) -> int:
        """`prm-sync sync` in a subprocess, SIGKILLed by the emulator when `fault` hits; returns the
        exit status (-9 when the kill point was reached)."""
        proc = subprocess.Popen([str(PRM_SYNC), "--config", str(self.config_path), "sync"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **self.env})
        hit = threading.Event()

        def kill() -> None:
            hit.set()
            os.kill(proc.pid, signal.SIGKILL)

        fault.on_hit = kill
        fault.drop = True  # the killed client gets no answer anyway; never send one
        self.emulator.inject(fault)
        try:
            proc.communicate(timeout=CLI_TIMEOUT_S)
        finally:
            self.emulator.clear_faults()
        if hit.is_set():
            assert proc.returncode == -signal.SIGKILL, proc.returncode
        return proc.returncode


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so its bytes are the whole store."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def write_config(workdir: Path, sandbox: Sandbox, *, lookback_s: int = 0) -> Path:
    section = json.dumps(sandbox.settings)
    path = workdir / "config.yaml"
    path.write_text(
        f"crm: {{type: {sandbox.crm}, {sandbox.crm}: {section}}}\n"
        f"store: {{url: 'sqlite:///{workdir / 'prm.db'}'}}\n"
        f"mappings: {ROOT / 'mappings' / (sandbox.crm + '.yaml')}\n"
        # write_process: on: a first load's rows are written by the writer process (sync/writer.py),
        # whatever the page size, so the kills and faults here meet it too
        f"sync: {{lookback_seconds: {lookback_s}, deletion_sweep_minutes: 0, write_process: on}}\n",
        encoding="utf-8")
    return path


def start_world(crm: str, workdir: Path, *, generate: int, seed: int = 0, sf_page_size: int = 200) -> World:
    """A started emulator with `generate` generated partners (and their leads and deals), a
    migrated empty store and a config.yaml. Salesforce query pages are `sf_page_size` records
    (HubSpot's search pages are 200), so a few hundred changed records make several pages."""
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox(crm, workdir=workdir)
    if crm == "salesforce":
        sandbox.emulator.page_size = sf_page_size
    if generate:
        sandbox.emulator.generate(generate, seed=seed)
    write_config(workdir, sandbox)
    with open_store(f"sqlite:///{workdir / 'prm.db'}") as store:
        upgrade(store)
    return World(crm, sandbox, workdir)


def _child_sync(config_path: str, env: dict[str, str]) -> None:
    """In a forked child: `prm-sync --config FILE sync` through the CLI's own entry function
    (the modules are already imported, so a kill test does not pay a Python start-up)."""
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from prm_sync.cli.main import run

    os._exit(run(["--config", config_path, "sync"]))


def killed_forked_sync(world: World, fault: Fault) -> int:
    """Like `World.killed_cli_sync`, in a forked child running the CLI's entry function."""
    child = multiprocessing.get_context("fork").Process(target=_child_sync,
                                                        args=(str(world.config_path), world.env))
    hit = threading.Event()

    def kill() -> None:
        hit.set()
        for _ in range(1000):  # the parent learns the pid just after the fork
            if child.pid is not None:
                break
            time.sleep(0.001)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)

    fault.on_hit, fault.drop = kill, True
    world.emulator.inject(fault)
    try:
        child.start()
        child.join(CLI_TIMEOUT_S)
    finally:
        world.emulator.clear_faults()
    assert child.exitcode is not None, "the sync did not end"
    if hit.is_set():
        assert child.exitcode == -signal.SIGKILL, child.exitcode
    return child.exitcode
