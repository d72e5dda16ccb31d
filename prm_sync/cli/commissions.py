"""`prm-sync commissions ...`: calculate, list, explain, approve, pay, export (the payout file)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.confirm import bulk_options, confirm_bulk
from prm_sync.cli.render import RAW, csv_raw, render_record, render_rows
from prm_sync.domain.fields import COMMISSION_STATUSES
from prm_sync.ops.terminal_text import strip_controls
from prm_sync.services.commissions import (
    PAYOUT_COLUMNS,
    LineNames,
    approve_lines,
    calculate_commissions,
    find_line,
    list_lines,
    pay_lines,
    payout_rows,
    period_arg,
    require_settings,
)
from prm_sync.services.partner_lookup import resolve_partner
from prm_sync.util.safe_csv import write_csv

LIST_COLUMNS = ("id", "period", "partner", "deal", "kind", "status", "currency", "amount", "plan", "partner_id",
                "deal_id", "component")
PERIOD_HELP = "2026-Q3 (quarter), 2026-07 (month) or 2026 (year)"


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().meta.get("quiet"))


def _row(line: Any, names: LineNames) -> dict[str, Any]:
    """A line as shown: the partner's and the deal's names beside their ids."""
    partner, deal = names.of(line)
    return {**{c: getattr(line, c) for c in LIST_COLUMNS if hasattr(line, c)}, "partner": partner, "deal": deal}


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
    settings = require_settings(local.config)
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
@click.option("--partner", "partner_key", help="partner id or name")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def list_(app: App, period: str | None, status: str | None, partner_key: str | None, fmt: str) -> None:
    """List live commission lines."""
    scope = period_arg(period)
    with app.local().open_store() as store, store.session() as session:
        partner_id = resolve_partner(session, partner_key).id if partner_key else None
        lines = list_lines(session, period=scope, status=status, partner_id=partner_id)
        names = LineNames(session, lines)
        rows = [_row(x, names) for x in lines]
    render_rows(rows, LIST_COLUMNS, fmt, title="Commission lines")


@commissions.command("explain", epilog="Example: prm-sync commissions explain 3f2a9c1d")
@click.argument("line_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def explain(app: App, line_id: str, fmt: str) -> None:
    """Show one line and how its amount was reached (plan, schedule, slices, bonus, accelerator, caps, rounding)."""
    with app.local().open_store() as store, store.session() as session:
        line = find_line(session, line_id)
        record = {**_row(line, LineNames(session, [line])), "calculated_at": line.calculated_at,
                  "approved_at": line.approved_at, "paid_at": line.paid_at}
        text = line.explanation or ""
    if fmt == "json":
        render_record({**record, "explanation": text}, "json")
        return
    render_record(record, "text")
    click.echo("")
    click.echo(strip_controls(text))


@commissions.command("approve", epilog="Example: prm-sync commissions approve 3f2a9c1d 77b0e2aa")
@click.argument("line_ids", nargs=-1, required=True)
@bulk_options
@click.pass_context
def approve(ctx: click.Context, line_ids: tuple[str, ...], dry_run: bool, yes: bool) -> None:
    """Approve lines (calculated or clawback); the next sync pushes the status to the CRM.
    More than 20 lines: asks first (--yes without a terminal); --dry-run changes nothing."""
    _change_lines(ctx, line_ids, approve_lines, "lines to approve", "approved {n} line(s)", dry_run, yes)


@commissions.command("pay", epilog="Example: prm-sync commissions pay 3f2a9c1d")
@click.argument("line_ids", nargs=-1, required=True)
@bulk_options
@click.pass_context
def pay(ctx: click.Context, line_ids: tuple[str, ...], dry_run: bool, yes: bool) -> None:
    """Mark approved lines paid; the next sync pushes the status to the CRM.
    More than 20 lines: asks first (--yes without a terminal); --dry-run changes nothing."""
    _change_lines(ctx, line_ids, pay_lines, "lines to mark paid", "marked {n} line(s) paid", dry_run, yes)


def _change_lines(ctx: click.Context, line_ids: tuple[str, ...], change: Callable[..., list[Any]], what: str,
                  done_text: str, dry_run: bool, yes: bool) -> None:
    """Check the lines (an unknown id or a refused step fails before anything), confirm, then change."""
    with ctx.obj.local().open_store() as store:
        with store.session() as session:  # the preview, rolled back
            changing = [f"{x.id} {x.status}" for x in change(session, line_ids)]
            session.rollback()
        if dry_run and not _quiet():
            for line in changing:
                click.echo(f"would change {line}")
        if not confirm_bulk(ctx, len(changing), what, dry_run, yes):
            return
        with store.session(write=True) as session:
            done = [x.id for x in change(session, line_ids)]
    if not _quiet():
        click.echo(done_text.format(n=len(done)))


@commissions.command("export", epilog="Example: prm-sync commissions export --period 2026-Q3 --out payout.csv")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--status", "statuses", multiple=True, type=click.Choice(("approved", "paid")), default=("approved",),
              show_default=True, help="which lines to include (repeat for several)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file (default stdout)")
@RAW
@click.pass_obj
def export(app: App, period: str, fmt: str, statuses: tuple[str, ...], out: Path | None) -> None:
    """The payout file: one row per line to pay, amounts as exact decimal text."""
    scope = period_arg(period)
    assert scope is not None
    with app.local().open_store() as store, store.session() as session:
        rows = payout_rows(session, scope, statuses)
    buffer = io.StringIO()
    write_csv(buffer, PAYOUT_COLUMNS, rows, raw=csv_raw())
    if out is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        if not _quiet():
            click.echo(f"wrote {len(rows)} line(s) to {out}")


@commissions.command("statement", epilog="Examples:\n\n"
                     "  prm-sync commissions statement --partner 'Acme Partners' --period 2026-Q3 --out q3.html\n\n"
                     "  prm-sync commissions statement --partner 'Acme Partners' --period 2026-Q3 --format csv\n\n"
                     "  prm-sync commissions statement --partner 'Acme Partners' --period 2026-Q3 --notify")
@click.option("--partner", "partner_key", required=True, help="partner id or name")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file (default stdout)")
@click.option("--notify", is_flag=True, help="queue the \"statement ready\" email (HTML body, CSV attached)")
@click.pass_obj
def statement_cmd(app: App, partner_key: str, period: str, fmt: str, out: Path | None, notify: bool) -> None:
    """One partner's commission statement: each line with deal, rule and explanation, clawbacks, totals
    per currency."""
    from prm_sync.services.notify_render import Templates
    from prm_sync.services.statements import find_statement, notify_statement, statement_csv
    from prm_sync.store.types import utcnow

    local = app.local()
    with local.open_store() as store, store.session(write=notify) as session:
        data = find_statement(session, partner_key, period)
        queued = None
        if notify:
            settings = local.config.notifications
            queued = notify_statement(session, settings.policy() if settings else None, data, utcnow())
    if fmt == "csv":
        text = statement_csv(data)
    else:
        template = Templates().html.get_template("statement_page.j2")
        render = template.blocks["html"]
        text = "".join(render(template.new_context(data)))
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        if not _quiet():
            click.echo(f"wrote {len(data['lines'])} line(s) to {out}")
    if notify and not _quiet():
        click.echo("statement ready: queued for `prm-sync notify send`" if queued is not None
                   else "statement ready: already queued for this partner and period", err=True)
