"""Both sides' state, normalised so two worlds can be compared record for record.

Ids and timestamps differ between two runs that did the same work (CRM ids are handed out in
arrival order, PRM ids of CRM-created records are random), so they are dropped; a reference to
another record is replaced by that record's normalised content (its digest); keys the sync
invented (PRM ids written back to CRM-created records) become "<key>". What is left is content:
two worlds are equal when every object holds the same multiset of contents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from prm_sync.store import CommissionLine, Conflict, Deal, Link, Partner, Quarantine, Registration, Store
from tests.reliability.world import World

SF_ORDER = ("Account", "Opportunity", "Lead", "Partner_Commission__c")
SF_VOLATILE = {"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
SF_KEY = "PRM_Id__c"
HS_ORDER = ("companies", "deals", "partner_commissions")
HS_VOLATILE = {"hs_object_id", "createdate", "hs_lastmodifieddate", "lastmodifieddate", "hs_createdate"}
HS_KEY = "prm_id"
STORE_TABLES = {"partner": Partner, "lead": Registration, "deal": Deal, "commission": CommissionLine}
STORE_VOLATILE = {"id", "created_at", "updated_at"}
STORE_REFERENCES = {"partner_id": "partner", "deal_id": "deal", "registration_id": "lead"}


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _key(value: Any) -> Any:
    """Keys prm-sync invented (random PRM ids) are not comparable between worlds; seeded ones are."""
    if value is None or str(value).startswith("prm-"):
        return value
    return "<key>"


@dataclass
class State:
    """Per object (CRM) or entity (store): a multiset of normalised records."""

    records: dict[str, Counter[str]] = field(default_factory=dict)
    duplicate_keys: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # link/quarantine/conflict counts

    def missing_from(self, other: State) -> int:
        """Records `other` has that this state lacks (lost, when other is the reference)."""
        return sum(sum((other.records[o] - self.records.get(o, Counter())).values()) for o in other.records)

    def extra_over(self, other: State) -> int:
        """Records this state has beyond `other` (duplicated/invented, when other is the reference)."""
        return sum(sum((self.records[o] - other.records.get(o, Counter())).values()) for o in self.records)


def _finish(records: Mapping[str, Iterable[str]], keys: Mapping[str, Iterable[Any]]) -> State:
    state = State({o: Counter(rs) for o, rs in records.items()})
    for obj, values in keys.items():
        counts = Counter(v for v in values if v)
        state.duplicate_keys[obj] = sorted(k for k, n in counts.items() if n > 1)
    return state


def crm_state(world: World) -> State:
    return _salesforce_state(world) if world.crm == "salesforce" else _hubspot_state(world)


def _salesforce_state(world: World) -> State:
    by_id: dict[str, str] = {}
    records: dict[str, list[str]] = {}
    keys: dict[str, list[Any]] = {}
    for obj in SF_ORDER:
        rows = world.emulator.records(obj, include_deleted=True)
        out = []
        for row in rows:
            norm = {k: (by_id.get(v, v) if isinstance(v, str) else v) for k, v in row.items() if k not in SF_VOLATILE}
            if obj == "Partner_Commission__c":
                norm.pop("Name", None)  # auto-number: follows creation order
            norm[SF_KEY] = _key(row.get(SF_KEY))
            text = json.dumps(norm, sort_keys=True, default=str)
            by_id[row["Id"]] = "->" + digest(text)
            out.append(text)
        records[obj] = out
        keys[obj] = [r.get(SF_KEY) for r in rows if not r.get("IsDeleted")]
    return _finish(records, keys)


def _hubspot_state(world: World) -> State:
    dump = world.emulator.dump()
    objects = dump["objects"]
    names = {name: name for name in objects}
    custom = [n for n in objects if n not in ("companies", "contacts", "deals")]
    links: dict[tuple[str, str], list[tuple[str, str, Any]]] = {}
    for from_type, from_id, to_type, to_id, type_id in dump["associations"]:
        links.setdefault((names.get(from_type, from_type), str(from_id)), []).append(
            (names.get(to_type, to_type), str(to_id), type_id))
    by_id: dict[tuple[str, str], str] = {}
    records: dict[str, list[str]] = {}
    keys: dict[str, list[Any]] = {}
    for obj in ("companies", "deals", *custom):
        rows = objects.get(obj, [])
        out = []
        for row in rows:
            props = {k: v for k, v in row["properties"].items() if k not in HS_VOLATILE}
            props[HS_KEY] = _key(props.get(HS_KEY))
            assoc = sorted(f"{to}:{by_id[(to, to_id)]}:{t}" for to, to_id, t in links.get((obj, str(row["id"])), [])
                           if (to, to_id) in by_id)
            text = json.dumps({"properties": props, "archived": row["archivedMs"] is not None,
                               "associations": assoc}, sort_keys=True)
            by_id[(obj, str(row["id"]))] = digest(text)
            out.append(text)
        records[obj] = out
        keys[obj] = [r["properties"].get(HS_KEY) for r in rows if r["archivedMs"] is None]
    return _finish(records, keys)


def store_state(store: Store, live_crm_ids: set[str] | None = None) -> State:
    """The store's synced entities plus the bookkeeping that must agree: links (complete, one per
    CRM record), open quarantine entries and conflicts, rows still waiting to be pushed."""
    by_id: dict[tuple[str, str], str] = {}
    records: dict[str, list[str]] = {}
    facts: dict[str, Any] = {}
    with store.session() as session:
        all_links = session.exec(select(Link)).all()
        link_of = {(link.entity, link.prm_id): link for link in all_links}
        for entity in ("partner", "lead", "deal", "commission"):
            table = STORE_TABLES[entity]
            out = []
            pending = unlinked = 0
            for row in session.exec(select(table)).all():
                norm: dict[str, Any] = {}
                for name, value in row.model_dump().items():
                    if name in STORE_VOLATILE:
                        continue
                    if name in STORE_REFERENCES and value is not None:
                        value = by_id.get((STORE_REFERENCES[name], value), value)
                    if isinstance(value, dt.datetime):  # set by the store's clock (e.g. expiry = now + 90 d)
                        value = "<time>"
                    norm[name] = value
                text = json.dumps(norm, sort_keys=True, default=str)
                by_id[(entity, row.id)] = "->" + digest(text)
                out.append(text)
                link = link_of.get((entity, row.id))
                if row.deleted_at is None:
                    if link is None or link.crm_id is None:
                        unlinked += 1
                    elif link.synced_at is None or row.updated_at > link.synced_at:
                        pending += 1
            records[entity] = out
            facts[f"{entity}.unlinked"] = unlinked
            facts[f"{entity}.pending_push"] = pending
        crm_ids = Counter((link.entity, link.crm_id) for link in all_links if link.crm_id)
        facts["links.crm_id_shared"] = sorted(f"{e}:{c}" for (e, c), n in crm_ids.items() if n > 1)
        if live_crm_ids is not None:
            facts["links.dangling"] = sum(1 for link in all_links if link.crm_id and link.deleted_at is None
                                          and link.crm_id not in live_crm_ids)
        open_q = session.exec(select(Quarantine).where(col(Quarantine.resolved_at).is_(None))).all()
        facts["quarantine.open"] = sorted(Counter(f"{q.entity}/{q.side}/{q.kind}" for q in open_q).items())
        open_c = session.exec(select(Conflict).where(col(Conflict.resolved_at).is_(None))).all()
        facts["conflicts.open"] = sorted(Counter(f"{c.entity}/{c.field}" for c in open_c).items())
    state = _finish(records, {})
    state.facts = facts
    return state


def live_crm_ids(world: World) -> set[str]:
    if world.crm == "salesforce":
        return {r["Id"] for obj in SF_ORDER for r in world.emulator.records(obj)}
    return {str(r["id"]) for rows in world.emulator.dump()["objects"].values() for r in rows
            if r["archivedMs"] is None}


@dataclass(frozen=True)
class WorldState:
    crm: State
    store: State


def world_state(world: World) -> WorldState:
    with world.store() as store:
        return WorldState(crm_state(world), store_state(store, live_crm_ids(world)))


def differences(actual: WorldState, reference: WorldState) -> list[str]:
    """Human-readable differences (empty when the worlds are equal)."""
    out: list[str] = []
    for side, a, r in (("crm", actual.crm, reference.crm), ("store", actual.store, reference.store)):
        for obj in sorted(set(a.records) | set(r.records)):
            lost = r.records.get(obj, Counter()) - a.records.get(obj, Counter())
            extra = a.records.get(obj, Counter()) - r.records.get(obj, Counter())
            for text in list(lost.elements())[:3]:
                out.append(f"{side} {obj}: missing {text[:300]}")
            for text in list(extra.elements())[:3]:
                out.append(f"{side} {obj}: extra {text[:300]}")
            if lost or extra:
                out.append(f"{side} {obj}: {sum(lost.values())} missing, {sum(extra.values())} extra")
        for obj, dups in a.duplicate_keys.items():
            if dups:
                out.append(f"{side} {obj}: duplicate keys {dups[:5]}")
        if a.facts != r.facts:
            out.append(f"{side} facts: {a.facts} != reference {r.facts}")
    return out
