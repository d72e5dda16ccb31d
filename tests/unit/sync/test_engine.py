"""Engine semantics against the in-memory fake CRM (real SQLite store)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.config import load_config
from prm_sync.mapping import CompiledMapping, load_mapping
from prm_sync.store import Conflict, Deal, Link, Partner, Quarantine, Registration, Store, open_store, upgrade
from prm_sync.sync.engine import run_sync
from tests.unit.sync.fake_crm import FakeCrm

ROOT = Path(__file__).resolve().parents[3]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=5)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def crm(clock: Clock) -> FakeCrm:
    return FakeCrm(clock, page_size=50)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as s:
        upgrade(s)
        yield s


def make_config(tmp_path: Path, conflict: str = "newest_wins", sweep: int = 0,  # type: ignore[no-untyped-def]
                write_process: str = "auto"):
    path = tmp_path / "config.yaml"
    path.write_text(
        "crm: {type: hubspot, hubspot: {access_token: '${T}'}}\n"
        f"mappings: {ROOT / 'mappings' / 'hubspot.yaml'}\n"
        f"sync: {{conflict: {conflict}, lookback_seconds: 0, deletion_sweep_minutes: {sweep}, "
        f"write_process: {write_process}}}\n"
    )
    return load_config(path, env={"T": "x"})


def mapping_with_policy(policy: str) -> CompiledMapping:
    mapping = load_mapping(ROOT / "mappings" / "hubspot.yaml")
    entities = {e: dataclasses.replace(m, conflict=policy) for e, m in mapping.entities.items()}
    return CompiledMapping(mapping.crm, mapping.source, entities)


def sync(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock, policy: str = "newest_wins",  # type: ignore[no-untyped-def]
         sweep: int = 0, **kw):
    return run_sync(store, crm, mapping_with_policy(policy), make_config(tmp_path, sweep=sweep), clock=clock, **kw)


def partner_fields(name: str, **extra: str) -> dict[str, str]:
    return {"name": name, "prm_is_partner": "true", "prm_partner_tier": "gold", **extra}


def test_initial_pull_then_idempotent_rerun(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    ids = [crm.create("companies", partner_fields(f"P{i}")) for i in range(120)]
    crm.create("companies", {"name": "Not a partner", "prm_is_partner": "false"})
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert report.counts["partner"]["prm"]["create"] == 120
    # the PRM id is written back to every CRM-created record, by CRM id (no duplicates)
    assert report.counts["partner"]["crm"]["update"] == 120
    assert len(crm.live("companies")) == 121
    assert all(crm.records[i].fields["prm_id"] for i in ids)
    sync(store, crm, tmp_path, clock, entities=["partner"], sweep=60)  # reads back its own key write-back
    crm.reads = crm.writes = 0
    report = sync(store, crm, tmp_path, clock, entities=["partner"], sweep=60)
    assert crm.writes == 0 and crm.reads == 1
    assert report.total("create", "update", "delete", "conflict") == 0


def test_prm_partner_is_pushed_and_not_duplicated(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    with store.session() as s:
        s.add(Partner(id="p1", name="Acme", tier="silver", status="active"))
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert report.counts["partner"]["crm"]["create"] == 1
    [rec] = crm.live("companies")
    assert rec.fields["prm_id"] == "p1" and rec.fields["prm_partner_tier"] == "silver"
    assert rec.fields["prm_is_partner"] == "true"
    for _ in range(2):
        sync(store, crm, tmp_path, clock, entities=["partner"])
    assert len(crm.live("companies")) == 1


@pytest.mark.parametrize(("policy", "expected_prm", "expected_crm"), [
    ("crm_wins", "silver", "silver"),
    ("prm_wins", "platinum", "platinum"),
    ("newest_wins", "silver", "silver"),   # the CRM edit is the later one below
    ("manual", "platinum", "silver"),
])
def test_conflict_policies(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock, policy: str,
                           expected_prm: str, expected_crm: str) -> None:
    crm_id = crm.create("companies", partner_fields("Acme"))
    sync(store, crm, tmp_path, clock, policy, entities=["partner"])
    with store.session() as s:
        partner = s.exec(select(Partner)).one()
        partner.tier = "platinum"
        partner.updated_at = clock()
        s.add(partner)
    crm.modify(crm_id, prm_partner_tier="silver")
    report = sync(store, crm, tmp_path, clock, policy, entities=["partner"])
    with store.session() as s:
        assert s.exec(select(Partner)).one().tier == expected_prm
        open_conflicts = s.exec(select(Conflict)).all()
    assert crm.records[crm_id].fields["prm_partner_tier"] == expected_crm
    assert (len(open_conflicts) == 1) is (policy == "manual")
    assert (report.total("conflict") == 1) is (policy == "manual")


def test_lead_waits_for_its_partner_then_syncs(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    partner = crm.create("companies", {"name": "Later", "prm_is_partner": "false"})
    crm.create("deals", {"pipeline": "partner_registrations", "prm_customer_company": "Cust",
                         "dealstage": "registration_submitted"}, {"companies": {partner}})
    report = sync(store, crm, tmp_path, clock, entities=["partner", "lead"])
    assert report.counts["lead"]["prm"].get("create", 0) == 0  # associated to no partner: not ours (yet)
    crm.modify(partner, prm_is_partner="true")
    sync(store, crm, tmp_path, clock, entities=["partner", "lead"])
    with store.session() as s:
        assert s.exec(select(Partner)).one().name == "Later"
    # the deal did not change, but a full read picks it up now that its partner is known
    sync(store, crm, tmp_path, clock, entities=["lead"], full=True)
    with store.session() as s:
        lead = s.exec(select(Registration)).one()
        assert lead.company == "Cust" and lead.status == "submitted"


def test_deletions_both_ways(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    a = crm.create("companies", partner_fields("A"))
    crm.create("companies", partner_fields("B"))
    sync(store, crm, tmp_path, clock, entities=["partner"])
    crm.archive(a)
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert report.counts["partner"]["prm"]["delete"] == 1
    with store.session() as s:
        gone = s.exec(select(Partner).where(Partner.name == "A")).one()
        assert gone.deleted_at is not None and gone.deleted_reason == "deleted in the CRM"
        b = s.exec(select(Partner).where(Partner.name == "B")).one()
        b.deleted_at = clock()
        s.add(b)
    # the shipped mapping's on_delete is `ignore`: the CRM record stays, the link notes it
    sync(store, crm, tmp_path, clock, entities=["partner"])
    assert len(crm.live("companies")) == 1
    with store.session() as s:
        assert s.get(Link, ("partner", b.id)).deleted_at is not None


def test_dry_run_writes_nothing_and_predicts_the_run(store: Store, crm: FakeCrm, tmp_path: Path,
                                                     clock: Clock) -> None:
    for i in range(30):
        crm.create("companies", partner_fields(f"P{i}"))
    with store.session() as s:
        s.add(Partner(id="local", name="Local", tier="gold", status="active"))
    before = {k: dict(v.fields) for k, v in crm.records.items()}
    plan = sync(store, crm, tmp_path, clock, entities=["partner"], dry_run=True)
    assert crm.writes == 0 and {k: v.fields for k, v in crm.records.items()} == before
    with store.session() as s:
        assert len(s.exec(select(Partner)).all()) == 1
        assert s.exec(select(Link)).all() == []
    real = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert plan.plain_counts() == real.plain_counts()


def test_invalid_record_is_quarantined_then_retried(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    crm.create("companies", partner_fields("Good"))
    bad = crm.create("companies", partner_fields("Bad", prm_partner_since="not a date"))
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert report.counts["partner"]["prm"]["invalid"] == 1 and report.has_problems
    with store.session() as s:
        [q] = s.exec(select(Quarantine)).all()
        assert q.kind == "invalid" and "prm_partner_since" in q.reason and q.crm_id == bad
    crm.modify(bad, prm_partner_since="2026-01-02")
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert not report.has_problems
    with store.session() as s:
        assert s.exec(select(Quarantine)).one().resolved_at is not None
        assert len(s.exec(select(Partner)).all()) == 2


def test_rejected_push_is_quarantined_and_not_resent_until_changed(store: Store, crm: FakeCrm, tmp_path: Path,
                                                                  clock: Clock) -> None:
    crm.reject = lambda _obj, fields: "INVALID_OPTION: bad phone" if fields.get("phone") == "x" else None
    with store.session() as s:
        s.add(Partner(id="p1", name="Ok", tier="gold", status="active"))
        s.add(Partner(id="p2", name="Bad", tier="gold", status="active", phone="x"))
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert report.counts["partner"]["crm"]["rejected"] == 1
    assert report.counts["partner"]["crm"]["create"] == 1
    crm.writes = 0
    report = sync(store, crm, tmp_path, clock, entities=["partner"])
    assert crm.writes == 0 and not report.total("rejected")
    crm.reject = lambda _obj, _fields: None
    report = sync(store, crm, tmp_path, clock, entities=["partner"], retry_quarantined=True)
    assert report.counts["partner"]["crm"]["create"] == 1


def test_deals_resolve_partner_through_associations(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    p = crm.create("companies", partner_fields("Acme"))
    crm.create("deals", {"pipeline": "default", "dealname": "Big", "amount": "1200.50", "dealstage": "closedwon",
                         "hs_is_closed_won": "true"}, {"companies": {p}})
    crm.create("deals", {"pipeline": "default", "dealname": "Direct", "dealstage": "closedwon"})
    sync(store, crm, tmp_path, clock, entities=["partner", "deal"])
    with store.session() as s:
        deal = s.exec(select(Deal)).one()
        partner = s.exec(select(Partner)).one()
        assert deal.name == "Big" and deal.partner_id == partner.id and deal.is_won
        assert str(deal.amount) == "1200.50"


def test_two_crm_records_with_one_prm_key_in_one_page_make_one_row(store: Store, crm: FakeCrm, tmp_path: Path,
                                                                    clock: Clock) -> None:
    """New rows are written at the end of their page: the second claimant must still see the first."""
    first = crm.create("companies", partner_fields("Acme", prm_id="k1"))
    second = crm.create("companies", partner_fields("Acme copy", prm_id="k1"))
    report = sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    with store.session() as s:
        assert [(p.id, p.name) for p in s.exec(select(Partner))] == [("k1", "Acme")]
        [link] = s.exec(select(Link).where(Link.entity == "partner")).all()
        assert link.crm_id == first
        [entry] = s.exec(select(Quarantine)).all()
    assert entry.crm_id == second and "two CRM records claim one PRM record" in entry.reason
    assert report.counts["partner"]["prm"]["create"] == 1


class RepeatingCrm(FakeCrm):
    """A CRM whose pages repeat their first record at the end (one record read twice in a page)."""

    def read_changes(self, mapper, since, until):  # type: ignore[no-untyped-def]
        for page in super().read_changes(mapper, since, until):
            yield dataclasses.replace(page, records=[*page.records, *page.records[:1]])


def test_a_record_read_twice_in_one_page_makes_one_row(store: Store, tmp_path: Path, clock: Clock) -> None:
    crm = RepeatingCrm(clock, page_size=50)
    ids = [crm.create("companies", partner_fields(f"P{i}")) for i in range(3)]
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    with store.session() as s:
        links = s.exec(select(Link).where(Link.entity == "partner")).all()
        assert sorted(link.crm_id for link in links) == sorted(ids)
        assert len(s.exec(select(Partner)).all()) == 3
        assert not s.exec(select(Quarantine)).all()


def test_a_run_collects_the_young_generation_less_often_and_restores_the_setting(
        store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    import gc

    from prm_sync.sync.engine import GC_GEN0_THRESHOLD
    from prm_sync.sync.events import NullObserver

    seen: list[int] = []

    class Watch(NullObserver):
        def progress(self, entity: str, phase: str, done: int, total: int | None = None) -> None:
            seen.append(gc.get_threshold()[0])

    before = gc.get_threshold()
    crm.create("companies", partner_fields("Acme"))
    sync(store, crm, tmp_path, clock, entities=["partner"], observer=Watch())
    assert seen and min(seen) >= GC_GEN0_THRESHOLD
    assert gc.get_threshold() == before


def test_a_run_lets_its_threads_hold_the_gil_longer_and_restores_the_interval(
        store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    import sys

    from prm_sync.sync.engine import SWITCH_INTERVAL_S
    from prm_sync.sync.events import NullObserver

    seen: list[float] = []

    class Watch(NullObserver):
        def progress(self, entity: str, phase: str, done: int, total: int | None = None) -> None:
            seen.append(sys.getswitchinterval())

    before = sys.getswitchinterval()
    assert before < SWITCH_INTERVAL_S  # CPython's 5 ms
    crm.create("companies", partner_fields("Acme"))
    sync(store, crm, tmp_path, clock, entities=["partner"], observer=Watch())
    assert seen and min(seen) == SWITCH_INTERVAL_S
    assert sys.getswitchinterval() == before


class RepeatingAcrossPagesCrm(FakeCrm):
    """A CRM whose every page after the first repeats the previous page's last record (a record
    changed while the read went on, met again further on)."""

    def read_changes(self, mapper, since, until):  # type: ignore[no-untyped-def]
        last = None
        for page in super().read_changes(mapper, since, until):
            yield dataclasses.replace(page, records=[*([last] if last else []), *page.records])
            last = page.records[-1] if page.records else None


def test_a_first_load_meets_a_record_again_on_a_later_page_and_makes_one_row(store: Store, tmp_path: Path,
                                                                             clock: Clock) -> None:
    """A first load skips the link and row look-ups of each page (issue 17) unless a probe finds a
    record this run has already stored: the repeat must update that row, not add a second one."""
    crm = RepeatingAcrossPagesCrm(clock, page_size=2)
    ids = [crm.create("companies", partner_fields(f"P{i}")) for i in range(7)]
    looked_up = _link_lookups(store)
    seen = next(looked_up)
    report = sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    looked_up.close()
    with store.session() as s:
        links = s.exec(select(Link).where(Link.entity == "partner")).all()
        assert sorted(link.crm_id for link in links) == sorted(ids)
        assert len(s.exec(select(Partner)).all()) == 7
        assert not s.exec(select(Quarantine)).all()
    assert report.counts["partner"]["prm"]["create"] == 7
    # each later page holds a record stored before: the filter says "maybe", the database is asked
    assert sum(s.startswith("SELECT 1 FROM link") for s in seen) == 3


def test_a_first_load_with_two_claimants_of_one_prm_key_on_different_pages(store: Store, tmp_path: Path,
                                                                             clock: Clock) -> None:
    crm = FakeCrm(clock, page_size=2)
    first = crm.create("companies", partner_fields("Acme", prm_id="k1"))
    crm.create("companies", partner_fields("Other"))
    second = crm.create("companies", partner_fields("Acme copy", prm_id="k1"))   # on the second page
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    with store.session() as s:
        assert sorted(p.name for p in s.exec(select(Partner))) == ["Acme", "Other"]
        assert s.exec(select(Link).where(Link.crm_id == first)).one().prm_id == "k1"
        [entry] = s.exec(select(Quarantine)).all()
    assert entry.crm_id == second and "two CRM records claim one PRM record" in entry.reason


def _link_lookups(store: Store) -> Iterator[list[str]]:
    from sqlalchemy import event

    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM link" in statement and " IN (" in statement:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", watch)


def test_a_first_load_looks_no_link_up_and_a_later_run_looks_them_up(store: Store, crm: FakeCrm,
                                                                               tmp_path: Path, clock: Clock) -> None:
    for i in range(120):   # three pages of 50
        crm.create("companies", partner_fields(f"P{i}"))
    looked_up = _link_lookups(store)
    seen = next(looked_up)
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    first_load = list(seen)
    seen.clear()
    for record in crm.live("companies"):
        crm.modify(record.crm_id, phone="+1 555 0100")
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    later = list(seen)
    looked_up.close()
    # first load: no page looks links up (none of its ids was stored by this run: the in-memory filter)
    assert first_load == []
    # the next run reads links as Link rows again (the store is no longer empty)
    assert later and not any(s.startswith("SELECT 1 FROM link") for s in later)


def test_a_registration_pull_reads_the_names_of_its_pages_partners_only(store: Store, crm: FakeCrm,
                                                                          tmp_path: Path, clock: Clock) -> None:
    """The conflict index names each registration's partner; the pull must not hold a map of every
    partner for that (issue 17: ~20 MB per 100,000 partners for the whole registration pull)."""
    import json

    from sqlalchemy import event

    partners = [crm.create("companies", partner_fields(f"P{i}")) for i in range(120)]
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    for i in range(100):   # two pages of 50, each naming 2 of the 120 partners
        crm.create("deals", {"pipeline": "partner_registrations", "prm_customer_company": f"Customer {i % 7}",
                             "dealstage": "registration_submitted"}, {"companies": {partners[i // 50 * 2 + i % 2]}})
    reads: list[list[str]] = []  # the partner ids each read of partner names asked for

    def watch(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM partner" in statement:
            assert "id, name" in statement
            # SQLite with JSON functions: the ids as one JSON array; else one parameter each
            reads.append(json.loads(parameters[0]) if "json_each" in statement else list(parameters))

    event.listen(store.engine, "before_cursor_execute", watch)
    try:
        report = sync(store, crm, tmp_path, clock, entities=["lead"], direction="pull")
    finally:
        event.remove(store.engine, "before_cursor_execute", watch)
    assert report.counts["lead"]["prm"]["create"] == 100
    assert [len(ids) for ids in reads] == [2, 2]  # one read a page, of its two partners
    with store.session() as s:   # the names reached the conflict details (Customer i: 14+ registrations)
        flagged = [r for r in s.exec(select(Registration)) if r.conflict_with]
        assert flagged and all(r.conflict_with.startswith("P") for r in flagged)


class BulkLikeCrm(FakeCrm):
    """A CRM read like a Bulk API 2.0 query job: pages carry no cursor, only the last one does;
    `fail_after` pages, the read breaks off (the connection lost mid-read)."""

    fail_after: int | None = None

    def read_changes(self, mapper, since, until):  # type: ignore[no-untyped-def]
        pages = list(super().read_changes(mapper, since, until))
        for n, page in enumerate(pages):
            if self.fail_after is not None and n == self.fail_after:
                from prm_sync.connector import CrmUnavailable

                raise CrmUnavailable("the read broke off")
            yield page if n == len(pages) - 1 else dataclasses.replace(page, cursor=None)


def _events(store: Store) -> list[str]:
    """Commits ("C") and the tables rows are INSERTed into, in order."""
    from sqlalchemy import event

    seen: list[str] = []
    event.listen(store.engine, "commit", lambda conn: seen.append("C"))
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement.split()[2])
                 if statement.startswith("INSERT INTO") else None)
    return seen


def _pull_commits(events: list[str]) -> int:
    """Commits from the first partner row written to the commit of the pull's cursor."""
    start, end = events.index("partner"), events.index("sync_cursor")
    return events[start:end].count("C") + 1


def test_a_first_load_commits_cursorless_pages_in_units_of_first_load_unit_records(
        store: Store, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: a Bulk first load commits every FIRST_LOAD_UNIT records, not every page (each
    commit rewrote the index pages the page's random ids touched); a page with a cursor (REST,
    the last Bulk page) still ends its unit of work. Nothing is lost or doubled."""
    from prm_sync.sync import pull

    monkeypatch.setattr(pull, "FIRST_LOAD_UNIT", 20)
    crm = BulkLikeCrm(clock, page_size=10)
    ids = [crm.create("companies", partner_fields(f"P{i}")) for i in range(65)]   # 7 pages, the last of 5
    events = _events(store)
    report = sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    assert _pull_commits(events) == 4   # pages 1-2, 3-4, 5-6, then 7 with the cursor
    with store.session() as s:
        assert sorted(str(link.crm_id) for link in s.exec(select(Link).where(Link.entity == "partner"))) == sorted(ids)
        assert len(s.exec(select(Partner)).all()) == 65
    assert report.counts["partner"]["prm"]["create"] == 65
    monkeypatch.setattr(pull, "FIRST_LOAD_UNIT", 1)   # as before: one unit of work per page
    with open_store(f"sqlite:///{tmp_path / 'per-page.db'}") as other:
        upgrade(other)
        per_page = _events(other)
        sync(other, crm, tmp_path, clock, entities=["partner"], direction="pull")
        with other.session() as s:
            assert len(s.exec(select(Partner)).all()) == 65
    assert _pull_commits(per_page) == 7


def test_a_bulk_first_load_broken_off_keeps_the_units_committed_before(
        store: Store, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    from prm_sync.sync import pull

    monkeypatch.setattr(pull, "FIRST_LOAD_UNIT", 20)
    crm = BulkLikeCrm(clock, page_size=10)
    for i in range(65):
        crm.create("companies", partner_fields(f"P{i}"))
    crm.fail_after = 3   # pages 1-2 committed as one unit; page 3 was in the open unit
    from prm_sync.connector import CrmUnavailable

    with pytest.raises(CrmUnavailable):
        sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    with store.session() as s:
        assert len(s.exec(select(Partner)).all()) == 20
    crm.fail_after = None
    sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")   # starts again from nothing
    with store.session() as s:
        assert len(s.exec(select(Partner)).all()) == 65
        assert len(s.exec(select(Link).where(Link.entity == "partner")).all()) == 65



def test_a_first_load_under_the_report_cap_reports_each_created_row(
        store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock) -> None:
    """Each created row is in the report's changes while under its cap (past it, none is made:
    tests/unit/sync/test_report_cap.py)."""
    ids = [crm.create("companies", partner_fields(f"P{i}")) for i in range(30)]
    report = sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    created = [c for c in report.changes if c.action == "create" and c.side == "prm"]
    assert len(created) == len(ids) == report.counts["partner"]["prm"]["create"]
    assert all(c.fields["name"][1].startswith("P") for c in created)


def test_a_pages_partner_history_rows_share_one_time(store: Store, tmp_path: Path, clock: Clock) -> None:
    from prm_sync.store import PartnerStatusChange

    crm = FakeCrm(clock, page_size=50)  # the clock moves on each time it is read
    for i in range(60):
        crm.create("companies", partner_fields(f"P{i}", prm_partner_status="active"))
    report = sync(store, crm, tmp_path, clock, entities=["partner"], direction="pull")
    assert report.pulled["partner"] == 60
    with store.session() as s:
        times = [row.at for row in s.exec(select(PartnerStatusChange)).all()]
    assert len(times) == 60 and len(set(times)) == 2  # two pages, one time each
