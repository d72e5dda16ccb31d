"""`prm-sync partners merge KEEP DUPLICATE`: join two records of one partner company."""

from __future__ import annotations

import click

from prm_sync.app import App
from prm_sync.cli.confirm import bulk_options, confirm_bulk
from prm_sync.cli.deferred import deferred
from prm_sync.domain.fields import Entity

# Loaded on first call: `partners --help` needs neither the services nor the store.
apply_merge = deferred("prm_sync.services.partner_merge", "apply_merge")
plan_merge = deferred("prm_sync.services.partner_merge", "plan_merge")


@click.command("merge", epilog="Examples:\n\n\b\n"
               "  prm-sync partners merge 'Acme Partners' 'ACME Partners Inc' --dry-run\n"
               "  prm-sync partners merge 'Acme Partners' 'ACME Partners Inc' --yes")
@click.argument("keep")
@click.argument("duplicate")
@bulk_options
@click.pass_context
def merge(ctx: click.Context, keep: str, duplicate: str, dry_run: bool, yes: bool) -> None:
    """Merge DUPLICATE into KEEP (ids or names): registrations, commission lines, contracts and
    certifications move to KEEP; deals pointing at DUPLICATE are listed, to re-point in the CRM (which
    owns them); DUPLICATE is deleted, and its CRM record follows the mapping's on_delete at the next sync."""
    app: App = ctx.obj
    local = app.local()
    mapping = local.mapping
    on_delete = mapping[Entity.PARTNER].on_delete if Entity.PARTNER in mapping else "ignore"
    with local.open_store() as store:
        with store.session() as session:
            plan = plan_merge(session, keep, duplicate, on_delete=on_delete)
        for line in plan.lines():
            click.echo(line)
        # asked outside any transaction: a person thinking does not hold the store's write lock.
        # A merge deletes a partner, so it always asks, even when nothing moves.
        what = f"record(s) to move from '{plan.duplicate.name}' into '{plan.keep.name}', which is then deleted"
        if not confirm_bulk(ctx, plan.moving, what, dry_run=dry_run, yes=yes, threshold=-1):
            return
        with store.session(write=True) as session:
            plan = plan_merge(session, plan.keep.id, plan.duplicate.id, on_delete=on_delete)  # as it is now
            apply_merge(session, plan)
    click.echo(f"merged: {plan.moving} record(s) moved; run `prm-sync sync` to carry it to the CRM")
