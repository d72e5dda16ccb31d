"""Hostile inputs through partners, registrations and commissions, typed into the CRM and written
to the store: each is held faithfully by the other side, or quarantined with a reason, or was
refused by the side it was put into. Never a crash, never an injected query, no other record
touched.

Per CRM one world takes the whole corpus in one sync (then a second sync for inputs written to
the store behind the ORM's back, with the wrong type), and every input is judged on its own.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from prm_sync.store import CommissionLine, Deal, Link, Partner, Quarantine, Registration
from tests.reliability.crm_side import CrmRefused, CrmUser, create_record, crm_user, edit_record
from tests.reliability.hostile import QUERY_FRAGMENTS, Case, build_cases, faithful, kind_of
from tests.reliability.ledger import Ledger
from tests.reliability.world import World, start_world

CRM_FIELD = {
    "salesforce": {"name": "Name", "joined_on": "Partner_Since__c", "company": "Company",
                   "expected_close": "Expected_Close_Date__c", "estimated_value": "Estimated_Value__c",
                   "explanation": "Explanation__c", "amount": "Amount__c", "status": "Status__c"},
    "hubspot": {"name": "name", "joined_on": "prm_partner_since", "company": "prm_customer_company",
                "expected_close": "closedate", "estimated_value": "amount", "explanation": "explanation",
                "amount": "amount", "status": "status"},
}
LABEL = {"partner": "name", "lead": "company"}  # the field that names a record made for another input
TABLE = {"partner": Partner, "lead": Registration, "commission": CommissionLine}


def behind_the_orm(case: Case) -> bool:
    """PRM-side wrong types are written with raw SQL (stage 2): the ORM would not take them."""
    return case.side == "prm" and case.name.startswith("wrong-type")


@dataclass
class Results:
    verdicts: dict[str, str] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    injected_queries: list[str] = field(default_factory=list)
    touched_records: list[str] = field(default_factory=list)
    crashed_cases: set[str] = field(default_factory=set)


def crm_records(world: World) -> dict[str, dict[str, Any]]:
    """Every CRM record by id (Salesforce: all fields; HubSpot: properties and times)."""
    if world.crm == "salesforce":
        return {r["Id"]: r for obj in ("Account", "Lead", "Opportunity", "Partner_Commission__c")
                for r in world.emulator.records(obj, include_deleted=True)}
    return {f"{obj}:{r['id']}": r for obj, rows in world.emulator.dump()["objects"].items() for r in rows}


def crm_by_key(world: World, entity: str, key: str) -> dict[str, Any] | None:
    if world.crm == "salesforce":
        obj = {"partner": "Account", "lead": "Lead", "commission": "Partner_Commission__c"}[entity]
        found = [r for r in world.emulator.records(obj) if r.get("PRM_Id__c") == key]
        return found[0] if found else None
    obj = {"partner": "companies", "lead": "deals", "commission": "partner_commissions"}[entity]
    found = [r["properties"] for r in world.emulator.dump()["objects"][obj]
             if r["properties"].get("prm_id") == key and r["archivedMs"] is None]
    return found[0] if found else None


def enter_crm_side(world: World, user: CrmUser, case: Case, partner: str, commission: str) -> None:
    crm_field = CRM_FIELD[world.crm][case.field]
    value = case.value
    try:
        if case.entity == "commission":
            edit_record(user, "commission", commission, {crm_field: value})
            case.handle = commission
            return
        fields = {crm_field: value}
        if case.field != LABEL[case.entity]:
            fields[CRM_FIELD[world.crm][LABEL[case.entity]]] = f"Hostile {case.name}"
        case.handle = create_record(user, case.entity, fields, partner if case.entity == "lead" else None)
    except CrmRefused as refused:
        case.refused = f"the CRM refused it: {refused}"


def enter_prm_side(world: World, case: Case, partner: str, deal: Deal) -> None:
    prm_id = "hostile-" + hashlib.sha256(case.id.encode()).hexdigest()[:16]  # within Salesforce's text(36) key
    wrong_type = behind_the_orm(case)
    value = None if wrong_type else case.value
    if case.entity == "partner":
        row: Any = Partner(id=prm_id, name=f"Hostile {case.name}", tier="gold", status="active")
    elif case.entity == "lead":
        row = Registration(id=prm_id, partner_id=partner, company=f"Hostile {case.name}",
                           contact_last_name="Hostile", currency="USD")
    else:
        row = CommissionLine(id=prm_id, deal_id=deal.id, partner_id=deal.partner_id, amount=Decimal("1.00"),
                             currency="USD", period="2026-Q4", explanation="hostile")
    if not wrong_type:
        setattr(row, case.field, value)
    try:
        with world.store() as store, store.session(write=True) as s:
            s.add(row)
    except Exception as exc:  # the store's own types refuse it: it never enters
        case.refused = f"the store refused it: {type(exc).__name__}: {str(exc)[:200]}"
        return
    case.handle = prm_id
    if wrong_type:  # behind the ORM's back, as a hand edit of the SQLite file would
        with sqlite3.connect(world.store_path) as db:
            db.execute(f"UPDATE {row.__tablename__} SET {case.field} = ? WHERE id = ?", (case.value, prm_id))
        db.close()


def judge(world: World, case: Case) -> str:
    if case.refused:
        return f"refused at entry ({case.refused[:80]})"
    assert case.handle is not None
    side = "pull" if case.side == "crm" else "push"
    with world.store() as store, store.session() as s:
        entry = s.exec(select(Quarantine).where(
            Quarantine.entity == case.entity, Quarantine.side == side, Quarantine.record_key == case.handle,
            col(Quarantine.resolved_at).is_(None))).first()
        if entry is not None:
            return f"quarantined {entry.kind}: {entry.reason}" if entry.reason else "BAD: quarantined, no reason"
        if case.side == "crm":
            link = s.exec(select(Link).where(Link.entity == case.entity, Link.crm_id == case.handle)).first()
            row = s.get(TABLE[case.entity], link.prm_id) if link else None
            held = getattr(row, case.field, None) if row else None
            if row is not None and faithful(case.value, held, kind_of(case.field)):
                return "faithful"
            return f"BAD: store holds {str(held)[:80]!r}" if row else "BAD: neither stored nor quarantined"
    record = crm_by_key(world, case.entity, case.handle)
    held = record.get(CRM_FIELD[world.crm][case.field]) if record else None
    if record is not None and faithful(case.value, held, kind_of(case.field)):
        return "faithful"
    return f"BAD: CRM holds {str(held)[:80]!r}" if record else "BAD: neither in the CRM nor quarantined"


def queries_seen(world: World) -> list[str]:
    """The text of every query the CRM received: SOQL (`q=`) and HubSpot search bodies."""
    out = []
    for logged in world.emulator.request_log or []:
        if logged.query:
            out.append(urllib.parse.unquote_plus(logged.query))
        if logged.path.endswith("/search"):
            out.append(json.dumps(json.loads(logged.body or b"{}"), ensure_ascii=False))
    return out


def run_corpus(crm: str, workdir: Path) -> tuple[list[Case], Results]:
    world = start_world(crm, workdir, generate=5, seed=3)
    results = Results()
    try:
        user = crm_user(world.sandbox)
        world.sync_until_quiet()
        with world.store() as store, store.session(write=True) as s:
            deal = s.exec(select(Deal).where(col(Deal.deleted_at).is_(None)).order_by(Deal.id)).first()
            assert deal is not None
            s.add(CommissionLine(id="base-commission", deal_id=deal.id, partner_id=deal.partner_id,
                                 amount=Decimal("10.00"), currency="USD", period="2026-Q4"))
            partner = s.exec(select(Link.prm_id).where(Link.entity == "partner").order_by(Link.prm_id)).first()
        world.sync_until_quiet()
        commission = crm_by_key(world, "commission", "base-commission")
        assert commission is not None
        commission_id = str(commission.get("Id") or commission.get("hs_object_id"))
        partner_crm = user.ids("partner")[0]
        assert partner is not None
        cases = build_cases(crm)
        stage2 = [c for c in cases if behind_the_orm(c)]
        for case in cases:
            if behind_the_orm(case):
                continue
            if case.side == "crm":
                enter_crm_side(world, user, case, partner_crm, commission_id)
            else:
                enter_prm_side(world, case, partner, deal)
        handles = {c.handle for c in cases if c.handle}
        before = {k: v for k, v in crm_records(world).items()
                  if k not in handles and k.split(":")[-1] not in handles}
        world.emulator.request_log = []
        for stage in [None, *stage2]:  # the typed corpus, then each raw-SQL input on its own
            if stage is not None:
                enter_prm_side(world, stage, partner, deal)
            try:
                world.sync_in_process()
                world.sync_in_process()
            except Exception as exc:
                where = "typed corpus" if stage is None else stage.id
                results.crashes.append(f"{where}: {type(exc).__name__}: {str(exc)[:300]}")
                if stage is not None:
                    stage.refused = None
                    results.crashed_cases.add(stage.id)
                    with sqlite3.connect(world.store_path) as db:  # take it out so the next stage can run
                        db.execute(f"DELETE FROM {TABLE[stage.entity].__tablename__} WHERE id = ?", (stage.handle,))
                    db.close()
        results.injected_queries = [q[:200] for q in queries_seen(world) if any(f in q for f in QUERY_FRAGMENTS)]
        after = crm_records(world)
        key = "Id" if crm == "salesforce" else "id"
        results.touched_records = [str(v.get(key)) for k, v in before.items()
                                   if json.dumps(after.get(k), default=str) != json.dumps(v, default=str)]
        results.verdicts = {c.id: ("BAD: the sync crashed on it" if c.id in results.crashed_cases else judge(world, c))
                            for c in cases}
        results.crashes += [e.splitlines()[-1] for e in world.emulator.unexpected_errors]
        return cases, results
    finally:
        world.sandbox.stop()


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Results]]:
    class Lazy(dict[str, Results]):
        def __missing__(self, crm: str) -> Results:
            self[crm] = run_corpus(crm, tmp_path_factory.mktemp(f"hostile-{crm}"))[1]
            return self[crm]

    yield Lazy()


CASES = [pytest.param(crm, case.id, id=f"{crm}-{case.id}")
         for crm in ("salesforce", "hubspot") for case in build_cases(crm)]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_no_crash_no_injected_query_no_other_record_touched(crm: str, corpus_runs: dict[str, Results]) -> None:
    results = corpus_runs[crm]
    assert results.crashes == []
    assert results.injected_queries == []
    assert results.touched_records == []


@pytest.mark.parametrize(("crm", "case_id"), CASES)
def test_hostile_input_is_held_faithfully_or_quarantined(
    crm: str, case_id: str, corpus_runs: dict[str, Results], ledger: Ledger,
) -> None:
    verdict = corpus_runs[crm].verdicts[case_id]
    ledger.hostile_inputs.add(f"{crm}:{case_id}")
    assert not verdict.startswith("BAD"), verdict
