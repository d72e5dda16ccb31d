"""`prm-sync partners ...`: the partner registry."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import click
from click.core import ParameterSource

from prm_sync.app import App
from prm_sync.cli.deferred import deferred
from prm_sync.cli.partner_contacts import contacts as contact_people
from prm_sync.cli.partner_contracts import contracts
from prm_sync.cli.partner_merge import merge
from prm_sync.cli.partner_program import review_tiers
from prm_sync.cli.render import RAW, plain, render_record, render_rows
from prm_sync.domain.fields import PARTNER_STATUSES
from prm_sync.ops.terminal_text import plain_line

# Loaded on first call: `partners --help` needs neither the services nor the store (issue 17).
_PARTNERS, _CONTRACTS = "prm_sync.services.partners", "prm_sync.services.contracts"
_FIELDS, _PROGRAM = "prm_sync.services.partner_fields", "prm_sync.services.program_fields"
add_partner = deferred(_PARTNERS, "add_partner")
assign_partner = deferred(_PARTNERS, "assign_partner")
certifications = deferred(_PARTNERS, "certifications")
edit_partner = deferred(_PARTNERS, "edit_partner")
find_partner = deferred(_PARTNERS, "find_partner")
list_partners = deferred(_PARTNERS, "list_partners")
partner_list_rows = deferred("prm_sync.services.partner_list", "partner_list_rows")
set_partner_status = deferred(_PARTNERS, "set_partner_status")
status_history = deferred(_PARTNERS, "status_history")
contract_flags = deferred(_CONTRACTS, "contract_flags")
list_contracts = deferred(_CONTRACTS, "list_contracts")
crm_owned = deferred(_FIELDS, "crm_owned")
refuse_crm_owned = deferred(_FIELDS, "refuse_crm_owned")
tier_history = deferred(_PROGRAM, "tier_history")
utcnow = deferred("prm_sync.store.types", "utcnow")

LIST_COLUMNS = ("id", "name", "tier", "status", "country", "channel_manager", "territories", "flag")
SHOW_ORDER = ("id", "name", "tier", "tier_pinned_until", "discount_percent", "valid_certifications", "status",
              "flag", "country", "website", "phone", "industry", "joined_on",
              "channel_manager", "territories", "created_at", "updated_at", "deleted_at", "deleted_reason")
OPTION_FIELDS = ("country", "website", "phone", "industry", "channel_manager", "territories", "joined_on")
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


def crm_owned_fields(app: App) -> dict[str, str]:
    """Partner fields the mapping makes pull-only -> FILE:LINE saying so."""
    from prm_sync.yamlsource import YamlLoadError, load_yaml_file

    mapping = app.mapping
    try:
        loaded = load_yaml_file(app.config.mappings_path, mapping.source)
    except YamlLoadError:  # pragma: no cover - the mapping just compiled from this file
        loaded = None
    return crm_owned(mapping, loaded)


def given_options(names: tuple[str, ...]) -> list[str]:
    """Which of `names` the user typed on the command line (not left at their defaults)."""
    ctx = click.get_current_context()
    return [n for n in names if ctx.get_parameter_source(n) not in (None, ParameterSource.DEFAULT)]


ALLOW_DUPLICATE = click.option("--allow-duplicate", is_flag=True,
                               help="keep a second partner with a name one already has")


@partners.command("add", epilog='Example: prm-sync partners add "Northwind Partners" --tier gold --country US')
@click.argument("name")
@click.option("--tier", default="registered", show_default=True, help="one of config partners.tiers")
@click.option("--status", type=click.Choice(PARTNER_STATUSES), default="prospect", show_default=True)
@click.option("--country", help="ISO 3166 two-letter code, e.g. US")
@click.option("--website")
@click.option("--phone")
@click.option("--industry")
@click.option("--channel-manager", help="email of the channel manager")
@click.option("--territories", help="countries, subdivisions, regions: 'US,US-CA,EMEA'")
@click.option("--joined-on", type=DATE, help="YYYY-MM-DD")
@ALLOW_DUPLICATE
@click.pass_obj
def add(app: App, name: str, tier: str, status: str, country: str | None, website: str | None, phone: str | None,
        industry: str | None, channel_manager: str | None, territories: str | None, joined_on: dt.datetime | None,
        allow_duplicate: bool) -> None:
    """Add a partner; it is pushed to the CRM by the next sync. Fields the mapping makes pull-only
    (owned by the CRM) are refused; a name another partner has needs --allow-duplicate."""
    local = app.local()
    refuse_crm_owned(["name", *given_options(("tier", "status", *OPTION_FIELDS))], crm_owned_fields(local))
    with local.open_store() as store, store.session(write=True) as session:
        partner = add_partner(
            session, name=name, tier=tier, status=status, country=country, website=website, phone=phone,
            industry=industry, channel_manager=channel_manager, joined_on=joined_on.date() if joined_on else None,
            actor=actor(), territories=territories, tiers=local.config.partners.tiers,
            allow_duplicate=allow_duplicate,
        )
        partner_id = partner.id
    if not quiet():
        click.echo(f"added partner {partner_id} {name!r}")


@partners.command("edit", epilog="Examples:\n\n\b\n  prm-sync partners edit 'Acme Partners' --phone '+1 555 0100' "
                  "--industry Technology\n  prm-sync partners edit 'Acme Partners' --name 'Acme Partners Ltd'")
@click.argument("key")
@click.option("--name", help="rename the partner")
@click.option("--tier", help="one of config partners.tiers")
@click.option("--country", help="ISO 3166 two-letter code ('' clears)")
@click.option("--website")
@click.option("--phone")
@click.option("--industry")
@click.option("--channel-manager", help="email of the channel manager")
@click.option("--territories", help="replace the territories: 'US,US-CA,EMEA' ('' clears them)")
@click.option("--joined-on", type=DATE, help="YYYY-MM-DD")
@ALLOW_DUPLICATE
@click.pass_obj
def edit(app: App, key: str, allow_duplicate: bool, **changes: Any) -> None:
    """Correct a partner (by id or name): any field the PRM may set; '' clears an optional one.
    The next sync pushes the change; a record the CRM rejected is sent again by `errors retry`.
    Status moves through `set-status`; fields the mapping makes pull-only are refused."""
    local = app.local()
    refuse_crm_owned(given_options(tuple(changes)), crm_owned_fields(local))
    with local.open_store() as store, store.session(write=True) as session:
        partner, changed = edit_partner(session, key, changes, tiers=local.config.partners.tiers,
                                        allow_duplicate=allow_duplicate)
        name = partner.name
    if not quiet():
        if not changed:
            click.echo(f"partner {name!r}: nothing changed")
        for field, (old, new) in changed.items():
            click.echo(f"partner {name!r}: {field}: {plain(old) if old is not None else '-'} -> "
                       f"{plain(new) if new is not None else '-'}")


@partners.command("list", epilog="Example: prm-sync partners list --tier gold --format csv")
@click.option("--status", type=click.Choice(PARTNER_STATUSES))
@click.option("--tier")
@click.option("--flagged", is_flag=True, help="only partners with a flag (e.g. an expired contract)")
@FORMAT
@RAW
@click.pass_obj
def list_(app: App, status: str | None, tier: str | None, flagged: bool, fmt: str) -> None:
    """List partners (deleted ones are left out); `flag` tells of an expired contract."""
    local, tier = app.local(), tier.lower() if tier else None
    today = dt.datetime.now(dt.UTC).date()
    plain = local.open_plain_store()   # no SQLAlchemy to import: most of this command's time (issue 17)
    if plain is not None:
        with plain:
            rows = partner_list_rows(plain, status=status, tier=tier, today=today)
    else:                              # an unusual store URL, or a store the schema check must explain
        with local.open_store() as store, store.session() as session:
            found = list_partners(session, status=status, tier=tier)
            flags = contract_flags(session, [p.id for p in found], today)
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
        certs = [{"name": c.name, "catalogue_id": c.catalogue_id, "holder": c.holder, "earned_on": c.earned_on,
                  "expires_on": c.expires_on, "valid": c.earned_on <= today and (c.expires_on is None or
                                                                                 c.expires_on >= today)}
                 for c in certifications(session, partner.id)]
        tiers = [{"at": c.at, "from": c.from_tier, "to": c.to_tier, "discount": c.to_discount, "reason": c.reason,
                  "actor": c.actor} for c in tier_history(session, partner.id)]
        contracts = [{k: c[k] for k in ("id", "starts_on", "ends_on", "auto_renew", "notice_days", "state",
                                        "terms_url")} for c in list_contracts(session, partner=partner.id, today=today)]
    if fmt == "json":
        sections: dict[str, list[dict[str, Any]]] = {
            "status_history": history, "tier_history": tiers, "certifications": certs, "contracts": contracts}
        render_record({**record, **{k: [{f: plain(v) for f, v in row.items()} for row in rows]
                                    for k, rows in sections.items()}}, "json")
        return
    render_record(record, "text")
    for title, rows in (("status history", history), ("tier history", tiers), ("certifications", certs),
                        ("contracts", contracts)):
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
    refuse_crm_owned(["status"], crm_owned_fields(app.local()))
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
    refuse_crm_owned(["tier"], crm_owned_fields(local))
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
    refuse_crm_owned(given_options(("territories", "channel_manager")), crm_owned_fields(app.local()))
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
partners.add_command(contact_people)
partners.add_command(merge)
partners.add_command(review_tiers)
