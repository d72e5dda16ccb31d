"""A first load's rows written by the writer process (sync/writer.py) give the store the in-line
write gives, in the cases that make the run's own process write or look up in the middle of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from prm_sync.mapping import load_mapping
from prm_sync.store import Link, Partner, Quarantine, Store, open_store, upgrade
from prm_sync.sync.engine import run_sync
from tests.unit.sync.fake_crm import FakeCrm
from tests.unit.sync.test_engine import Clock, RepeatingAcrossPagesCrm, make_config, partner_fields

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, Store]]:
    opened = {}
    for mode in ("on", "off"):
        opened[mode] = open_store(f"sqlite:///{tmp_path / f'prm-{mode}.db'}")
        upgrade(opened[mode])
    yield opened
    for store in opened.values():
        store.close()


def _inline_inserts(store: Store) -> Iterator[list[str]]:
    """Tables this process INSERTed into (the writer process's statements are not seen here)."""
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.startswith("INSERT INTO"):
            seen.append(statement.split()[2])

    event.listen(store.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", watch)


def _state(store: Store) -> dict[str, Any]:
    with store.session() as s:
        links = s.exec(select(Link).order_by(Link.entity, Link.crm_id)).all()
        by_id = {p.id: p for p in s.exec(select(Partner))}
        return {
            "links": [(lk.entity, lk.crm_id, lk.crm_hash, lk.base, lk.prm_id == lk.prm_id) for lk in links],
            "partners": sorted((by_id[lk.prm_id].name, by_id[lk.prm_id].name_key, by_id[lk.prm_id].tier, lk.crm_id)
                               for lk in links if lk.entity == "partner"),
            "quarantine": sorted((q.entity, q.crm_id, q.kind, q.reason) for q in s.exec(select(Quarantine))),
        }


def _pull_both(crm: FakeCrm, stores: dict[str, Store], tmp_path: Path) -> dict[str, list[str]]:
    """The same first load with and without the writer; the tables each run INSERTed into in line."""
    inline: dict[str, list[str]] = {}
    for mode, store in stores.items():
        watching = _inline_inserts(store)
        seen = next(watching)
        clock = crm.clock
        report = run_sync(store, crm, load_mapping(ROOT / "mappings" / "hubspot.yaml"),
                          make_config(tmp_path, write_process=mode), clock=clock, entities=["partner"],
                          direction="pull")
        watching.close()
        assert report.counts["partner"]["prm"]["create"] >= 1
        inline[mode] = seen
    print(inline)
    assert _state(stores["on"]) == _state(stores["off"])
    return inline


def test_a_plain_first_load_is_written_by_the_writer_alone(stores: dict[str, Store], tmp_path: Path) -> None:
    crm = FakeCrm(Clock(), page_size=3)
    for i, name in enumerate(["Đông Á Co", "Müller GmbH", "Société Générale", "Acme", "Zeta", "Ωmega", "Pé"]):
        crm.create("companies", partner_fields(f"{name} {i}"))
    inline = _pull_both(crm, stores, tmp_path)
    assert "partner" not in inline["on"] and "link" not in inline["on"]   # the writer wrote them
    assert "partner" in inline["off"] and "link" in inline["off"]
    with stores["on"].session() as s:
        assert len(s.exec(select(Partner)).all()) == 7


def test_a_record_met_again_settles_the_writer_and_the_rest_is_written_in_line(
        stores: dict[str, Store], tmp_path: Path) -> None:
    crm = RepeatingAcrossPagesCrm(Clock(), page_size=2)
    for i in range(7):
        crm.create("companies", partner_fields(f"P{i}"))
    inline = _pull_both(crm, stores, tmp_path)
    # page 1 by the writer; page 2 meets page 1's last record: the writer commits what it holds,
    # the look-up finds it, and page 2 is written in line; so are pages 3 and 4 (each meets its
    # predecessor's last record), each unit of work starting with the writer again
    assert inline["on"].count("partner") == 3 and inline["off"].count("partner") == 4
    with stores["on"].session() as s:
        assert len(s.exec(select(Partner)).all()) == 7


def test_a_quarantined_record_settles_the_writer(stores: dict[str, Store], tmp_path: Path) -> None:
    crm = FakeCrm(Clock(), page_size=2)
    crm.create("companies", partner_fields("Acme", prm_id="k1"))
    crm.create("companies", partner_fields("Other"))
    crm.create("companies", partner_fields("Acme copy", prm_id="k1"))   # page 2: claims k1 too
    crm.create("companies", partner_fields("Fourth"))
    crm.create("companies", partner_fields("Fifth"))
    inline = _pull_both(crm, stores, tmp_path)
    assert "quarantine" in inline["on"]
    # page 2 (its unit of work) is written in line; page 3 goes to the writer again
    assert inline["on"].count("partner") == 1 and inline["off"].count("partner") == 3
    [entry] = _state(stores["on"])["quarantine"]
    assert "two CRM records claim one PRM record" in entry[3]


def test_an_in_memory_sqlite_store_never_uses_the_writer(tmp_path: Path) -> None:
    from prm_sync.sync.writer import wanted

    with open_store("sqlite://") as memory, open_store(f"sqlite:///{tmp_path / 'f.db'}") as file:
        assert not wanted("on", memory, 10**6)
        assert wanted("on", file, 1)
        assert not wanted("off", file, 10**6)
        assert not wanted("auto", file, 10)


def test_dates_and_decimals_cross_the_pipe_as_they_are() -> None:
    import pickle
    from decimal import Decimal

    from prm_sync.store import Deal
    from prm_sync.sync.inserts import PendingRows, columns_of
    from prm_sync.sync.writer import decode, encode

    rows = PendingRows()
    amounts = [Decimal("12.50"), Decimal("-0.000"), Decimal("1E+3"), None, Decimal("123456789012.34")]
    for i, amount in enumerate(amounts):
        rows.new(Deal, {"id": f"d{i}", "name": f"Deal Ünïcödé {i}", "amount": amount,
                        "close_date": None if i == 2 else dt.date(2026, 1 + i, 28)})
    drafts = [dict(vars(row)) for row in rows.drafts(Deal)]
    [(table, columns, sent_rows, sent)] = pickle.loads(pickle.dumps(encode(rows.take())))
    assert table is Deal and columns == columns_of(Deal) and len(sent) >= 2   # amount and close_date went light
    back = [dict(zip(columns, row, strict=True)) for row in decode(sent_rows, sent)]
    for got, draft in zip(back, drafts, strict=True):
        for key in columns:
            assert got[key] == draft[key] and type(got[key]) is type(draft[key]), key
            if isinstance(draft[key], Decimal):
                assert str(got[key]) == str(draft[key])   # the same exponent: "12.50" stays "12.50"

    odd = PendingRows()   # a column holding another class is sent as it is
    odd.new(Deal, {"id": "x", "name": "x", "amount": "12.50"})
    odd.new(Deal, {"id": "y", "name": "y", "amount": Decimal("1")})
    [(_, columns, sent_rows, sent)] = encode(odd.take())
    assert columns.index("amount") not in [index for index, _ in sent]
    assert [row[columns.index("amount")] for row in decode(sent_rows, sent)] == ["12.50", Decimal("1")]


@pytest.mark.skipif(__import__("prm_sync.sync.writer", fromlist=["x"]).cpus_available() < 2,
                    reason="auto uses the writer with two or more cores only")
def test_auto_hands_over_from_the_first_unit_after_1000_records(stores: dict[str, Store], tmp_path: Path) -> None:
    """HubSpot's search pages hold 200 records: the first four are written in line, the rest (from
    the page that brings the count to 1,000) by the writer (each page is a unit of work: it carries
    its cursor)."""
    crm = FakeCrm(Clock(), page_size=200)
    for i in range(1_500):
        crm.create("companies", partner_fields(f"Partenaire Élysée {i}"))
    store = stores["on"]
    watching = _inline_inserts(store)
    seen = next(watching)
    report = run_sync(store, crm, load_mapping(ROOT / "mappings" / "hubspot.yaml"),
                      make_config(tmp_path, write_process="auto"), clock=crm.clock, entities=["partner"],
                      direction="pull")
    watching.close()
    assert report.counts["partner"]["prm"]["create"] == 1_500
    assert seen.count("partner") == 4 and seen.count("link") == 4
    with store.session() as s:
        assert len(s.exec(select(Partner)).all()) == 1_500
        assert len(s.exec(select(Link)).all()) == 1_500


def test_a_writer_process_that_fails_before_serving_says_why_and_exits_1() -> None:
    """The writer ends with os._exit (no interpreter teardown): an error of its own still reaches
    its stderr as a traceback, with exit code 1."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "prm_sync.sync.writer", "997", "998"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "OSError" in done.stderr
