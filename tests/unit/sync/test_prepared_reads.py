"""The engine prepares the next entity's first read before it pulls the one ahead of it
(capabilities.prepares_reads), and only then: what is prepared, when, and what a run that stops
first leaves behind. Against the in-memory fake CRM (real SQLite store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prm_sync.connector import Capabilities, CrmUnavailable, Cursor, Page
from prm_sync.mapping import EntityMapper
from prm_sync.store import Store, open_store, upgrade
from prm_sync.sync.events import NullObserver
from prm_sync.sync.report import RunReport
from tests.unit.sync.fake_crm import FakeCrm
from tests.unit.sync.test_engine import Clock, partner_fields, sync


@dataclass
class Prepared:
    crm: PreparingCrm
    mapper: EntityMapper
    since: Cursor | None
    until: dt.datetime
    expected: int | None = None

    def pages(self) -> Iterator[Page]:
        self.crm.log.append(("read prepared", self.mapper.entity.value))
        return FakeCrm.read_changes(self.crm, self.mapper, self.since, self.until)


class PreparingCrm(FakeCrm):
    """The fake CRM, able to prepare a read; logs prepares and reads in order."""

    capabilities = Capabilities(prepares_reads=True)

    def __init__(self, clock: Callable[[], dt.datetime], page_size: int = 100) -> None:
        super().__init__(clock, page_size)
        self.log: list[tuple[str, str]] = []
        self.failing: dict[str, Exception] = {}

    def prepare_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Prepared:
        self.log.append(("prepare", mapper.entity.value))
        if mapper.entity.value in self.failing:
            self.reads += 1  # the failed call counts
            raise self.failing[mapper.entity.value]
        return Prepared(self, mapper, since, until)

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        self.log.append(("read", mapper.entity.value))
        return super().read_changes(mapper, since, until)


ENTITIES = ["partner", "lead", "deal"]


def seed(crm: FakeCrm) -> None:
    partners = [crm.create("companies", partner_fields(f"P{i}")) for i in range(30)]
    for i in range(40):
        crm.create("deals", {"pipeline": "partner_registrations", "prm_customer_company": f"Customer {i % 7}",
                             "dealstage": "registration_submitted"}, {"companies": {partners[i % 30]}})
        crm.create("deals", {"pipeline": "default", "dealname": f"Deal {i}", "amount": "10.00",
                             "dealstage": "closedwon", "hs_is_closed_won": "true"}, {"companies": {partners[i % 30]}})


def store_rows(store: Store) -> dict[str, Any]:
    from sqlmodel import select

    from prm_sync.store import Link
    from prm_sync.sync.rows import TABLES

    out: dict[str, Any] = {}
    with store.session() as s:
        for entity, table in TABLES.items():
            rows = s.exec(select(table)).all()
            # without times and ids (the two stores made their own PRM ids; a hash includes references)
            out[entity.value] = sorted(
                tuple(sorted((k, str(v)) for k, v in r.model_dump().items()
                             if not k.endswith(("_at", "id")) and not k.startswith("conflict")))
                for r in rows)
        links = s.exec(select(Link)).all()
        out["links"] = sorted((lk.entity, lk.crm_id, lk.crm_hash if lk.entity == "partner" else "")
                              for lk in links)
    return out


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}") as s:
        upgrade(s)
        yield s


@pytest.fixture
def second_store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'plain.db'}") as s:
        upgrade(s)
        yield s


def pull(store: Store, crm: FakeCrm, tmp_path: Path, clock: Clock, **kw: Any) -> RunReport:
    kw.setdefault("entities", ENTITIES)
    kw.setdefault("direction", "pull")
    return sync(store, crm, tmp_path, clock, **kw)  # type: ignore[no-any-return]


def test_a_first_load_prepares_each_next_entitys_read_before_pulling_the_one_ahead(
        store: Store, second_store: Store, tmp_path: Path, clock: Clock) -> None:
    crm = PreparingCrm(clock, page_size=25)
    seed(crm)
    report = pull(store, crm, tmp_path, clock)
    assert crm.log == [("prepare", "partner"), ("prepare", "lead"), ("read prepared", "partner"),
                       ("prepare", "deal"), ("read prepared", "lead"), ("read prepared", "deal")]
    # the same rows, links and calls as a connector that cannot prepare (the general path)
    plain = FakeCrm(clock, page_size=25)
    plain.records = crm.records
    plain_report = pull(second_store, plain, tmp_path, clock)
    assert report.pulled == plain_report.pulled == {"partner": 30, "lead": 40, "deal": 40}
    assert report.api_calls == plain_report.api_calls
    assert store_rows(store) == store_rows(second_store)
    assert report.counts == plain_report.counts

    crm.log.clear()
    again = pull(store, crm, tmp_path, clock)   # incremental: every entity has its cursor
    assert crm.log == [("read", "partner"), ("read", "lead"), ("read", "deal")]
    assert again.total("create") == 0 and again.total("update") == 0

    crm.log.clear()
    pull(store, crm, tmp_path, clock, full=True)   # --full reads everything: prepared again
    assert [kind for kind, _ in crm.log].count("prepare") == 3


def test_only_first_reads_with_an_entity_after_them_are_prepared(store: Store, tmp_path: Path, clock: Clock) -> None:
    crm = PreparingCrm(clock)
    seed(crm)
    pull(store, crm, tmp_path, clock, entities=["partner"])
    assert crm.log == [("read", "partner")]   # nothing to overlap: read as ever
    crm.log.clear()
    pull(store, crm, tmp_path, clock, entities=["partner", "lead"])
    # partner has its cursor (incremental, never prepared); lead's first read is prepared before it
    assert crm.log == [("prepare", "lead"), ("read", "partner"), ("read prepared", "lead")]
    crm.log.clear()
    sync(store, crm, tmp_path, clock, entities=["deal", "lead"], direction="push")
    assert crm.log == []
    crm.log.clear()
    pull(store, crm, tmp_path, clock, entities=["partner", "lead", "deal"], dry_run=True)
    assert crm.log == [("read", "partner"), ("prepare", "deal"), ("read", "lead"), ("read prepared", "deal")]


def test_a_run_stopped_before_a_prepared_reads_turn_leaves_it_unread_and_the_rerun_converges(
        store: Store, second_store: Store, tmp_path: Path, clock: Clock) -> None:
    crm = PreparingCrm(clock, page_size=25)
    seed(crm)

    class StopAfterFirstUnit(NullObserver):
        def stop_requested(self) -> bool:
            return True

    stopped = pull(store, crm, tmp_path, clock, observer=StopAfterFirstUnit())
    assert stopped.interrupted
    assert crm.log == [("prepare", "partner"), ("prepare", "lead"), ("read prepared", "partner")]
    assert stopped.pulled == {"partner": 25}
    crm.log.clear()
    rerun = pull(store, crm, tmp_path, clock)
    # partner: from the committed page's cursor (its last record read again); lead, deal: first reads
    assert rerun.pulled == {"partner": 6, "lead": 40, "deal": 40}
    assert crm.log == [("prepare", "lead"), ("read", "partner"), ("prepare", "deal"), ("read prepared", "lead"),
                       ("read prepared", "deal")]
    plain = FakeCrm(clock, page_size=25)
    plain.records = crm.records
    pull(second_store, plain, tmp_path, clock)
    assert store_rows(store) == store_rows(second_store)


def test_a_failed_prepare_fails_the_run_in_that_entitys_turn_not_before(
        store: Store, tmp_path: Path, clock: Clock) -> None:
    """The entities ahead of it are pulled and committed as without preparing, and the failed
    call is not made a second time."""
    crm = PreparingCrm(clock)
    seed(crm)
    crm.failing["deal"] = CrmUnavailable("down for deals")
    with pytest.raises(CrmUnavailable, match="down for deals"):
        pull(store, crm, tmp_path, clock)
    assert crm.log == [("prepare", "partner"), ("prepare", "lead"), ("read prepared", "partner"),
                       ("prepare", "deal"), ("read prepared", "lead")]
    del crm.failing["deal"]
    crm.log.clear()
    report = pull(store, crm, tmp_path, clock)
    assert report.pulled == {"partner": 1, "lead": 1, "deal": 40}   # partner, lead: from their cursors
    assert crm.log == [("read", "partner"), ("prepare", "deal"), ("read", "lead"), ("read prepared", "deal")]


def _writer_children() -> list[int]:
    """This process's children that are the store's writer process (sync/writer.py)."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"prm_sync.sync.writer" in command:
                found.append(int(pid))
    return found


class CountingCrm(PreparingCrm):
    """Prepared reads that say how many records the CRM counted, and note at their first page
    whether the writer process was already running."""

    def __init__(self, clock: Callable[[], dt.datetime], expected: int) -> None:
        super().__init__(clock, page_size=25)
        self.expected = expected
        self.writer_at_first_page: dict[str, bool] = {}

    def prepare_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Prepared:
        super().prepare_changes(mapper, since, until)
        return CountedPrepared(self, mapper, since, until, self.expected)


class CountedPrepared(Prepared):
    def pages(self) -> Iterator[Page]:
        assert isinstance(self.crm, CountingCrm)
        self.crm.writer_at_first_page.setdefault(self.mapper.entity.value, bool(_writer_children()))
        return super().pages()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc (Linux)")
@pytest.mark.parametrize(("expected", "started"), [(50_000, True), (10, False)])
def test_a_big_prepared_first_load_starts_the_writer_process_before_its_first_page(
        store: Store, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch, expected: int,
        started: bool) -> None:
    from prm_sync.sync import writer

    monkeypatch.setattr(writer, "cpus_available", lambda: 2)  # auto wants a second core
    crm = CountingCrm(clock, expected)
    seed(crm)
    report = pull(store, crm, tmp_path, clock)
    assert not report.has_problems
    # the first entity's read is prepared too (the run's first turn prepares it with the next's)
    assert crm.writer_at_first_page["partner"] is started
    assert _writer_children() == []  # started or not, the run ended it
    with store.session() as session:  # and nothing was lost: every record was stored, once
        from sqlmodel import func, select

        from prm_sync.store import Partner
        assert session.exec(select(func.count()).select_from(Partner)).one() == 30
