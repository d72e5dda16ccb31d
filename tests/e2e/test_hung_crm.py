"""A CRM that accepts connections and never answers (issue 15 item 2): `prm-sync sync` stops at
its run deadline with exit 3 and a clear message, and leaves the store's run lock free.

The listener is a real TCP socket that accepts and then reads nothing and writes nothing (TLS
handshakes and HTTP requests alike hang). The CLI runs as a subprocess; pytest-timeout (and the
subprocess timeout) are the safety net, no test measures time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from prm_sync.store import open_store, run_lock, upgrade

ROOT = Path(__file__).resolve().parents[2]
PRM_SYNC = Path(sys.executable).with_name("prm-sync")
SAFETY_NET_S = 120


class SilentListener:
    """Accepts TCP connections on 127.0.0.1 and never answers them (keeps them open)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def listener() -> Iterator[SilentListener]:
    silent = SilentListener()
    yield silent
    silent.close()


def crm_section(crm: str, port: int) -> str:
    # read timeout far above the deadline: the deadline, not the timeout, must end the run
    timeouts = "connect_timeout_seconds: 1, read_timeout_seconds: 300"
    if crm == "hubspot":
        return f"hubspot: {{access_token: '${{HS_TOKEN}}', base_url: 'http://127.0.0.1:{port}', {timeouts}}}"
    return (f"salesforce: {{instance_url: 'https://127.0.0.1:{port}', session_id: '${{SF_SID}}', "
            f"{timeouts}}}")


def write_world(tmp_path: Path, crm: str, port: int, max_run_seconds: int = 2) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"crm: {{type: {crm}, {crm_section(crm, port)}}}\n"
        f"store: {{url: 'sqlite:///{tmp_path / 'prm.db'}'}}\n"
        f"mappings: {ROOT / 'mappings' / (crm + '.yaml')}\n"
        f"sync: {{max_run_seconds: {max_run_seconds}}}\n", encoding="utf-8")
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as store:
        upgrade(store)
    return config


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HS_TOKEN": "pat-na1-hung", "SF_SID": "00Dhung!session"}
    return subprocess.run([str(PRM_SYNC), "--config", str(config), *args], capture_output=True, text=True,
                          env=env, timeout=SAFETY_NET_S, check=False)


@pytest.mark.timeout(SAFETY_NET_S + 30)
@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_sync_against_a_crm_that_never_answers_stops_at_its_deadline(
    crm: str, tmp_path: Path, listener: SilentListener,
) -> None:
    config = write_world(tmp_path, crm, listener.port)
    done = run_cli(config, "sync")
    assert done.returncode == 3, done.stderr
    assert "deadline" in done.stderr and "sync.max_run_seconds" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert listener.accepted, "the sync never reached the listener"
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as store, run_lock(store):
        pass  # the lock is free: this would raise LockHeld otherwise
