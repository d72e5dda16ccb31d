"""`prm-sync partners ...`: the partner registry."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.partner_contracts import contracts
from prm_sync.cli.partner_program import review_tiers
from prm_sync.cli.render import plain, render_record, render_rows
from prm_sync.domain.fields import PARTNER_STATUSES
from prm_sync.services.contracts import contract_flags, list_contracts
from prm_sync.services.partners import (
    add_partner,
    assign_partner,
    certifications,
    find_partner,
    list_partners,
    set_partner_status,
    status_history,
)
from prm_sync.services.program_fields import tier_history
from prm_sync.store.types import utcnow

LIST_COLUMNS = ("id", "name", "tier", "status", "country", "channel_manager", "territories", "flag")
SHOW_ORDER = ("id", "name", "tier", "tier_pinned_until", "discount_percent", "valid_certifications", "status",
              "flag", "country", "website", "phone", "industry", "joined_on",
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
@click.pass_obj
def list_(app: App, status: str | None, tier: str | None, flagged: bool, fmt: str) -> None:
    """List partners (deleted ones are left out); `flag` tells of an expired contract."""
    with app.local().open_store() as store, store.session() as session:
        found = list_partners(session, status=status, tier=tier.lower() if tier else None)
        flags = contract_flags(session, [p.id for p in found], utcnow().date())
        rows = [{**p.model_dump(), "flag": flags.get(p.id)} for p in found]
    if flagged:
        rows = [r for r in rows if r["flag"]]
    render_rows(rows, LIST_COLUMNS, fmt, title="Partners")


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
        certs = [{"name": c.name, "catalogue_id": c.catalogue_id, "holder": c.holder, "earned_on": c.earned_on,
                  "expires_on": c.expires_on, "valid": c.earned_on <= today and (c.expires_on is None or
                                                                                 c.expires_on >= today)}
                 for c in certifications(session, partner.id)]
        tiers = [{"at": c.at, "from": c.from_tier, "to": c.to_tier, "discount": c.to_discount, "reason": c.reason,
                  "actor": c.actor} for c in tier_history(session, partner.id)]
        contracts = [{k: c[k] for k in ("id", "starts_on", "ends_on", "auto_renew", "notice_days", "state",
                                        "terms_url")} for c in list_contracts(session, partner=partner.id, today=today)]
    if fmt == "json":
        sections = {"status_history": history, "tier_history": tiers, "certifications": certs,
                    "contracts": contracts}
        render_record({**record, **{k: [{f: plain(v) for f, v in row.items()} for row in rows]
                                    for k, rows in sections.items()}}, "json")
        return
    render_record(record, "text")
    for title, rows in (("status history", history), ("tier history", tiers), ("certifications", certs),
                        ("contracts", contracts)):
        if rows:
            click.echo(f"\n{title}:")
            for row in rows:
                click.echo("  " + "  ".join("" if v is None else str(plain(v)) for v in row.values()))


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


@partners.command("set-tier", epilog="Example: prm-sync partners set-tier 'Acme Partners' gold "
                  "--pin-until 2027-06-30 --reason 'strategic partner'")
@click.argument("key")
@click.argument("tier")
@click.option("--pin-until", type=DATE, help="YYYY-MM-DD: tier review leaves this tier alone until then")
@click.option("--reason", help="why (kept in the tier history)")
@click.pass_obj
def set_tier(app: App, key: str, tier: str, pin_until: dt.datetime | None, reason: str | None) -> None:
    """Set a partner's tier (one of config partners.tiers), with history and the program's discount."""
    from prm_sync.services.program_fields import set_tier_by_hand

    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        set_tier_by_hand(session, key, tier, tiers=local.config.partners.tiers, program=local.config.program,
                         actor=actor(), reason=reason, pinned_until=pin_until.date() if pin_until else None)
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


@partners.command("certify", epilog="Example: prm-sync partners certify 'Acme Partners' sales-pro "
                  "--holder 'Anna Nguyễn' --earned 2026-01-10")
@click.argument("key")
@click.argument("certification")
@click.option("--earned", type=DATE, required=True, help="YYYY-MM-DD")
@click.option("--expires", type=DATE, help="YYYY-MM-DD (default: earned + the catalogue's validity_months)")
@click.option("--holder", help="the person certified (per-person certifications)")
@click.pass_obj
def certify(app: App, key: str, certification: str, earned: dt.datetime, expires: dt.datetime | None,
            holder: str | None) -> None:
    """Record a certification: an id of config program.certifications (else a free name)."""
    from prm_sync.services.certifications import certify_partner

    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        cert = certify_partner(session, key, certification, earned.date(),
                               expires_on=expires.date() if expires else None, holder=holder,
                               program=local.config.program)
        shown = f"{cert.name!r}" + (f" held by {cert.holder}" if cert.holder else "") + (
            f", expires {cert.expires_on}" if cert.expires_on else "")
    if not quiet():
        click.echo(f"partner {key!r}: certification {shown}")


partners.add_command(contracts)
partners.add_command(review_tiers)
