"""`prm-sync partners contracts ...`: partner agreements, renewals due, renewal runs."""

from __future__ import annotations

import datetime as dt

import click

from prm_sync.app import App
from prm_sync.cli.deferred import deferred
from prm_sync.cli.render import RAW, render_rows

# Loaded on first call: `partners contracts --help` needs neither the services nor the store.
add_contract = deferred("prm_sync.services.contracts", "add_contract")
list_contracts = deferred("prm_sync.services.contracts", "list_contracts")
renew_contracts = deferred("prm_sync.rules.contracts", "renew_contracts")
utcnow = deferred("prm_sync.store.types", "utcnow")

DATE = click.DateTime(formats=["%Y-%m-%d"])
COLUMNS = ("id", "partner", "starts_on", "ends_on", "auto_renew", "notice_days", "notice_deadline", "state", "due")


def _today(as_of: dt.datetime | None) -> dt.date:
    return as_of.date() if as_of else utcnow().date()


@click.group("contracts", invoke_without_command=True,
             epilog="Examples:\n\n  prm-sync partners contracts --due 30\n\n"
                    "  prm-sync partners contracts add 'Acme Partners' --start 2026-01-01 --end 2026-12-31 "
                    "--auto-renew --notice-days 60\n\n  prm-sync partners contracts renew")
@click.option("--due", "due_within", type=click.IntRange(min=0),
              help="only renewals due: end or notice deadline within N days")
@click.option("--partner", help="one partner's contracts (id or name)")
@click.option("--as-of", type=DATE, help="count days from this date (YYYY-MM-DD) instead of today")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_context
def contracts(ctx: click.Context, due_within: int | None, partner: str | None, as_of: dt.datetime | None,
              fmt: str) -> None:
    """Partner contracts: list them (or the renewals due), add one, run renewals."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    with app.local().open_store() as store, store.session() as session:
        rows = list_contracts(session, partner=partner, due_within=due_within, today=_today(as_of))
    render_rows(rows, COLUMNS, fmt, title="Contracts due" if due_within is not None else "Contracts")


@contracts.command("add")
@click.argument("partner")
@click.option("--start", type=DATE, required=True, help="YYYY-MM-DD")
@click.option("--end", type=DATE, help="YYYY-MM-DD (inclusive); none: open-ended")
@click.option("--auto-renew/--no-auto-renew", default=False, show_default=True)
@click.option("--notice-days", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--terms-url", help="link to the signed terms")
@click.pass_obj
def add(app: App, partner: str, start: dt.datetime, end: dt.datetime | None, auto_renew: bool, notice_days: int,
        terms_url: str | None) -> None:
    """Add a contract to a partner."""
    with app.local().open_store() as store, store.session(write=True) as session:
        contract = add_contract(session, partner, starts_on=start.date(), ends_on=end.date() if end else None,
                                auto_renew=auto_renew, notice_days=notice_days, terms_url=terms_url)
        contract_id = contract.id
    if not click.get_current_context().meta.get("quiet"):
        click.echo(f"added contract {contract_id}")


@contracts.command("renew")
@click.option("--as-of", type=DATE, help="run as on this date (YYYY-MM-DD) instead of today")
@click.pass_obj
def renew(app: App, as_of: dt.datetime | None) -> None:
    """Renew auto-renewing contracts that reached their end date; expire the others (partner flagged)."""
    with app.local().open_store() as store, store.session(write=True) as session:
        report = renew_contracts(session, _today(as_of))
    if not click.get_current_context().meta.get("quiet"):
        click.echo(f"renewed {len(report.renewed)}, expired {len(report.expired)}")
