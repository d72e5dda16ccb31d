"""`prm-sync partners ...`: the partner registry."""

from __future__ import annotations

import datetime as dt
import getpass

import click

from prm_sync.app import App
from prm_sync.cli.render import render_record, render_rows
from prm_sync.domain.fields import PARTNER_STATUSES, PARTNER_TIERS
from prm_sync.services.partners import add_partner, find_partner, list_partners

LIST_COLUMNS = ("id", "name", "tier", "status", "country", "channel_manager")


def actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@click.group()
def partners() -> None:
    """The partner registry: add, list, show."""


@partners.command("add", epilog='Example: prm-sync partners add "Acme Partners" --tier gold --country US')
@click.argument("name")
@click.option("--tier", type=click.Choice(PARTNER_TIERS), default="registered", show_default=True)
@click.option("--status", type=click.Choice(PARTNER_STATUSES), default="prospect", show_default=True)
@click.option("--country", help="ISO 3166 two-letter code, e.g. US")
@click.option("--website")
@click.option("--channel-manager", help="email of the channel manager")
@click.option("--joined-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.pass_obj
@click.pass_context
def add(ctx: click.Context, app: App, name: str, tier: str, status: str, country: str | None,
        website: str | None, channel_manager: str | None, joined_on: dt.datetime | None) -> None:
    """Add a partner; it is pushed to the CRM by the next sync."""
    with app.local().open_store() as store, store.session(write=True) as session:
        partner = add_partner(
            session, name=name, tier=tier, status=status, country=country, website=website,
            channel_manager=channel_manager, joined_on=joined_on.date() if joined_on else None, actor=actor(),
        )
        partner_id = partner.id
    if not ctx.meta.get("quiet"):
        click.echo(f"added partner {partner_id} {name!r}")


@partners.command("list", epilog="Example: prm-sync partners list --tier gold --format csv")
@click.option("--status", type=click.Choice(PARTNER_STATUSES))
@click.option("--tier", type=click.Choice(PARTNER_TIERS))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_obj
def list_(app: App, status: str | None, tier: str | None, fmt: str) -> None:
    """List partners (deleted ones are left out)."""
    with app.local().open_store() as store, store.session() as session:
        rows = [p.model_dump() for p in list_partners(session, status=status, tier=tier)]
    render_rows(rows, LIST_COLUMNS, fmt, title="Partners")


@partners.command("show", epilog="Example: prm-sync partners show 'Acme Partners'")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def show(app: App, key: str, fmt: str) -> None:
    """Show one partner, by id or by name."""
    with app.local().open_store() as store, store.session() as session:
        partner = find_partner(session, key).model_dump()
    order = ("id", "name", "tier", "status", "country", "website", "phone", "industry", "joined_on",
             "channel_manager", "territories", "created_at", "updated_at", "deleted_at", "deleted_reason")
    render_record({k: partner.get(k) for k in order}, fmt)
