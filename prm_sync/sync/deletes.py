"""Deletions the change stream does not carry.

- PRM -> CRM: a row deleted in the store does what the mapping's `on_delete` says: `ignore`
  leaves the CRM record alone; `archive` and `delete` remove it with the CRM's restorable
  delete (Salesforce recycle bin, HubSpot archive).
- CRM -> PRM sweep: HubSpot archiving does not touch the modified date, so archived records
  are looked for separately, every `sync.deletion_sweep_minutes` (Salesforce's change stream,
  read with queryAll, already carries deletions).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from prm_sync.domain.fields import Entity
from prm_sync.store import Link
from prm_sync.store.bookkeeping import load_cursor, save_cursor
from prm_sync.sync.context import RunContext
from prm_sync.sync.pull import CRM_DELETED, mark_deleted
from prm_sync.sync.quarantine import quarantine
from prm_sync.sync.report import Change
from prm_sync.sync.rows import TABLES, SyncedRow

SWEEP = "deleted"
BATCH = 1000


def deletions_to_push(entity: Entity, table: type[SyncedRow]) -> SelectOfScalar[Link]:
    """The next batch of links whose PRM row was deleted and whose CRM record was not yet: found
    from the deleted rows (`ix_<table>_deleted` holds their ids), each link by its key."""
    deleted = select(table.id).where(col(table.deleted_at).is_not(None))
    return (select(Link)
            .where(Link.entity == entity.value, col(Link.prm_id).in_(deleted), col(Link.crm_id).is_not(None),
                   col(Link.deleted_at).is_(None))
            .order_by(Link.prm_id).limit(BATCH))


def push_deletions(ctx: RunContext, entity: Entity) -> None:
    mapper = ctx.mapping[entity]
    table = TABLES[entity]
    if mapper.direction == "pull":
        return
    while True:
        with ctx.unit() as session:
            links = list(session.exec(deletions_to_push(entity, table)).all())
            if not links:
                return
            if mapper.on_delete == "ignore" or ctx.dry_run:
                for link in links:
                    if mapper.on_delete != "ignore":
                        change = Change(entity.value, "crm", "delete", link.prm_id)
                        ctx.report.count(entity.value, "crm", "delete", change)
                    link.deleted_at = ctx.clock()
                    session.add(link)
                if ctx.dry_run:
                    return  # the dry-run transaction is rolled back; one pass shows the plan
                continue
        results = ctx.connector.delete(mapper, [link.crm_id for link in links if link.crm_id])
        with ctx.unit() as session:
            for link, result in zip(links, results, strict=True):
                if result.ok:  # DELETED, or ALREADY_GONE: the CRM no longer has it either way
                    stored = session.get(Link, (entity.value, link.prm_id))
                    assert stored is not None
                    stored.deleted_at = ctx.clock()
                    session.add(stored)
                    ctx.report.count(entity.value, "crm", "delete", Change(entity.value, "crm", "delete", link.prm_id))
                else:
                    quarantine(session, ctx, entity=entity.value, side="push", kind="rejected", record_key=link.prm_id,
                               prm_id=link.prm_id, crm_id=link.crm_id, reason=result.message or "delete refused")
        if len(links) < BATCH:
            return


def sweep_deletions(ctx: RunContext, entity: Entity) -> None:
    """Read deletions/archivals since the last sweep when one is due (always with --full)."""
    if ctx.connector.capabilities.change_stream_has_deletions and not ctx.full:
        return
    mapper = ctx.mapping[entity]
    minutes = ctx.config.sync.deletion_sweep_minutes
    with ctx.unit() as session:
        last = load_cursor(session, entity.value, SWEEP)
    if last is not None and not ctx.full and (ctx.started - last.modstamp).total_seconds() < minutes * 60:
        return
    since = None if last is None or ctx.full else last.modstamp - ctx.lookback
    table = TABLES[entity]
    batch: list = []

    def flush() -> None:
        with ctx.unit() as session:
            by_crm = {link.crm_id: link for link in session.exec(
                select(Link).where(Link.entity == entity.value, col(Link.crm_id).in_([d.crm_id for d in batch])))}
            for gone in batch:
                link = by_crm.get(gone.crm_id)
                row = session.get(table, link.prm_id) if link else None
                mark_deleted(session, ctx, entity.value, link, row, gone.deleted_at, CRM_DELETED)
        batch.clear()

    for deletion in ctx.connector.read_deletions(mapper, since):
        batch.append(deletion)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    if not ctx.dry_run:
        with ctx.unit() as session:
            save_cursor(session, entity.value, SWEEP, ctx.started, None)
