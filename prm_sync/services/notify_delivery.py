"""`prm-sync notify send`: deliver pending outbox messages over SMTP (or write .eml files).

Each event is rendered per recipient language (one message per language, each with its own stable
Message-ID `<prm-sync.EVENT.LANG@from-domain>`), sent, and only then marked sent in its own
transaction. A crash between the server's acceptance and that commit means the next run sends the
message again, with the same Message-ID (receivers and mail clients drop the duplicate): at worst
one resend, never a loss.

A server that cannot be reached (or refuses the login) stops the run: the messages stay pending,
the run exits 1 with the reason, and the next run delivers them. A message the server refuses is
retried with backoff (1, 2, 4 ... minutes, at most 6 hours) up to `max_attempts`, then marked
failed; both show in `prm-sync status`. At most `rate_per_minute` messages leave per minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from prm_sync.config import Config
from prm_sync.notify_config import NotificationSettings, SmtpSettings
from prm_sync.services.notify_digest import digest_due, record_digests
from prm_sync.services.notify_recipients import Recipient, recipients_for
from prm_sync.services.notify_render import TemplateProblem, Templates
from prm_sync.services.statements import statement_attachments, statement_context
from prm_sync.store import Notification, Partner, Store
from prm_sync.store.notify_events import scan

MAX_BACKOFF = dt.timedelta(hours=6)
#: (filename, content, maintype/subtype) files a kind attaches, built from the store at send time
Attachment = tuple[str, bytes, str]
AttachmentMaker = Callable[[Session, Notification], list[Attachment]]


class SmtpOutage(Exception):
    """The server cannot be reached or refuses us: nothing more can be sent this run."""


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)          # event ids delivered
    messages: int = 0                                      # emails (one per event and language)
    retrying: dict[int, str] = field(default_factory=dict)  # event id -> why (will be retried)
    failed: dict[int, str] = field(default_factory=dict)   # event id -> why (gave up)
    outage: str | None = None
    rate_limited: int = 0                                  # events left for the next minute
    written: list[Path] = field(default_factory=list)      # dry run: .eml files

    @property
    def ok(self) -> bool:
        return self.outage is None and not self.retrying and not self.failed


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def message_id(event_id: int, language: str, from_address: str) -> str:
    domain = from_address.rsplit("@", 1)[-1] or "prm-sync.invalid"
    return f"<prm-sync.{event_id}.{language}@{domain}>"


def event_context(note: Notification, partner: Partner | None) -> dict[str, Any]:
    return {**note.payload, "kind": note.kind,
            "partner": {"id": partner.id if partner else None, "name": partner.name if partner else ""}}


def build_messages(session: Session, note: Notification, settings: NotificationSettings, templates: Templates,
                   from_address: str, reply_to: str | None, attachments: AttachmentMaker | None = None,
                   ) -> list[tuple[EmailMessage, list[Recipient]]]:
    """The emails one event makes: one per language of its recipients."""
    partner = session.get(Partner, note.partner_id) if note.partner_id else None
    recipients = note_recipients(session, note, partner, settings)
    by_language: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        by_language.setdefault(templates.language_of(note.kind, recipient.language), []).append(recipient)
    files = (attachments or statement_attachments)(session, note)
    extra = statement_context(session, note) if note.kind == "statement_ready" else {}
    out = []
    for language, group in by_language.items():
        context = {**event_context(note, partner), **extra,
                   "recipient": {"name": group[0].name, "email": group[0].email}}
        rendered = templates.render(note.kind, language, context)
        msg = EmailMessage()
        msg["Subject"] = rendered.subject
        msg["From"] = from_address
        msg["To"] = [Address(display_name=r.name, addr_spec=r.email) for r in group]
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Message-ID"] = message_id(int(note.id or 0), rendered.language, from_address)
        msg["Date"] = format_datetime(note.occurred_at)
        msg.set_content(rendered.text, charset="utf-8")
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
        for filename, content, mime in files:
            maintype, subtype = mime.split("/", 1)
            params = {"charset": "utf-8"} if maintype == "text" else None
            msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename, params=params)
        msg["Content-Language"] = rendered.language  # after the parts: set_content drops Content-* headers
        out.append((msg, group))
    return out


def note_recipients(session: Session, note: Notification, partner: Partner | None,
                    settings: NotificationSettings) -> list[Recipient]:
    if note.kind == "digest":  # addressed to one channel manager, named in the event
        manager = str(note.payload.get("channel_manager") or "")
        return [Recipient(manager, manager.split("@")[0], settings.language, "channel_manager")] if manager else []
    return recipients_for(session, partner, note.kind, settings.roles(note.kind), settings.language)


class SmtpSender:
    """One SMTP connection for the run, opened at the first message."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.settings = smtp
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_bundle) if s.security != "none" else None
        try:
            client: smtplib.SMTP
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    client.starttls(context=context)
            if s.user:
                client.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpOutage(f"SMTP {s.host}:{s.port} refused the login of {s.user}: {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpOutage(f"cannot reach SMTP server {s.host}:{s.port}: {exc}") from None
        return client

    def send(self, msg: EmailMessage) -> None:
        """Send; SmtpOutage when the connection is the problem, SMTPException when the message is."""
        if self.client is None:
            self.client = self._connect()
        try:
            self.client.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code != 421:              # the server answered about this message
                raise
            self.client = None
            raise SmtpOutage(f"SMTP server {self.settings.host}:{self.settings.port} is closing: {exc}") from None
        except smtplib.SMTPRecipientsRefused:
            raise
        except OSError as exc:                    # SMTPServerDisconnected, a reset, a timeout
            self.client = None
            raise SmtpOutage(f"SMTP server {self.settings.host}:{self.settings.port} dropped the connection: "
                             f"{exc}") from None

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.client.quit()
            self.client = None


def pending_ids(session: Session, now: dt.datetime, only: Sequence[int] | None = None) -> list[int]:
    query = select(Notification.id).where(Notification.state == "pending").where(
        (col(Notification.next_attempt_at).is_(None)) | (col(Notification.next_attempt_at) <= now))
    if only:
        query = query.where(col(Notification.id).in_(list(only)))
    return [int(i) for i in session.exec(query.order_by(col(Notification.id))).all() if i is not None]


def sent_in_last_minute(session: Session, now: dt.datetime) -> int:
    return int(session.exec(select(func.count()).select_from(Notification).where(
        col(Notification.sent_at) > now - dt.timedelta(minutes=1))).one())


def send_pending(store: Store, settings: NotificationSettings, now: dt.datetime, *, dry_run_dir: Path | None = None,
                 attachments: AttachmentMaker | None = None, templates_dir: Path | None = None,
                 config: Config | None = None) -> DeliveryReport:
    """Scan, then deliver what is due. Each event commits alone, after its messages are accepted."""
    report = DeliveryReport()
    templates = Templates(templates_dir)
    smtp = settings.smtp
    if smtp is None and dry_run_dir is None:
        raise TemplateProblem("notifications.smtp is not configured: nothing can be sent (try --dry-run)")
    from_address = smtp.from_address if smtp else "prm-sync@localhost"
    reply_to = smtp.reply_to if smtp else None
    if dry_run_dir is None:
        with store.session(write=True) as session:
            scan(session, settings.policy(), now)
            if config is not None and settings.digest_weekday and digest_due(settings.digest_weekday, now):
                record_digests(session, config, settings.policy(), now)
    with store.session() as session:
        ids = pending_ids(session, now)
        budget = settings.rate_per_minute - sent_in_last_minute(session, now)
    sender = SmtpSender(smtp) if smtp is not None and dry_run_dir is None else None
    try:
        for position, event_id in enumerate(ids):
            if budget <= 0:
                report.rate_limited = len(ids) - position
                break
            with store.session() as session:
                note = session.get(Notification, event_id)
                assert note is not None
                try:
                    messages = build_messages(session, note, settings, templates, from_address, reply_to, attachments)
                except TemplateProblem as exc:
                    _retry_later(store, event_id, str(exc), now, settings, report)
                    continue
            if not messages:
                _give_up(store, event_id, "no recipient: the partner has no reachable contact and no channel "
                         "manager", report)
                continue
            if dry_run_dir is not None:
                for msg, _ in messages:
                    report.written.append(_write_eml(dry_run_dir, event_id, msg))
                report.messages += len(messages)
                continue
            assert sender is not None
            try:
                for msg, _ in messages:
                    sender.send(msg)
            except SmtpOutage as exc:
                report.outage = str(exc)
                break
            except smtplib.SMTPException as exc:
                _retry_later(store, event_id, f"the SMTP server refused it: {exc}", now, settings, report)
                continue
            with store.session(write=True) as session:  # the server has it: only now is it sent
                note = session.get(Notification, event_id)
                assert note is not None
                note.state, note.sent_at, note.attempts = "sent", now, note.attempts + 1
                note.recipients = [r.email for _, group in messages for r in group]
                note.last_error = None
                session.add(note)
            report.sent.append(event_id)
            report.messages += len(messages)
            budget -= len(messages)
    finally:
        if sender is not None:
            sender.close()
    if report.outage is not None:
        _note_outage(store, ids, report.outage)
    return report


def _write_eml(directory: Path, event_id: int, msg: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    language = str(msg["Content-Language"] or "en")
    path = directory / f"{event_id:06d}-{language}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(msg.as_bytes())
    os.replace(tmp, path)
    return path


def _retry_later(store: Store, event_id: int, reason: str, now: dt.datetime, settings: NotificationSettings,
                 report: DeliveryReport) -> None:
    with store.session(write=True) as session:
        note = session.get(Notification, event_id)
        assert note is not None
        note.attempts += 1
        note.last_error = reason
        if note.attempts >= settings.max_attempts:
            note.state = "failed"
            report.failed[event_id] = reason
        else:
            note.next_attempt_at = now + backoff(note.attempts)
            report.retrying[event_id] = reason
        session.add(note)


def _give_up(store: Store, event_id: int, reason: str, report: DeliveryReport) -> None:
    with store.session(write=True) as session:
        note = session.get(Notification, event_id)
        assert note is not None
        note.state, note.last_error = "failed", reason
        session.add(note)
    report.failed[event_id] = reason


def _note_outage(store: Store, ids: Sequence[int], reason: str) -> None:
    """Pending messages keep their place (no backoff: the server, not the message, failed)."""
    with store.session(write=True) as session:
        for note in session.exec(select(Notification).where(col(Notification.id).in_(list(ids)),
                                                            Notification.state == "pending")).all():
            note.last_error = reason
            session.add(note)


def outbox_counts(session: Session) -> dict[str, int]:
    """state -> count, for `prm-sync status`."""
    rows = session.exec(select(Notification.state, func.count()).group_by(Notification.state)).all()
    return {str(state): int(count) for state, count in rows}
