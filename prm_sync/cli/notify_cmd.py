"""`prm-sync notify ...`: deliver, list and preview partner notifications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from prm_sync.app import App
from prm_sync.cli.render import RAW, render_rows
from prm_sync.domain.notifications import Kind
from prm_sync.errors import EXIT_RECORD_ERRORS, UsageError
from prm_sync.notify_config import NotificationSettings
from prm_sync.store.types import utcnow

LIST_COLUMNS = ("id", "kind", "partner", "subject_id", "threshold", "state", "attempts", "occurred_at",
                "next_attempt_at", "sent_at", "last_error")


def _settings(app: App) -> NotificationSettings:
    settings = app.config.notifications
    if settings is None:
        raise UsageError(f"{app.config.source}: no `notifications` block: nothing is recorded or sent "
                         "(see docs/notifications.md)")
    return settings


def _say(text: str) -> None:
    if not click.get_current_context().meta.get("quiet"):
        click.echo(text)


@click.group("notify", epilog="Examples:\n\n  prm-sync notify send\n\n"
             "  prm-sync notify send --dry-run --out outbox/\n\n"
             "  prm-sync notify list --state pending\n\n"
             "  prm-sync notify preview registration_approved --partner 'Acme Partners' --language vi")
def notify() -> None:
    """Partner notifications: deliver pending emails, list the outbox, preview a template."""


@notify.command("send")
@click.option("--dry-run", is_flag=True, help="write .eml files instead of sending; mark nothing sent")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outbox-preview"),
              show_default=True, help="where --dry-run writes the .eml files")
@click.pass_context
def send(ctx: click.Context, dry_run: bool, out_dir: Path) -> None:
    """Deliver pending notifications over SMTP (exit 1 when some could not be delivered)."""
    from prm_sync.services.notify_delivery import send_pending
    from prm_sync.services.notify_render import templates_dir_of

    local = ctx.obj.local()
    settings = _settings(local)
    with local.open_store() as store:
        report = send_pending(store, settings, utcnow(), dry_run_dir=out_dir if dry_run else None,
                              templates_dir=templates_dir_of(settings.templates_dir, local.config.base_dir),
                              config=local.config)
    if dry_run:
        _say(f"dry run: wrote {len(report.written)} message(s) to {out_dir}; nothing marked sent")
    else:
        _say(f"sent {report.messages} message(s) for {len(report.sent)} notification(s)")
    if report.rate_limited:
        _say(f"rate limit ({settings.rate_per_minute}/minute): {report.rate_limited} left for the next run")
    for event_id, reason in sorted({**report.retrying, **report.failed}.items()):
        state = "failed" if event_id in report.failed else "will retry"
        click.echo(f"notification {event_id}: {state}: {reason}", err=True)
    if report.outage:
        click.echo(f"error: {report.outage}; messages stay pending for the next run", err=True)
    ctx.exit(0 if report.ok else EXIT_RECORD_ERRORS)


@notify.command("digest")
@click.pass_obj
def digest(app: App) -> None:
    """Queue this week's digest for every channel manager now (`notify send` does it on
    notifications.digest_weekday); once per manager and week."""
    from prm_sync.services.notify_digest import record_digests

    local = app.local()
    settings = _settings(local)
    with local.open_store() as store, store.session(write=True) as session:
        count = record_digests(session, local.config, settings.policy(), utcnow())
    _say(f"queued {count} digest(s)")


@notify.command("list")
@click.option("--state", type=click.Choice(["pending", "sent", "failed", "dropped"]))
@click.option("--kind", type=click.Choice([k.value for k in Kind]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def list_cmd(app: App, state: str | None, kind: str | None, fmt: str) -> None:
    """List the outbox, newest first."""
    from sqlmodel import col, select

    from prm_sync.store import Notification, Partner

    with app.local().open_store() as store, store.session() as session:
        query = select(Notification, Partner.name).join(Partner, col(Partner.id) == col(Notification.partner_id),
                                                        isouter=True)
        if state:
            query = query.where(Notification.state == state)
        if kind:
            query = query.where(Notification.kind == kind)
        rows = [{**note.model_dump(), "partner": name or ""}
                for note, name in session.exec(query.order_by(col(Notification.id).desc())).all()]
    render_rows(rows, LIST_COLUMNS, fmt, title="Notifications")


@notify.command("preview")
@click.argument("kind", type=click.Choice([k.value for k in Kind]))
@click.option("--partner", "partner_key", required=True, help="partner id or name")
@click.option("--language", help="template language (default: notifications.language)")
@click.option("--html", "as_html", is_flag=True, help="show the HTML part instead of the text part")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="write the whole message (.eml) to this file instead")
@click.pass_obj
def preview(app: App, kind: str, partner_key: str, language: str | None, as_html: bool, out_file: Path | None) -> None:
    """Render KIND for a partner with sample event data (nothing is recorded or sent)."""
    from prm_sync.ops.terminal_text import plain_line
    from prm_sync.services.notify_render import Templates, sample_context, templates_dir_of
    from prm_sync.services.partner_lookup import resolve_partner

    local = app.local()
    settings = _settings(local)
    with local.open_store() as store, store.session() as session:
        partner = resolve_partner(session, partner_key)
        context = {**sample_context(kind), "partner": {"id": partner.id, "name": partner.name}}
    templates = Templates(templates_dir_of(settings.templates_dir, local.config.base_dir))
    rendered = templates.render(kind, language or settings.language, context)
    if out_file is not None:
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["Subject"] = rendered.subject
        msg["From"] = settings.smtp.from_address if settings.smtp else "prm-sync@localhost"
        msg["Date"] = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        msg.set_content(rendered.text, charset="utf-8")
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
        out_file.write_bytes(msg.as_bytes())
        _say(f"wrote {out_file}")
        return
    click.echo(plain_line(f"Subject: {rendered.subject}"))
    click.echo("")
    click.echo(rendered.html if as_html else rendered.text, nl=False)
