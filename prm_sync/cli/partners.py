"""`prm-sync partners ...`: the partner registry."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.deferred import deferred
from prm_sync.cli.partner_contracts import contracts
from prm_sync.cli.render import RAW, plain, render_record, render_rows
from prm_sync.domain.fields import PARTNER_STATUSES
from prm_sync.ops.terminal_text import plain_line

# Loaded on first call: `partners --help` needs neither the services nor the store (issue 17).
_PARTNERS, _CONTRACTS = "prm_sync.services.partners", "prm_sync.services.contracts"
add_certification = deferred(_PARTNERS, "add_certification")
add_partner = deferred(_PARTNERS, "add_partner")
assign_partner = deferred(_PARTNERS, "assign_partner")
certifications = deferred(_PARTNERS, "certifications")
find_partner = deferred(_PARTNERS, "find_partner")
list_partners = deferred(_PARTNERS, "list_partners")
set_partner_status = deferred(_PARTNERS, "set_partner_status")
set_partner_tier = deferred(_PARTNERS, "set_partner_tier")
status_history = deferred(_PARTNERS, "status_history")
contract_flags = deferred(_CONTRACTS, "contract_flags")
list_contracts = deferred(_CONTRACTS, "list_contracts")
utcnow = deferred("prm_sync.store.types", "utcnow")

LIST_COLUMNS = ("id", "name", "tier", "status", "country", "channel_manager", "territories", "flag")
SHOW_ORDER = ("id", "name", "tier", "status", "flag", "country", "website", "phone", "industry", "joined_on",
              "channel_manager", "territories", "created_at", "updated_at", "deleted_at", "deleted_reason")
DATE = click.DateTime(formats=["%Y-%m-%d"])
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True)


def actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def quiet() -> bool:
    return bool(click.get_current_context().meta.get("quiet"))


@click.group()
def partners() -> None:
    """The partner registry: add, list, show, lifecycle, tiers, territories, contracts."""


@partners.command("add", epilog='Example: prm-sync partners add "Acme Partners" --tier gold --country US')
@click.argument("name")
@click.option("--tier", default="registered", show_default=True, help="one of config partners.tiers")
@click.option("--status", type=click.Choice(PARTNER_STATUSES), default="prospect", show_default=True)
@click.option("--country", help="ISO 3166 two-letter code, e.g. US")
@click.option("--website")
@click.option("--channel-manager", help="email of the channel manager")
@click.option("--territories", help="countries, subdivisions, regions: 'US,US-CA,EMEA'")
@click.option("--joined-on", type=DATE, help="YYYY-MM-DD")
@click.pass_obj
def add(app: App, name: str, tier: str, status: str, country: str | None, website: str | None,
        channel_manager: str | None, territories: str | None, joined_on: dt.datetime | None) -> None:
    """Add a partner; it is pushed to the CRM by the next sync."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        partner = add_partner(
            session, name=name, tier=tier, status=status, country=country, website=website,
            channel_manager=channel_manager, joined_on=joined_on.date() if joined_on else None, actor=actor(),
            territories=territories, tiers=local.config.partners.tiers,
        )
        partner_id = partner.id
    if not quiet():
        click.echo(f"added partner {partner_id} {name!r}")


@partners.command("list", epilog="Example: prm-sync partners list --tier gold --format csv")
@click.option("--status", type=click.Choice(PARTNER_STATUSES))
@click.option("--tier")
@click.option("--flagged", is_flag=True, help="only partners with a flag (e.g. an expired contract)")
@FORMAT
@RAW
@click.pass_obj
def list_(app: App, status: str | None, tier: str | None, flagged: bool, fmt: str) -> None:
    """List partners (deleted ones are left out); `flag` tells of an expired contract."""
    with app.local().open_store() as store, store.session() as session:
        found = list_partners(session, status=status, tier=tier.lower() if tier else None)
        flags = contract_flags(session, [p.id for p in found], utcnow().date())
        rows = [{**p.model_dump(), "flag": flags.get(p.id)} for p in found]
    if flagged:
        rows = [r for r in rows if r["flag"]]
    render_rows(rows, LIST_COLUMNS, fmt, title="Partners", priority=("id", "name", "tier", "status", "flag"))


@partners.command("show", epilog="Example: prm-sync partners show 'Acme Partners'")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def show(app: App, key: str, fmt: str) -> None:
    """Show one partner, by id or by name, with its status history, certifications and contracts."""
    today = utcnow().date()
    with app.local().open_store() as store, store.session() as session:
        partner = find_partner(session, key)
        record: dict[str, Any] = {k: partner.model_dump().get(k) for k in SHOW_ORDER}
        record["flag"] = contract_flags(session, [partner.id], today).get(partner.id)
        history = [{"at": c.at, "from": c.from_status, "to": c.to_status, "reason": c.reason, "actor": c.actor}
                   for c in status_history(session, partner.id)]
        certs = [{"name": c.name, "earned_on": c.earned_on, "expires_on": c.expires_on,
                  "valid": c.expires_on is None or c.expires_on >= today} for c in certifications(session, partner.id)]
        contracts = [{k: c[k] for k in ("id", "starts_on", "ends_on", "auto_renew", "notice_days", "state",
                                        "terms_url")} for c in list_contracts(session, partner=partner.id, today=today)]
    if fmt == "json":
        sections = {"status_history": history, "certifications": certs, "contracts": contracts}
        render_record({**record, **{k: [{f: plain(v) for f, v in row.items()} for row in rows]
                                    for k, rows in sections.items()}}, "json")
        return
    render_record(record, "text")
    for title, rows in (("status history", history), ("certifications", certs), ("contracts", contracts)):
        if rows:
            click.echo(f"\n{title}:")
            for row in rows:
                click.echo("  " + "  ".join("" if v is None else plain_line(plain(v)) for v in row.values()))


@partners.command("set-status",
                  epilog="Example: prm-sync partners set-status 'Acme Partners' suspended --reason 'unpaid fees'")
@click.argument("key")
@click.argument("status", type=click.Choice(PARTNER_STATUSES))
@click.option("--reason", required=True, help="why (kept in the status history)")
@click.pass_obj
def set_status(app: App, key: str, status: str, reason: str) -> None:
    """Move a partner through its lifecycle: prospect -> onboarding -> active <-> suspended; any -> terminated."""
    with app.local().open_store() as store, store.session(write=True) as session:
        change = set_partner_status(session, key, status, reason=reason, actor=actor())
        before = change.from_status
    if not quiet():
        click.echo(f"partner {key!r}: {before} -> {status}")


@partners.command("set-tier", epilog="Example: prm-sync partners set-tier 'Acme Partners' gold")
@click.argument("key")
@click.argument("tier")
@click.pass_obj
def set_tier(app: App, key: str, tier: str) -> None:
    """Set a partner's tier (one of config partners.tiers)."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        set_partner_tier(session, key, tier, tiers=local.config.partners.tiers)
    if not quiet():
        click.echo(f"partner {key!r}: tier {tier.lower()}")


@partners.command("assign", epilog="Example: prm-sync partners assign 'Acme Partners' --territories US,US-CA,EMEA "
                  "--channel-manager jane@example.com")
@click.argument("key")
@click.option("--territories", help="replace the territories: 'US,US-CA,EMEA' ('' clears them)")
@click.option("--channel-manager", help="email of the channel manager")
@click.pass_obj
def assign(app: App, key: str, territories: str | None, channel_manager: str | None) -> None:
    """Assign territories and/or a channel manager."""
    with app.local().open_store() as store, store.session(write=True) as session:
        partner = assign_partner(session, key, territories=territories, channel_manager=channel_manager)
        shown = f"territories {partner.territories or '-'}, channel manager {partner.channel_manager or '-'}"
    if not quiet():
        click.echo(f"partner {key!r}: {shown}")


@partners.command("certify", epilog="Example: prm-sync partners certify 'Acme Partners' 'Cloud Expert' "
                  "--earned 2026-01-10 --expires 2027-01-10")
@click.argument("key")
@click.argument("name")
@click.option("--earned", type=DATE, required=True, help="YYYY-MM-DD")
@click.option("--expires", type=DATE, help="YYYY-MM-DD")
@click.pass_obj
def certify(app: App, key: str, name: str, earned: dt.datetime, expires: dt.datetime | None) -> None:
    """Record a certification the partner earned."""
    with app.local().open_store() as store, store.session(write=True) as session:
        add_certification(session, key, name, earned.date(), expires.date() if expires else None)
    if not quiet():
        click.echo(f"partner {key!r}: certification {name!r}")


partners.add_command(contracts)
