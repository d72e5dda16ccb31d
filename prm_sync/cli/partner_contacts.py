"""`prm-sync partners contacts ...`: the people at a partner."""

from __future__ import annotations

from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.confirm import bulk_options, confirm_bulk
from prm_sync.cli.deferred import deferred
from prm_sync.cli.render import RAW, render_rows
from prm_sync.domain.fields import CONTACT_ROLES

# Loaded on first call: `partners --help` needs neither the services nor the store.
add_contact = deferred("prm_sync.services.partner_contacts", "add_contact")
contacts_to_remove = deferred("prm_sync.services.partner_contacts", "contacts_to_remove")
display_name = deferred("prm_sync.services.partner_contacts", "display_name")
edit_contact = deferred("prm_sync.services.partner_contacts", "edit_contact")
list_contacts = deferred("prm_sync.services.partner_contacts", "list_contacts")
remove_contacts = deferred("prm_sync.services.partner_contacts", "remove_contacts")

COLUMNS = ("id", "partner", "first_name", "last_name", "email", "phone", "role", "language", "opt_outs")


def _quiet() -> bool:
    return bool(click.get_current_context().meta.get("quiet"))


def _person_options(function: Any) -> Any:
    for option in reversed((
        click.option("--first-name", help="given name"),
        click.option("--last-name", help="family name"),
        click.option("--email"),
        click.option("--phone"),
        click.option("--language", help="notification language: en, vi, ... (a templates language)"),
        click.option("--opt-out", "opt_outs",
                     help="notification kinds this person does not want, comma-separated ('' clears)"),
    )):
        function = option(function)
    return function


@click.group("contacts", epilog="Examples:\n\n"
             "  prm-sync partners contacts add --partner 'Acme Partners' --first-name 'Anh' "
             "--last-name 'Nguyễn' --email anh@acme.example --role finance --language vi\n\n"
             "  prm-sync partners contacts list --partner 'Acme Partners'")
def contacts() -> None:
    """The people at a partner: who receives its notifications (synced as CRM contacts)."""


@contacts.command("add")
@click.option("--partner", "partner_key", required=True, help="partner id or name")
@_person_options
@click.option("--role", type=click.Choice(CONTACT_ROLES), default="primary", show_default=True)
@click.pass_obj
def add(app: App, partner_key: str, role: str, **values: Any) -> None:
    """Add a contact to a partner; the next sync creates it in the CRM."""
    with app.local().open_store() as store, store.session(write=True) as session:
        contact = add_contact(session, partner_key, {**values, "role": role})
        shown = f"{contact.id} {display_name(contact)!r}"
    if not _quiet():
        click.echo(f"added contact {shown}")


@contacts.command("list")
@click.option("--partner", "partner_key", help="one partner's contacts (id or name)")
@click.option("--role", type=click.Choice(CONTACT_ROLES))
@click.option("--deleted", "include_deleted", is_flag=True, help="include removed contacts")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def list_cmd(app: App, partner_key: str | None, role: str | None, include_deleted: bool, fmt: str) -> None:
    """List contacts."""
    with app.local().open_store() as store, store.session() as session:
        rows = list_contacts(session, partner_key=partner_key, role=role, include_deleted=include_deleted)
    render_rows(rows, COLUMNS + (("deleted_at",) if include_deleted else ()), fmt, title="Contacts")


@contacts.command("edit")
@click.argument("key")
@_person_options
@click.option("--role", type=click.Choice(CONTACT_ROLES))
@click.pass_obj
def edit(app: App, key: str, **changes: Any) -> None:
    """Change a contact (KEY: id, id prefix or email); '' clears a field."""
    with app.local().open_store() as store, store.session(write=True) as session:
        contact, changed = edit_contact(session, key, changes)
        shown = display_name(contact)
    if not _quiet():
        click.echo(f"contact {shown!r}: " + (", ".join(sorted(changed)) + " changed" if changed else "no change"))


@contacts.command("remove")
@click.argument("keys", nargs=-1)
@click.option("--partner", "partner_key", help="remove every contact of this partner")
@bulk_options
@click.pass_context
def remove(ctx: click.Context, keys: tuple[str, ...], partner_key: str | None, dry_run: bool, yes: bool) -> None:
    """Remove contacts (KEYS: ids or emails); the next sync applies the mapping's on_delete in the CRM."""
    from prm_sync.errors import UsageError

    if bool(keys) == bool(partner_key):
        raise UsageError("give contact ids/emails or --partner (not both)")
    app: App = ctx.obj
    with app.local().open_store() as store, store.session(write=True) as session:
        chosen = contacts_to_remove(session, keys, partner_key)
        if not confirm_bulk(ctx, len(chosen), "contacts to remove", dry_run=dry_run, yes=yes):
            return
        count = remove_contacts(session, chosen)
    if not _quiet():
        click.echo(f"removed {count} contact(s)")
