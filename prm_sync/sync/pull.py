"""Pull: CRM changes since the cursor -> mapped -> merged into the store, page by page.

Each page is one unit of work: its rows, links, quarantine entries and the cursor that covers
them commit together, so a crash anywhere loses nothing and a rerun converges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

from sqlmodel import Session, col, select

from prm_sync.connector import CrmRecord, Cursor, Page, PreparedChanges, PreparedReads, SettledRechecks
from prm_sync.domain.fields import Entity
from prm_sync.mapping import EntityMapper, MappedRecord
from prm_sync.mapping.values import canonical
from prm_sync.store import Conflict, Link
from prm_sync.store.bookkeeping import load_cursor, save_cursor
from prm_sync.store.types import new_id
from prm_sync.sync.context import RunContext
from prm_sync.sync.hooks import after_pull, after_pull_page
from prm_sync.sync.lookup import entity_is_empty, linked_any, links_by_crm, links_by_prm, prm_ids_by_crm, rows_by_id
from prm_sync.sync.merge import fields_to_push, merge_pull
from prm_sync.sync.prefetch import read_ahead
from prm_sync.sync.quarantine import open_entries, quarantine, resolve
from prm_sync.sync.report import Change, Created
from prm_sync.sync.rows import (
    HASH_OF_BASE,
    TABLES,
    SyncedRow,
    assign,
    column_defaults,
    column_rules,
    crm_hash_of,
    deleted_reason,
    digest,
    hash_new_links,
    rules,
    set_deleted_reason,
    snapshot,
)
from prm_sync.sync.settled import CHANGES, rechecks, save_horizon, settled_window
from prm_sync.sync.writer import FirstLoadWriter, encode, wanted
from prm_sync.util.bloom import IdFilter

CRM_DELETED = "deleted in the CRM"
LEFT_SELECTION = "no longer matches the mapping's filter in the CRM"

#: A first load into an empty entity commits pages that carry no cursor (a Bulk API 2.0 read:
#: only its last page does) in units of work of at least this many records instead of one per
#: page. A crash then loses no more than before (such a read starts again from nothing and finds
#: what was committed by its link hash), while each commit rewrites the index pages its random
#: ids touched: with one commit per 2,000 records that was ~11 % of a 90k-record pull, growing
#: with the table. Pages are still applied and written one by one (memory stays per page).
FIRST_LOAD_UNIT = 10_000


@dataclass
class PreparedPull:
    """An entity's first read (no cursor, or --full), prepared before the entity ahead of it is
    pulled (`prepare_pull`); `pull_entity` reads it in its turn. A prepare that failed keeps its
    error and raises it in the entity's turn, where the unprepared read would have failed: the
    entities before it are pulled as they were, and no call is made twice."""

    entity: Entity
    until: dt.datetime
    read: PreparedChanges | None = None
    error: Exception | None = None

    def pages(self) -> Iterator[Page]:
        if self.error is not None:
            raise self.error
        assert self.read is not None
        return self.read.pages()


def pulls(mapper: EntityMapper) -> bool:
    """Whether the entity reads anything from the CRM."""
    return bool(mapper.pull_fields) or any(r.pull for r in mapper.references)


def first_read_due(ctx: RunContext, entity: Entity) -> bool:
    """The entity's pull would be a first read (no cursor yet, or --full) through a connector that
    can prepare one: a read that may choose a CRM-side job (Salesforce Bulk API 2.0)."""
    if not ctx.connector.capabilities.prepares_reads or not pulls(ctx.mapping[entity]):
        return False
    if ctx.full:
        return True
    with ctx.unit() as session:
        return load_cursor(session, entity.value, CHANGES) is None


def prepare_pull(ctx: RunContext, entity: Entity) -> PreparedPull:
    """Make the calls that decide how `entity`'s first read goes (and start the CRM's side of it)
    now, before an entity ahead of it is pulled, so that the CRM works on it meanwhile.

    Why the entity's pull then stores exactly what it would have: the read is bounded by the run's
    start (`until` = ctx.started) whenever it is made. A record changed after the read was prepared
    but before it would have been made is read in its older version, changed before the run
    started, instead of not at all (its new modstamp is past `until` either way); the cursor is the
    largest (modstamp, id) read, capped at the run's start, so the next run reads the newer version
    from there, as it reads every change made after the run started. Nothing is lost, and nothing
    is stored twice (the link finds a record read again)."""
    prepared = PreparedPull(entity, ctx.started)
    try:
        connector = cast(PreparedReads, ctx.connector)  # capabilities.prepares_reads (first_read_due)
        prepared.read = connector.prepare_changes(ctx.mapping[entity], None, ctx.started)
    except Exception as exc:  # raised in the entity's own turn (PreparedPull)
        prepared.error = exc
    return prepared


def pull_entity(ctx: RunContext, entity: Entity, prepared: PreparedPull | None = None) -> None:
    """Pull the entity's changes; `prepared`: its first read, prepared earlier (`prepare_pull`), read
    if this pull is indeed a first read (otherwise dropped, unread)."""
    mapper = ctx.mapping[entity]
    if not pulls(mapper):
        return
    with ctx.unit() as session:
        stored = load_cursor(session, entity.value, CHANGES)
        cursor = (stored.modstamp, stored.record_id or "") if stored else None
        settled = settled_window(session, ctx, entity.value, cursor[0]) if cursor and rechecks(ctx) else None
        # A first load into an empty entity: what a page's records could find in the store, only
        # this run can have written (run lock), so pages skip the link and row look-ups unless one
        # probe finds a record read twice (apply_page).
        fresh = IdFilter() if cursor is None and entity_is_empty(session, entity.value, TABLES[entity]) else None
    if ctx.full or cursor is None:
        since, settled = None, None
    elif rechecks(ctx):
        since = Cursor(cursor[0], cursor[1])  # plus the window settled since the last run (sync/settled.py)
    elif ctx.lookback:
        since = Cursor(cursor[0] - ctx.lookback, "")  # re-read a window: late commits, index lag
    else:
        since = Cursor(cursor[0], cursor[1])  # exact compound position: equal timestamps are not re-read
    seen: set[str] | None = set() if ctx.full else None
    if since is None and prepared is not None and prepared.entity == entity and prepared.until == ctx.started:
        if fresh is not None and prepared.read is not None and \
                _writes_apart(ctx, mapper, prepared.read.expected or 0):
            # the writer process starts now: its start-up (~1 s) overlaps the CRM's work on the
            # read (a Bulk job taking its rows), not the first pages, which would wait for it
            ctx.first_load_writer().start()
        changes = prepared.pages()
    elif settled:  # rechecks(ctx)
        changes = cast(SettledRechecks, ctx.connector).read_changes(mapper, since, ctx.started, settled=settled)
    else:
        changes = ctx.connector.read_changes(mapper, since, ctx.started)
    handover: FirstLoadWriter | None = None  # the writer process, when this first load uses it
    try:
        with read_ahead(changes) as pages, ExitStack() as unit:
            work: Session | None = None
            in_unit = 0  # records applied in the open unit of work
            saving: tuple[str, str, dt.datetime, str | None] | None = None  # the open unit's cursor
            for page in pages:
                ctx.report.pulled[entity.value] += len(page.records)
                if handover is None and fresh is not None and \
                        _writes_apart(ctx, mapper, ctx.report.pulled[entity.value]):
                    handover = ctx.first_load_writer()  # active from the next unit of work it opens
                if work is None:
                    if handover is not None:  # each unit of work starts with the writer (again, after a
                        handover.active = True  # unit that settled it: a record met again, a quarantine)
                    work = unit.enter_context(ctx.unit(writes=handover is None))
                    if handover is not None:
                        unit.enter_context(handover.guard(work.connection()))
                apply_and_check(work, ctx, mapper, page.records, fresh=fresh, handover=handover)
                in_unit += len(page.records)
                if seen is not None:
                    seen.update(r.crm_id for r in page.records)
                if page.cursor is not None and not ctx.dry_run:
                    new = (min(page.cursor.modstamp, ctx.started), page.cursor.record_id)
                    if cursor is None or new > cursor:
                        saving = (entity.value, CHANGES, new[0], new[1])
                        cursor = new
                if page.cursor is not None or fresh is None or in_unit >= FIRST_LOAD_UNIT:
                    _close_unit(work, unit, handover, saving)
                    work, in_unit, saving = None, 0, None
                    ctx.checkpoint(entity.value, "pull", ctx.report.pulled[entity.value])
            if work is not None:  # a read that ended without a cursor page
                _close_unit(work, unit, handover, saving)
                ctx.checkpoint(entity.value, "pull", ctx.report.pulled[entity.value])
        if handover is not None:  # what follows reads the store as this pull left it
            handover.drain()
            handover.active = False
    except BaseException:
        if handover is not None:
            handover.abandon()
        raise
    if rechecks(ctx) and not ctx.dry_run:
        with ctx.unit() as session:
            save_horizon(session, ctx, entity.value)
    if seen is not None:
        with ctx.unit() as session:
            _vanished(session, ctx, mapper, seen)
    # After the fresh read: a record fixed in the CRM has just resolved its own entry, so only
    # entries still open are mapped again from their payload (never an older version over a newer).
    retry_parked_records(ctx, mapper)
    after_pull(ctx, entity)


def _writes_apart(ctx: RunContext, mapper: EntityMapper, records_read: int) -> bool:
    """Whether this first load's new rows go to the writer process (sync/writer.py). Not when the
    entity refers to itself: its pages look up rows of its own earlier pages."""
    if ctx.dry_run or any(ref.target == mapper.entity for ref in mapper.references):
        return False
    return wanted(ctx.config.sync.write_process, ctx.store, records_read)


def _close_unit(work: Session, unit: ExitStack, handover: FirstLoadWriter | None,
                saving: tuple[str, str, dt.datetime, str | None] | None) -> None:
    """Commit the unit of work: in line, or (the writer active) its rows and cursor by the writer,
    after this process's reading transaction has ended."""
    if handover is not None and handover.active:
        unit.close()
        handover.commit(saving)
        return
    if saving is not None:
        save_cursor(work, *saving)
    unit.close()


def apply_and_check(session: Session, ctx: RunContext, mapper: EntityMapper, records: Sequence[CrmRecord], *,
                    fresh: IdFilter | None = None, handover: FirstLoadWriter | None = None) -> None:
    """Merge a page into the store, apply the PRM's rules to what it changed, write the new rows.
    `fresh`: given when the entity held no link and no row when this run began pulling it; the
    CRM and PRM ids of the links this pull has stored so far. `handover`: the writer process;
    while it is active, it writes the new rows."""
    ctx.page_changes.clear()
    ctx.page_stamps.clear()
    ctx.new_rows.clear()
    apply_page(session, ctx, mapper, records, fresh=fresh, handover=handover)
    after_pull_page(session, ctx, mapper.entity, ctx.page_changes)
    if handover is not None and handover.active:
        if handover.behind():  # the hand-over would wait: the writer's work on these links is done here
            hash_new_links(ctx.new_rows.drafts(Link))
        handover.rows(encode(ctx.new_rows.take()))
        return
    for table, count in ctx.new_rows.write(session).items():
        ctx.statistics.wrote(session, table.__table__, count)


def apply_page(session: Session, ctx: RunContext, mapper: EntityMapper, records: Sequence[CrmRecord], *,
               fresh: IdFilter | None = None, handover: FirstLoadWriter | None = None) -> None:
    entity = mapper.entity
    table = TABLES[entity]
    mapped = [(rec, mapper.to_prm(rec.crm_id, rec.fields)) for rec in records]
    crm_ids = [rec.crm_id for rec in records]
    prm_keys = [m.prm_id for _, m in mapped]  # the PRM ids the CRM records carry (mostly None)
    # every row of a fresh entity has its link (made with it): no link found, no row to find either.
    # Only this pull has stored links of it (run lock): its filter answers "none of these" in memory,
    # and a "maybe" (a record read again, or a rare false positive) asks the database.
    maybe = fresh is not None and (fresh.may_hold_any(crm_ids) or fresh.may_hold_any(prm_keys))
    if maybe and handover is not None:  # the look-ups below must see what the writer was handed
        handover.settle(session.connection())
    nothing_stored = fresh is not None and not (
        maybe and linked_any(session, entity.value, crm_ids, (key for key in prm_keys if key)))
    if fresh is not None:  # before any row is made: a page that holds a record twice finds it itself
        fresh.add_all(crm_ids)
        fresh.add_all(prm_keys)
    by_crm = {} if nothing_stored else links_by_crm(session, entity.value, crm_ids)
    keys = (m.prm_id for rec, m in mapped if m.prm_id and rec.crm_id not in by_crm)
    by_key = {} if nothing_stored else links_by_prm(session, entity.value, keys)
    targets: dict[Entity, set[str]] = {}
    for rec, m in mapped:
        for ref in mapper.references:
            ids = rec.associations.get(ref.name, ()) if ref.association else (m.references.get(ref.name),)
            targets.setdefault(ref.target, set()).update(i for i in ids if i)
    resolved = {target: prm_ids_by_crm(session, target.value, ids) for target, ids in targets.items()}
    row_ids = [link.prm_id for link in (*by_crm.values(), *by_key.values())] + [m.prm_id for _, m in mapped if m.prm_id]
    unreadable: dict[str, str] = {}
    rows = {} if nothing_stored else rows_by_id(session, table, row_ids, unreadable)
    parked = _parked_fields(session, entity.value, [link.prm_id for link in (*by_crm.values(), *by_key.values())])
    defaults = column_defaults(table)
    # one time for the page's writes: its rows are stored together (and each time value is written
    # as text once per INSERT, not once per record: sync/inserts.py)
    now = ctx.clock()
    for rec, m in mapped:
        link = by_crm.get(rec.crm_id) or (by_key.get(m.prm_id) if m.prm_id else None)
        prm_id = link.prm_id if link else m.prm_id
        if prm_id in unreadable:
            quarantine(session, ctx, entity=entity.value, side="pull", kind="invalid", record_key=rec.crm_id,
                       crm_id=rec.crm_id, prm_id=prm_id, reason=unreadable[prm_id], payload=_payload(rec))
            continue
        created = _apply_one(session, ctx, mapper, rec, m, link, rows, resolved, parked, defaults, now)
        if created is not None:  # a record the page holds twice then finds it (not a second row)
            row, link = created
            rows[row.id] = row
            by_crm[rec.crm_id] = by_key[row.id] = link


def _apply_one(
    session: Session, ctx: RunContext, mapper: EntityMapper, rec: CrmRecord, m: MappedRecord, link: Link | None,
    rows: Mapping[str, SyncedRow], resolved: Mapping[Entity, Mapping[str, str]],
    parked: Mapping[str, frozenset[str]], defaults: Mapping[str, tuple[bool, Any]], now: dt.datetime,
) -> tuple[SyncedRow, Link] | None:
    """Merge one CRM record into the store; returns the row and link when it made new ones."""
    entity = mapper.entity.value
    if link is not None and link.crm_id not in (None, rec.crm_id):
        quarantine(session, ctx, entity=entity, side="pull", kind="invalid", record_key=rec.crm_id, crm_id=rec.crm_id,
                   prm_id=m.prm_id, payload=_payload(rec),
                   reason=f"{mapper.crm_key} {m.prm_id} is also on CRM record {link.crm_id}: two CRM records claim "
                          "one PRM record")
        return None
    row = rows.get(link.prm_id) if link else (rows.get(m.prm_id) if m.prm_id else None)
    if rec.deleted:
        mark_deleted(session, ctx, entity, link, row, rec.modstamp, CRM_DELETED)
        return None
    if not m.valid:
        reason = "; ".join(f"{field}: {problem}" for field, problem in sorted(m.problems.items()))
        quarantine(session, ctx, entity=entity, side="pull", kind="invalid", record_key=rec.crm_id,
                   crm_id=rec.crm_id, prm_id=m.prm_id, reason=reason, payload=_payload(rec))
        return None
    refs, waiting, skip = _resolve_references(mapper, rec, m, resolved)
    if skip:
        return None  # e.g. a HubSpot deal associated to no partner company: not a partner deal
    if waiting:
        quarantine(session, ctx, entity=entity, side="pull", kind="waiting", record_key=rec.crm_id, crm_id=rec.crm_id,
                   prm_id=m.prm_id, reason=waiting, payload=_payload(rec))
        return None
    values: dict[str, Any] = {**m.values, **refs}
    if row is not None and (link is None or link.crm_id is None):
        _keep_unwritten_associations(mapper, row, values)
    # canon() inlined for the common cases (text, empty): this runs for every field of every record
    crm = {name: value if value is None or value.__class__ is str else canonical(value)
           for name, value in values.items()}
    if row is None:
        if mapper.direction == "push":
            return None  # the PRM makes these records (commissions); one it did not make is not ours to adopt
        return _create_row(session, ctx, mapper, rec, m, link, values, crm, now)
    if row.deleted_at is not None:
        if deleted_reason(entity, row) not in (CRM_DELETED, LEFT_SELECTION):
            return None  # deleted in the PRM: the push side carries that deletion
        row.deleted_at = None  # the CRM record came back (undeleted)
        set_deleted_reason(entity, row, None)
        ctx.report.count(entity, "prm", "update", Change(entity, "prm", "update", row.id, {"deleted": (True, False)}))
    if link is None:
        link = Link(entity=entity, prm_id=row.id, crm_id=rec.crm_id, base={})
    elif link.crm_id is None:
        link.crm_id = rec.crm_id
    crm_hash = digest(crm)
    if crm_hash_of(link.base, link.crm_hash) == crm_hash and row.id not in parked:
        resolve(session, ctx, entity, "pull", rec.crm_id)
        _keep(session, ctx, link)
        return None
    base = dict(link.base or {})
    prm = snapshot(row, crm.keys())
    decision = merge_pull(rules(mapper), base, prm, crm, ctx.policy(entity),  # type: ignore[arg-type]
                          crm_is_newer=rec.modstamp > row.updated_at, parked=parked.get(row.id, frozenset()))
    problems = [f"{name} is required by the PRM store but empty in the CRM" for name in decision.apply
                if values[name] is None and not defaults.get(name, (True, None))[0]
                and defaults.get(name, (True, None))[1] is None]
    if problems:
        quarantine(session, ctx, entity=entity, side="pull", kind="invalid", record_key=rec.crm_id,
                   crm_id=rec.crm_id, prm_id=row.id, reason="; ".join(problems), payload=_payload(rec))
        return None
    diffs = {}
    for name in decision.apply:
        assign(row, name, values[name], defaults)
        diffs[name] = (prm.get(name), crm[name])
    for conflict in decision.conflicts:
        _park(session, ctx, entity, row.id, rec.crm_id, conflict.field, conflict.prm, conflict.crm, conflict.base)
    base.update(decision.base)
    link.base, link.crm_hash = base, crm_hash
    if diffs:
        row.updated_at = now
        _keep(session, ctx, row)
        ctx.report.count(entity, "prm", "update", Change(entity, "prm", "update", row.id, diffs))
        ctx.page_changes.append((row, diffs))
        ctx.page_stamps[row.id] = (rec.modstamp, False)
    merge_rules = rules(mapper)
    now_values = snapshot(row, [r.name for r in merge_rules])
    pending = fields_to_push(merge_rules, base, now_values, parked.get(row.id, frozenset()))
    if not pending and link.synced_at is not None:
        link.synced_at = now  # nothing left to push for this row
    _keep(session, ctx, link)
    resolve(session, ctx, entity, "pull", rec.crm_id)
    return None


def _create_row(
    session: Session, ctx: RunContext, mapper: EntityMapper, rec: CrmRecord, m: MappedRecord, link: Link | None,
    values: dict[str, Any], crm: dict[str, str | None], now: dt.datetime,
) -> tuple[SyncedRow, Link] | None:
    """A new row (and link) for a CRM record the store does not hold. `values` (the record's mapped
    values and references) and `crm` (their canonical texts) are this record's own dicts, made for
    this call: the row takes `values` as its columns, a new link `crm` as its base, without copies (a
    first load creates every record it reads)."""
    entity = mapper.entity.value
    table = TABLES[mapper.entity]
    shape = column_rules(table)
    prm_id = link.prm_id if link else (m.prm_id or new_id())
    problems = [f"{name} is required by the PRM store but {'empty in the CRM' if name in values else 'not mapped'}"
                for name in shape.required if values.get(name) is None]
    if problems:
        quarantine(session, ctx, entity=entity, side="pull", kind="invalid", record_key=rec.crm_id, crm_id=rec.crm_id,
                   prm_id=m.prm_id, reason="; ".join(problems), payload=_payload(rec))
        return None
    # this record's dict becomes the row's when every name is a column (as the mapping is meant to be)
    columns = values if values.keys() <= shape.columns else \
        {name: value for name, value in values.items() if name in shape.columns}
    for name in shape.defaulted:  # an empty value where the column has a default: the default
        if name in columns and columns[name] is None:
            del columns[name]
    columns.update(id=prm_id, created_at=now, updated_at=now)
    row = ctx.new_rows.new(table, columns)
    # The PRM id must still be written to the CRM record's key field unless it already holds it.
    synced_at = now if m.prm_id == prm_id or not mapper.crm_key or mapper.direction == "pull" else None
    if link is None:  # its hash is taken as it is written (HASH_OF_BASE): by the writer process, if any
        # `crm` itself is the base (no copy): nothing changes it in place; a merge copies a base first
        link = ctx.new_rows.new(Link, {"entity": entity, "prm_id": prm_id, "crm_id": rec.crm_id, "base": crm,
                                       "crm_hash": HASH_OF_BASE, "synced_at": synced_at})
    else:
        link_values = {"crm_id": rec.crm_id, "base": dict(crm), "crm_hash": digest(crm), "synced_at": synced_at}
        for key, value in link_values.items():
            setattr(link, key, value)
        session.add(link)
    created = Created(crm)
    report = ctx.report  # past its cap the report keeps no more changes: none is made (a first load's 100,000s)
    report.count(entity, "prm", "create",
                 Change(entity, "prm", "create", prm_id, created) if report.keeps_changes else None)
    ctx.page_changes.append((row, created))
    ctx.page_stamps[row.id] = (rec.modstamp, True)
    resolve(session, ctx, entity, "pull", rec.crm_id)
    return row, link


def _keep_unwritten_associations(mapper: EntityMapper, row: SyncedRow, values: dict[str, Any]) -> None:
    """A CRM record that carries a PRM row's key but is not linked to it yet was written by a push
    that never recorded its results (the process died after the CRM accepted the batch). Its
    associations are written after the records (HubSpot), so they may be missing: that is not
    the CRM clearing the reference. The row keeps its reference, and the push (which sends it,
    as it was never recorded as synced) writes the association."""
    for ref in mapper.references:
        if ref.association and ref.pull and values.get(ref.name) is None and getattr(row, ref.name, None):
            del values[ref.name]


def _resolve_references(
    mapper: EntityMapper, rec: CrmRecord, m: MappedRecord, resolved: Mapping[Entity, Mapping[str, str]],
) -> tuple[dict[str, str | None], str | None, bool]:
    """PRM ids for the record's references; or why it must wait; or that it is not ours to store."""
    refs: dict[str, str | None] = {}
    for ref in mapper.references:
        if not ref.pull:
            continue
        known = resolved.get(ref.target, {})
        if ref.association:
            candidates = rec.associations.get(ref.name, ())
            linked = [known[c] for c in candidates if c in known]
            if not linked and ref.required:
                return {}, None, True
            refs[ref.name] = linked[0] if linked else None
            continue
        target = m.references.get(ref.name)
        if target is None:
            refs[ref.name] = None
        elif target in known:
            refs[ref.name] = known[target]
        else:
            return {}, f"waiting for {ref.target.value} {target} (not synced yet)", False
    return refs, None, False


def mark_deleted(session: Session, ctx: RunContext, entity: str, link: Link | None, row: Any,
                 when: dt.datetime, reason: str) -> None:
    """A CRM-side deletion reaches the store: the row (a SyncedRow, or None) is kept, marked with
    when and why."""
    if link is None or row is None or row.deleted_at is not None:
        return
    row.deleted_at = when
    set_deleted_reason(entity, row, reason)
    row.updated_at = link.deleted_at = link.synced_at = ctx.clock()
    _keep(session, ctx, row)
    _keep(session, ctx, link)
    ctx.report.count(entity, "prm", "delete", Change(entity, "prm", "delete", row.id))


def _keep(session: Session, ctx: RunContext, row: Any) -> None:
    """Have the session write `row`'s changes, unless it is new this unit of work (then the
    pending INSERT writes it, as it is when the page ends)."""
    if not ctx.new_rows.holds(row):
        session.add(row)


def _vanished(session: Session, ctx: RunContext, mapper: EntityMapper, seen: set[str]) -> None:
    """--full: linked CRM records the whole read did not return have left the CRM's selection."""
    entity = mapper.entity.value
    table = TABLES[mapper.entity]
    query = select(Link, table).join(table, col(table.id) == col(Link.prm_id)).where(
        Link.entity == entity, col(Link.crm_id).is_not(None), col(Link.deleted_at).is_(None),
        col(table.deleted_at).is_(None))
    for link, row in session.exec(query):
        if link.crm_id not in seen:
            mark_deleted(session, ctx, entity, link, row, ctx.clock(), LEFT_SELECTION)


def retry_parked_records(ctx: RunContext, mapper: EntityMapper) -> None:
    """Records that wait for a reference (and, on `errors retry`, invalid ones) are mapped again
    from the payload kept in quarantine: no API call is needed."""
    kinds = ("waiting", "invalid") if ctx.retry_quarantined else ("waiting",)
    with ctx.unit() as session:
        entries = open_entries(session, mapper.entity.value, "pull", kinds)
        if not entries:
            return
        records = [
            CrmRecord(crm_id=e.crm_id or e.record_key, modstamp=dt.datetime.fromisoformat(e.payload["modstamp"]),
                      fields=e.payload["fields"],
                      associations={k: tuple(v) for k, v in e.payload.get("associations", {}).items()})
            for e in entries if e.payload
        ]
        apply_and_check(session, ctx, mapper, records)


def _park(session: Session, ctx: RunContext, entity: str, prm_id: str, crm_id: str, field: str,
          prm: str | None, crm: str | None, base: str | None) -> None:
    ctx.report.count(entity, "prm", "conflict", Change(entity, "prm", "conflict", prm_id, {field: (prm, crm)}))
    if ctx.dry_run:
        return
    existing = session.exec(select(Conflict).where(
        Conflict.entity == entity, Conflict.prm_id == prm_id, Conflict.field == field,
        col(Conflict.resolved_at).is_(None))).first()
    conflict = existing or Conflict(entity=entity, prm_id=prm_id, field=field)
    conflict.crm_id, conflict.prm_value, conflict.crm_value, conflict.base_value = crm_id, prm, crm, base
    session.add(conflict)


def _parked_fields(session: Session, entity: str, prm_ids: Sequence[str]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    ids = sorted(set(prm_ids))
    for start in range(0, len(ids), 500):
        query = select(Conflict.prm_id, Conflict.field).where(
            Conflict.entity == entity, col(Conflict.resolved_at).is_(None),
            col(Conflict.prm_id).in_(ids[start:start + 500]))
        for prm_id, field in session.exec(query):
            out.setdefault(prm_id, set()).add(field)
    return {k: frozenset(v) for k, v in out.items()}


def _payload(rec: CrmRecord) -> dict[str, Any]:
    """What quarantine keeps of a record, to map it again later without an API call."""
    return {"fields": _jsonable(rec.fields), "associations": {k: list(v) for k, v in rec.associations.items()},
            "modstamp": rec.modstamp.isoformat()}


def _jsonable(fields: Mapping[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    return {k: (str(v) if isinstance(v, Decimal | dt.date) else v) for k, v in fields.items()}
