"""`prm-sync leads ...`: deal registration (register, import, list, approve, reject, extend, expire)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.confirm import BULK_THRESHOLD, bulk_options, confirm_bulk
from prm_sync.cli.render import RAW, render_rows
from prm_sync.config import RegistrationSettings
from prm_sync.domain.fields import REGISTRATION_STATUSES
from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.errors import EXIT_RECORD_ERRORS, UsageError
from prm_sync.ops.terminal_text import plain_line
from prm_sync.rules.registrations import expire_registrations, protection_of
from prm_sync.services.funds import attach_fund_request
from prm_sync.services.lead_import import ImportReport, import_leads
from prm_sync.services.registrations import (
    approve_registration,
    extend_registration,
    list_registrations,
    register_lead,
    reject_registration,
)
from prm_sync.store import Registration
from prm_sync.store.types import utcnow

LIST_COLUMNS = ("id", "partner", "company", "status", "estimated_value", "currency", "expected_close",
                "protected_until", "conflict_reason", "conflict_with")
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True)
AS_OF = click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
                     help="act as at this UTC date/time instead of now")


def _now(as_of: dt.datetime | None) -> dt.datetime:
    return as_of.replace(tzinfo=dt.UTC) if as_of else utcnow()


def _settings(app: App) -> RegistrationSettings:
    return app.config.registrations


def _notify(app: App) -> NotifyPolicy | None:
    """The outbox policy (None: no `notifications` block, nothing is recorded)."""
    return app.config.notifications.policy() if app.config.notifications else None


def _say(text: str) -> None:
    if not click.get_current_context().meta.get("quiet"):
        click.echo(text)


def _row(reg: Registration, partner: str, protection_days: int) -> dict[str, Any]:
    until = protection_of(reg).ends_at(protection_days) if reg.status in ("submitted", "approved") else None
    return {**reg.model_dump(), "partner": partner, "protected_until": until}


@click.group()
def leads() -> None:
    """Deal registration: partners register customers; conflicts are flagged; channel managers decide."""


@leads.command("register", epilog="Example: prm-sync leads register --partner 'Acme Partners' --company 'Globex "
               "Ltd' --contact 'Hank Scorpio' --email hank@globex.com --value 50000 --currency USD")
@click.option("--partner", required=True, help="partner id or name")
@click.option("--company", required=True, help="the customer company")
@click.option("--contact", help="contact's full name, split by registrations.name_order (default 'First Last')")
@click.option("--first-name", "first_name", help="contact's given name(s), instead of --contact")
@click.option("--last-name", "last_name", help="contact's family name, instead of --contact")
@click.option("--email")
@click.option("--website")
@click.option("--value", "estimated_value", help="estimated value, e.g. 50000.00")
@click.option("--currency", help="ISO 4217 code, e.g. USD")
@click.option("--close", "expected_close", help="expected close date YYYY-MM-DD")
@click.option("--products", help="products, e.g. 'Software;Services'")
@click.option("--fund-request", "fund_request", help="the MDF request (id or id prefix) whose activity produced it")
@click.pass_obj
def register(app: App, fund_request: str | None, **fields: str | None) -> None:
    """Register a deal for a partner; a channel conflict is flagged (and shown), not refused."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        reg, conflicts = register_lead(session, fields, _settings(local), utcnow(), _notify(local))
        if fund_request:
            attach_fund_request(session, reg, fund_request)
        reg_id = reg.id
    _say(f"registered {reg_id} ({fields['company']})")
    for conflict in conflicts:
        click.echo(plain_line(f"conflict: {conflict.reason}: {conflict.message}"), err=True)


@leads.command("import", epilog="Example: prm-sync leads import registrations.csv --strict\n\n"
               "Columns: partner, company, contact (or first_name + last_name), email, website, "
               "estimated_value, currency, expected_close, products. Rerunning a file is safe: a row whose "
               "partner, company and contact email were imported before is skipped, or updates its "
               "registration while that is still submitted.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--strict", is_flag=True, help="import nothing unless every row is valid")
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]),
              help="the column separator (default: found from the header line)")
@click.pass_context
def import_(ctx: click.Context, file: Path, strict: bool, delimiter: str | None) -> None:
    """Import registrations from a CSV file (UTF-8, header row) in one transaction."""
    local = ctx.obj.local()
    try:
        stream = sys.stdin if str(file) == "-" else file.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    separator = "\t" if delimiter == "tab" else delimiter
    with stream, local.open_store() as store, store.session(write=True) as session:
        try:
            report = import_leads(session, stream, _settings(local), utcnow(), strict=strict,
                                  delimiter=separator, source=str(file))
        except UnicodeDecodeError:
            raise UsageError(f"{file} is not UTF-8 text") from None
    for line, reason in report.errors:
        click.echo(f"{file}:{line}: {reason}", err=True)
    if report.strict_refused:
        click.echo(f"--strict: {len(report.errors)} invalid rows, nothing imported", err=True)
    else:
        for line, note in sorted(report.updates + report.already):
            _say(f"{file}:{line}: {note}")
        _say(_summary(report))
    ctx.exit(EXIT_RECORD_ERRORS if report.errors else 0)


def _summary(report: ImportReport) -> str:
    parts = [f"imported {report.imported}"]
    if report.updated:
        parts.append(f"updated {report.updated}")
    if report.already:
        parts.append(f"already imported {len(report.already)}")
    parts += [f"invalid {len(report.errors)}", f"flagged as conflicts {report.flagged}"]
    return ", ".join(parts)


@leads.command("list", epilog="Example: prm-sync leads list --status submitted --conflicts")
@click.option("--status", type=click.Choice(REGISTRATION_STATUSES))
@click.option("--partner", help="partner id or name")
@click.option("--conflicts", "conflicts_only", is_flag=True, help="only registrations flagged with a conflict")
@FORMAT
@RAW
@click.pass_obj
def list_(app: App, status: str | None, partner: str | None, conflicts_only: bool, fmt: str) -> None:
    """List registrations, newest first (open ones past their protection are expired first)."""
    local = app.local()
    settings = _settings(local)
    with local.open_store() as store, store.session(write=True) as session:
        expire_registrations(session, utcnow(), protection_days=settings.protection_days, notify=_notify(local))
        rows = [_row(reg, name, settings.protection_days)
                for reg, name in list_registrations(session, status=status, partner=partner,
                                                    conflicts_only=conflicts_only)]
    render_rows(rows, LIST_COLUMNS, fmt, title="Registrations",
                priority=("id", "partner", "company", "status", "conflict_reason", "protected_until"))


@leads.command("approve", epilog="Example: prm-sync leads approve 3f2a9c")
@click.argument("registration")
@click.option("--force", is_flag=True, help="approve even if the registration is in conflict")
@click.option("--note", help="kept as the status reason")
@click.pass_obj
def approve(app: App, registration: str, force: bool, note: str | None) -> None:
    """Approve a registration (by id or id prefix): its protection period starts now."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        reg = approve_registration(session, registration, _settings(local), utcnow(), force=force, note=note,
                                   notify=_notify(local))
        shown = f"approved {reg.id}, protected until {reg.expires_at:%Y-%m-%d}"
    _say(shown)


@leads.command("reject", epilog="Example: prm-sync leads reject 3f2a9c --reason 'existing customer'")
@click.argument("registration")
@click.option("--reason", required=True)
@click.pass_obj
def reject(app: App, registration: str, reason: str) -> None:
    """Reject a registration, with a reason."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        reg_id = reject_registration(session, registration, reason, notify=_notify(local), now=utcnow()).id
    _say(f"rejected {reg_id}")


@leads.command("extend", epilog="Example: prm-sync leads extend 3f2a9c --days 30")
@click.argument("registration")
@click.option("--days", type=click.IntRange(min=1), required=True)
@click.pass_obj
def extend(app: App, registration: str, days: int) -> None:
    """Extend an open registration's protection period."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        reg = extend_registration(session, registration, days, _settings(local), utcnow())
        shown = f"extended {reg.id} until {reg.extended_until:%Y-%m-%d}"
    _say(shown)


@leads.command("expire", epilog="\b\nExamples:\n  prm-sync leads expire\n"
               "  prm-sync leads expire --as-of 2026-12-31 --dry-run   # what a date to come would expire")
@AS_OF
@bulk_options
@click.pass_context
def expire(ctx: click.Context, as_of: dt.datetime | None, dry_run: bool, yes: bool) -> None:
    """Expire open registrations whose protection period has ended (sync and `leads list` do it too).

    With --as-of a date to come, more than 20 registrations are expired only after a confirmation
    (--yes without a terminal); --dry-run lists them and changes nothing."""
    local = ctx.obj.local()
    now, when = utcnow(), _now(as_of)
    days = _settings(local).protection_days
    routine = as_of is None or when <= now  # protection over by now: what every sync does anyway
    with local.open_store() as store:
        if dry_run or not routine:
            with store.session() as session:  # the preview, rolled back
                ids = expire_registrations(session, when, protection_days=days)
                session.rollback()
            if dry_run and not ctx.meta.get("quiet"):
                for reg_id in ids:
                    click.echo(f"would expire {reg_id}")
            if not confirm_bulk(ctx, len(ids), "registrations to expire", dry_run, yes,
                                threshold=None if routine else BULK_THRESHOLD):
                return
        with store.session(write=True) as session:
            ids = expire_registrations(session, when, protection_days=days, notify=_notify(local))
    _say(f"expired {len(ids)}")
