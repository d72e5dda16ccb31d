"""A site for notification tests: a config on disk (no CRM call is made), a store, the CLI, and a
real SMTP server (aiosmtpd) started by the test, which keeps every message it accepts."""

from __future__ import annotations

import email
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from prm_sync.cli.main import run
from prm_sync.store import Notification, open_store

ROOT = Path(__file__).resolve().parents[2]
PRM_SYNC = Path(sys.executable).parent / "prm-sync"


@dataclass
class Received:
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Inbox:
    """The aiosmtpd handler: stores each message, then runs `on_data` (before answering 250)."""

    received: list[Received] = field(default_factory=list)
    on_data: Callable[[], None] | None = None
    refuse: set[str] = field(default_factory=set)   # recipients answered 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.content)
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), raw, message))
        if self.on_data is not None:
            self.on_data()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Site:
    tmp: Path
    store_url: str
    capsys: pytest.CaptureFixture[str]
    smtp: SmtpServer
    notifications: dict[str, Any] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.tmp / "config.yaml"

    def write_config(self, **notifications: Any) -> None:
        self.notifications = {"smtp": {"host": "127.0.0.1", "port": self.smtp.port, "security": "none",
                                       "from": "partners@vendor.example", "reply_to": "channel@vendor.example",
                                       "timeout_seconds": 10},
                              "digest_weekday": None, **notifications}   # a digest only where a test asks
        config = {"crm": {"type": "hubspot", "hubspot": {"access_token": "${HUBSPOT_ACCESS_TOKEN}",
                                                         "base_url": "http://127.0.0.1:9"}},
                  "store": {"url": self.store_url}, "mappings": "mappings/hubspot.yaml",
                  "notifications": self.notifications}
        self.config_path.write_text(json.dumps(config), encoding="utf-8")

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = run(["--config", str(self.config_path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == 0, f"{args}: {code}\n{out}\n{err}"
        return out

    def subprocess(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(PRM_SYNC), "--config", str(self.config_path), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def outbox(self) -> list[Notification]:
        with open_store(self.store_url, create=False) as store, store.session() as session:
            return list(session.exec(select(Notification).order_by(Notification.id)))

    def partner(self, name: str, manager: str | None = "cm@vendor.example") -> str:
        args = ["partners", "add", name, "--status", "active", "--allow-duplicate"]
        out = self.ok(*args, *(["--channel-manager", manager] if manager else []))
        return out.split()[2]

    def contact(self, partner: str, *args: str) -> str:
        return self.ok("partners", "contacts", "add", "--partner", partner, *args).split()[2]

    def register(self, partner: str, company: str, email: str) -> str:
        return self.ok("leads", "register", "--partner", partner, "--company", company, "--contact", "Lê Minh",
                       "--email", email).split()[1]


@contextmanager
def open_site(tmp: Path, store_url: str, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch, **notifications: Any) -> Iterator[Site]:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "test-token")
    (tmp / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / "hubspot.yaml", tmp / "mappings" / "hubspot.yaml")
    server = SmtpServer()
    server.start()
    site = Site(tmp, store_url, capsys, server)
    site.write_config(**notifications)
    assert site.cli("db", "upgrade")[0] == 0
    try:
        yield site
    finally:
        server.stop()


@contextmanager
def tls_server(tmp: Path, security: str) -> Iterator[tuple[int, Path, Inbox]]:
    """An SMTP server with implicit TLS ("tls") or STARTTLS, requiring a login; yields (port, CA file, inbox)."""
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    from connectors.emulator_kit.tls import make_tls_material

    server_pem, ca_pem = make_tls_material(tmp / "smtp-tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server_pem)
    inbox = Inbox()
    logins: list[tuple[str, str]] = []
    inbox.logins = logins  # type: ignore[attr-defined]

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    port = free_port()
    kwargs: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": True}
    if security == "tls":  # the whole connection is TLS (aiosmtpd's auth_require_tls only knows STARTTLS)
        kwargs.update(ssl_context=context, auth_require_tls=False)
    else:
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port, ca_pem, inbox
    finally:
        controller.stop()
