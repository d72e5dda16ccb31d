"""Push: store rows changed since their last sync -> mapped -> upserted in batches -> links.

A batch's CRM results and the links that record them commit together. If the process dies
after the CRM accepted a batch but before that commit, the rerun upserts the same records by
their key (the PRM id) again: the CRM updates them, nothing is duplicated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, or_, select

from prm_sync.connector import DEFAULT_PUSH_BATCH, PushRecord, UpsertResult
from prm_sync.domain.fields import Entity
from prm_sync.mapping import EntityMapper
from prm_sync.mapping.values import BadValue
from prm_sync.store import Link, Quarantine
from prm_sync.sync.context import RunContext
from prm_sync.sync.lookup import links_by_prm, rows_by_id
from prm_sync.sync.merge import fields_to_push
from prm_sync.sync.pull import _parked_fields
from prm_sync.sync.quarantine import quarantine, resolve
from prm_sync.sync.report import Change
from prm_sync.sync.rows import TABLES, SyncedRow, digest, rules, snapshot
from prm_sync.sync.settled import advance_past_own_writes

BATCH = DEFAULT_PUSH_BATCH  # rows prepared per round trip to the connector (it splits into API-sized calls)


def batch_size(ctx: RunContext) -> int:
    """Rows handed to the connector at once: a connector with a bulk path above some size (Salesforce
    Bulk API 2.0) says how many it wants, so that large pushes really take it."""
    return max(BATCH, ctx.connector.capabilities.push_batch_size)


def push_entity(ctx: RunContext, entity: Entity) -> None:
    mapper = ctx.mapping[entity]
    if not mapper.push_fields and not any(r.push for r in mapper.references):
        return
    done = 0
    for ids in _candidate_batches(ctx, mapper):
        with ctx.unit() as session:
            prepared = _prepare(session, ctx, mapper, ids)
        if not prepared:
            continue
        records = [p[0] for p in prepared]
        results = _send(ctx, mapper, records)
        with ctx.unit() as session:
            _record_results(session, ctx, mapper, prepared, results)
            advance_past_own_writes(session, ctx, entity.value, results)
        done += len(records)
        ctx.checkpoint(entity.value, "push", done)


def _candidate_batches(ctx: RunContext, mapper: EntityMapper) -> Iterator[list[str]]:
    """Ids of live rows that may have something to push, in batches (keyset paging by id)."""
    table = TABLES[mapper.entity]
    entity = mapper.entity.value
    after = ""
    while True:
        with ctx.unit() as session:
            query = (select(table.id, table.updated_at, Link.prm_id, Link.crm_id, Link.synced_at)  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
                     .outerjoin(Link, (col(Link.prm_id) == col(table.id)) & (Link.entity == entity))
                     .where(col(table.deleted_at).is_(None), col(table.id) > after))
            if not ctx.full:
                query = query.where(or_(col(Link.prm_id).is_(None), col(Link.crm_id).is_(None),
                                        col(Link.synced_at).is_(None), col(table.updated_at) > col(Link.synced_at)))
            rows = session.exec(query.order_by(table.id).limit(batch_size(ctx))).all()
            if not rows:
                return
            after = rows[-1][0]
            held = _held_back(session, ctx, entity, [r[0] for r in rows])
        ids = [r[0] for r in rows if not (r[0] in held and held[r[0]] >= r[1])]
        if ids:
            yield ids


def _held_back(session: Session, ctx: RunContext, entity: str, ids: list[str]) -> dict[str, object]:
    """Rows the CRM rejected (or we found invalid) are not resent until they change or
    `errors retry` asks: prm id -> when they were last quarantined."""
    if ctx.retry_quarantined:
        return {}
    query = select(Quarantine.record_key, Quarantine.last_seen).where(
        Quarantine.entity == entity, Quarantine.side == "push", col(Quarantine.kind).in_(("invalid", "rejected")),
        col(Quarantine.resolved_at).is_(None), col(Quarantine.record_key).in_(ids))
    return dict(session.exec(query).all())


Prepared = tuple[PushRecord, SyncedRow, Link | None, dict[str, str | None], list[str]]


def _prepare(session: Session, ctx: RunContext, mapper: EntityMapper, ids: list[str]) -> list[Prepared]:
    entity = mapper.entity.value
    unreadable: dict[str, str] = {}
    rows = rows_by_id(session, TABLES[mapper.entity], ids, unreadable)
    for prm_id, why in unreadable.items():
        quarantine(session, ctx, entity=entity, side="push", kind="invalid", record_key=prm_id, prm_id=prm_id,
                   reason=why)
    ids = [i for i in ids if i in rows]
    links = links_by_prm(session, entity, ids)
    merge_rules = rules(mapper)
    names = [r.name for r in merge_rules]
    parked = _parked_fields(session, entity, ids)
    targets: dict[Entity, set[str]] = {}
    for row in rows.values():
        for ref in mapper.references:
            if ref.push and getattr(row, ref.name, None):
                targets.setdefault(ref.target, set()).add(getattr(row, ref.name))
    target_links = {t: links_by_prm(session, t.value, ids_) for t, ids_ in targets.items()}
    crm_names = {f.name: f.crm for f in mapper.push_fields} | {r.name: r.crm for r in mapper.references if r.crm}
    out: list[Prepared] = []
    for prm_id in ids:
        row, link = rows[prm_id], links.get(prm_id)
        base = dict(link.base or {}) if link else {}
        prm = snapshot(row, names)
        changed = fields_to_push(merge_rules, base, prm, parked.get(prm_id, frozenset()))
        known = link is not None and link.crm_id is not None
        if link is not None and link.crm_id is not None and not changed and link.synced_at is not None:
            link.synced_at = ctx.clock()  # touched but nothing to send
            session.add(link)
            continue
        lookups: dict[str, str | None] = {}
        associations: dict[str, str | None] = {}
        waiting = None
        for ref in mapper.references:
            if not ref.push:
                continue
            target_prm = getattr(row, ref.name, None)
            target = target_links.get(ref.target, {}).get(target_prm) if target_prm else None
            if target_prm and (target is None or target.crm_id is None):
                waiting = f"waiting for {ref.target.value} {target_prm} to reach the CRM"
                break
            (associations if ref.association else lookups)[ref.name] = target.crm_id if target else None
        if waiting:
            quarantine(session, ctx, entity=entity, side="push", kind="waiting", record_key=prm_id, prm_id=prm_id,
                       reason=waiting)
            continue
        try:
            fields = mapper.to_crm(prm_id, {f.name: getattr(row, f.name) for f in mapper.push_fields}, lookups)
        except BadValue as exc:
            quarantine(session, ctx, entity=entity, side="push", kind="invalid", record_key=prm_id, prm_id=prm_id,
                       reason=str(exc))
            continue
        if known:  # an update: send what changed (plus the key), so a CRM edit in between is not overwritten
            keep = {crm_names[n] for n in changed if n in crm_names} | {mapper.crm_key}
            fields = {k: v for k, v in fields.items() if k in keep}
            associations = {k: v for k, v in associations.items() if k in changed}
        record = PushRecord(key=prm_id, fields=fields, crm_id=link.crm_id if link is not None else None,
                            associations=associations)
        out.append((record, row, link, prm, changed))
    return out


def _send(ctx: RunContext, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
    if ctx.dry_run:
        from prm_sync.connector import Outcome

        return [UpsertResult(r.key, Outcome.UPDATED if r.crm_id else Outcome.CREATED, r.crm_id) for r in records]
    results = ctx.connector.upsert(mapper, records)
    if len(results) != len(records):
        raise RuntimeError(f"connector returned {len(results)} results for {len(records)} records")
    return results


def _record_results(session: Session, ctx: RunContext, mapper: EntityMapper, prepared: list[Prepared],
                    results: list[UpsertResult]) -> None:
    entity = mapper.entity.value
    now = ctx.clock()
    links = links_by_prm(session, entity, (p[0].key for p in prepared))
    new_links = 0
    for (record, _row, _link, prm, changed), result in zip(prepared, results, strict=True):
        if not result.ok:
            quarantine(session, ctx, entity=entity, side="push", kind=result.outcome.value, record_key=record.key,
                       prm_id=record.key, crm_id=record.crm_id, reason=result.message or result.outcome.value)
            continue
        link = links.get(record.key)
        if link is None:
            link, new_links = Link(entity=entity, prm_id=record.key), new_links + 1
        base = dict(link.base or {})
        diffs = {name: (base.get(name), prm[name]) for name in changed}
        base.update({name: prm[name] for name in changed})
        link.base = base
        link.crm_id = result.crm_id or link.crm_id
        link.prm_hash = digest({r.name: prm[r.name] for r in rules(mapper) if r.push})
        link.synced_at = now
        session.add(link)
        action = "create" if result.outcome.value == "created" else "update"
        ctx.report.count(entity, "crm", action, Change(entity, "crm", action, record.key, diffs))
        resolve(session, ctx, entity, "push", record.key)
    if new_links:
        ctx.statistics.wrote(session, Link.__table__, new_links)  # type: ignore[attr-defined]
