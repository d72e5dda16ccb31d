"""`prm-sync commissions ...`: calculate, list, explain, approve, pay, export (the payout file)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.render import render_record, render_rows
from prm_sync.domain.fields import COMMISSION_STATUSES
from prm_sync.services.commissions import (
    PAYOUT_COLUMNS,
    approve_lines,
    calculate_commissions,
    find_line,
    list_lines,
    pay_lines,
    payout_rows,
    period_arg,
    require_settings,
)

LIST_COLUMNS = ("id", "period", "partner_id", "deal_id", "kind", "status", "currency", "amount", "plan", "component")
PERIOD_HELP = "2026-Q3 (quarter), 2026-07 (month) or 2026 (year)"


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().meta.get("quiet"))


def _row(line: Any) -> dict[str, Any]:
    return {c: getattr(line, c) for c in LIST_COLUMNS}


@click.group()
def commissions() -> None:
    """Commission lines from closed-won partner deals: calculate, review, approve, pay, export."""


@commissions.command("calculate", epilog="Example: prm-sync commissions calculate --period 2026-Q3")
@click.option("--period", help=f"only deals closing in (or with lines in) this period: {PERIOD_HELP}")
@click.pass_obj
def calculate(app: App, period: str | None) -> None:
    """Calculate commission lines for won deals; rerunning changes nothing unless a deal changed.

    Approved and paid lines are never modified: a deal that earns less afterwards gets one
    negative clawback line, one that earns more an adjustment line."""
    local = app.local()
    settings = require_settings(local.config.commissions)
    scope = period_arg(period)
    with local.open_store() as store, store.session(write=True) as session:
        report = calculate_commissions(session, settings, period=scope)
    if not _quiet():
        click.echo(f"{report.deals} deals: {report.created} lines created ({report.clawbacks} clawbacks), "
                   f"{report.updated} updated, {report.retired} retired")
    for deal_id, reason in report.problems:
        click.echo(f"deal {deal_id}: not calculated: {reason}", err=True)
    if report.problems:
        click.get_current_context().exit(1)


@commissions.command("list", epilog="Example: prm-sync commissions list --period 2026-Q3 --status calculated")
@click.option("--period", help=PERIOD_HELP)
@click.option("--status", type=click.Choice(COMMISSION_STATUSES))
@click.option("--partner", "partner_id", help="partner id")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_obj
def list_(app: App, period: str | None, status: str | None, partner_id: str | None, fmt: str) -> None:
    """List live commission lines."""
    scope = period_arg(period)
    with app.local().open_store() as store, store.session() as session:
        rows = [_row(x) for x in list_lines(session, period=scope, status=status, partner_id=partner_id)]
    render_rows(rows, LIST_COLUMNS, fmt, title="Commission lines")


@commissions.command("explain", epilog="Example: prm-sync commissions explain 3f2a9c1d")
@click.argument("line_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def explain(app: App, line_id: str, fmt: str) -> None:
    """Show one line and how its amount was reached (plan, schedule, slices, bonus, accelerator, caps, rounding)."""
    with app.local().open_store() as store, store.session() as session:
        line = find_line(session, line_id)
        record = {**_row(line), "calculated_at": line.calculated_at, "approved_at": line.approved_at,
                  "paid_at": line.paid_at}
        text = line.explanation or ""
    if fmt == "json":
        render_record({**record, "explanation": text}, "json")
        return
    render_record(record, "text")
    click.echo("")
    click.echo(text)


@commissions.command("approve", epilog="Example: prm-sync commissions approve 3f2a9c1d 77b0e2aa")
@click.argument("line_ids", nargs=-1, required=True)
@click.pass_obj
def approve(app: App, line_ids: tuple[str, ...]) -> None:
    """Approve lines (calculated or clawback); the next sync pushes the status to the CRM."""
    with app.local().open_store() as store, store.session(write=True) as session:
        done = [x.id for x in approve_lines(session, line_ids)]
    if not _quiet():
        click.echo(f"approved {len(done)} line(s)")


@commissions.command("pay", epilog="Example: prm-sync commissions pay 3f2a9c1d")
@click.argument("line_ids", nargs=-1, required=True)
@click.pass_obj
def pay(app: App, line_ids: tuple[str, ...]) -> None:
    """Mark approved lines paid; the next sync pushes the status to the CRM."""
    with app.local().open_store() as store, store.session(write=True) as session:
        done = [x.id for x in pay_lines(session, line_ids)]
    if not _quiet():
        click.echo(f"marked {len(done)} line(s) paid")


@commissions.command("export", epilog="Example: prm-sync commissions export --period 2026-Q3 --out payout.csv")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--status", "statuses", multiple=True, type=click.Choice(("approved", "paid")), default=("approved",),
              show_default=True, help="which lines to include (repeat for several)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file (default stdout)")
@click.pass_obj
def export(app: App, period: str, fmt: str, statuses: tuple[str, ...], out: Path | None) -> None:
    """The payout file: one row per line to pay, amounts as exact decimal text."""
    scope = period_arg(period)
    assert scope is not None
    with app.local().open_store() as store, store.session() as session:
        rows = payout_rows(session, scope, statuses)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PAYOUT_COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else format(row[c], "f") if c == "amount" else row[c]
                         for c in PAYOUT_COLUMNS])
    if out is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        if not _quiet():
            click.echo(f"wrote {len(rows)} line(s) to {out}")
