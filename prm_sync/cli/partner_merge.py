"""`prm-sync partners merge KEEP DUPLICATE`: join two records of one partner company."""

from __future__ import annotations

import sys

import click

from prm_sync.app import App
from prm_sync.domain.fields import Entity
from prm_sync.errors import UsageError
from prm_sync.services.partner_merge import apply_merge, plan_merge


def stdin_is_tty() -> bool:
    """Whether a person can answer a prompt (cron and pipes cannot)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def confirmed(question: str, *, yes: bool) -> bool:
    """--yes, or a person's yes on a terminal; without a terminal and --yes: a usage error (exit 2).
    (A small local helper; the bulk commands' shared confirmation replaces it when merged.)"""
    if yes:
        return True
    if not stdin_is_tty():
        raise UsageError(f"{question} Not a terminal: give --yes to go ahead (or --dry-run to only see the plan)")
    return click.confirm(question, default=False)


@click.command("merge", epilog="Examples:\n\n\b\n"
               "  prm-sync partners merge 'Acme Partners' 'ACME Partners Inc' --dry-run\n"
               "  prm-sync partners merge 'Acme Partners' 'ACME Partners Inc' --yes")
@click.argument("keep")
@click.argument("duplicate")
@click.option("--dry-run", is_flag=True, help="show what would move; change nothing")
@click.option("--yes", is_flag=True, help="do not ask (needed without a terminal)")
@click.pass_obj
def merge(app: App, keep: str, duplicate: str, dry_run: bool, yes: bool) -> None:
    """Merge DUPLICATE into KEEP (ids or names): registrations, commission lines, contracts and
    certifications move to KEEP; deals pointing at DUPLICATE are listed, to re-point in the CRM (which
    owns them); DUPLICATE is deleted, and its CRM record follows the mapping's on_delete at the next sync."""
    local = app.local()
    mapping = local.mapping
    on_delete = mapping[Entity.PARTNER].on_delete if Entity.PARTNER in mapping else "ignore"
    with local.open_store() as store:
        with store.session() as session:
            plan = plan_merge(session, keep, duplicate, on_delete=on_delete)
        for line in plan.lines():
            click.echo(line)
        if dry_run:
            click.echo("dry run: nothing changed")
            return
        # asked outside any transaction: a person thinking does not hold the store's write lock
        if not confirmed(f"Merge '{plan.duplicate.name}' into '{plan.keep.name}'?", yes=yes):
            click.echo("not merged: nothing changed")
            click.get_current_context().exit(1)
        with store.session(write=True) as session:
            plan = plan_merge(session, plan.keep.id, plan.duplicate.id, on_delete=on_delete)  # as it is now
            apply_merge(session, plan)
    click.echo(f"merged: {plan.moving} record(s) moved; run `prm-sync sync` to carry it to the CRM")
