"""Partner names in any script are found by name on both stores, through an index, on every
write path (ORM add and edit, the pull's drafts), and after `db upgrade` of an older store."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from prm_sync.errors import UsageError
from prm_sync.services.partner_lookup import AmbiguousPartner, resolve_partner
from prm_sync.services.partners import add_partner
from prm_sync.store import Partner, Store, open_store, upgrade
from prm_sync.store.name_keys import name_key
from prm_sync.store.types import new_id, utcnow
from prm_sync.sync.inserts import PendingRows

NAMES = ("Tập đoàn Công nghệ Đông Á", "Đại Việt Solutions", "Ánh Dương Co", "Ölwerk GmbH", "Straße & Söhne AG")


@pytest.fixture
def session(store: Store) -> Iterator[Session]:
    with store.session(write=True) as session:
        yield session


def test_names_in_any_script_are_found_whatever_the_case_and_normalisation(session: Session) -> None:
    ids = {name: add_partner(session, name=name).id for name in NAMES}
    session.flush()
    for name, partner_id in ids.items():
        for spelling in (name, name.upper(), name.lower(), unicodedata.normalize("NFD", name), f"  {name} "):
            assert resolve_partner(session, spelling).id == partner_id, spelling
    assert resolve_partner(session, "STRASSE & SÖHNE AG").id == ids["Straße & Söhne AG"]  # ß casefolds to ss


def test_a_rename_keeps_the_key_current(session: Session) -> None:
    partner = add_partner(session, name="Ölwerk GmbH")
    session.flush()
    partner.name = "Đại Việt Solutions"
    session.add(partner)
    session.flush()
    assert resolve_partner(session, "đại việt solutions").id == partner.id
    with pytest.raises(UsageError, match="no partner with id or name 'ölwerk gmbh'"):
        resolve_partner(session, "ölwerk gmbh")


def test_rows_the_pull_writes_without_the_orm_get_the_key(session: Session) -> None:
    pending = PendingRows()
    now = utcnow()
    draft = pending.new(Partner, {"id": new_id(), "name": "placeholder", "created_at": now, "updated_at": now})
    draft.name = "Tập đoàn Công nghệ Đông Á"  # the page's rules may still change a draft before it is written
    pending.write(session)
    assert resolve_partner(session, "TẬP ĐOÀN CÔNG NGHỆ ĐÔNG Á").id == draft.id


def test_several_partners_with_one_name_are_ambiguous_and_listed(session: Session) -> None:
    first = add_partner(session, name="Ánh Dương Co", country="VN")
    second = add_partner(session, name="ánh dương co", country="US", allow_duplicate=True)
    session.flush()
    with pytest.raises(AmbiguousPartner) as caught:
        resolve_partner(session, "ÁNH DƯƠNG CO")
    message = str(caught.value)
    assert "ambiguous" in message and first.id in message and second.id in message
    assert resolve_partner(session, first.id).id == first.id


def test_an_ambiguous_id_prefix_lists_the_candidates(session: Session) -> None:
    a = Partner(id="abcdef01" + "0" * 24, name="One")
    b = Partner(id="abcdef02" + "0" * 24, name="Two")
    session.add_all([a, b])
    session.flush()
    with pytest.raises(AmbiguousPartner, match="partner id prefix 'abcdef0' is ambiguous") as caught:
        resolve_partner(session, "abcdef0")
    assert {p.id for p in caught.value.candidates} == {a.id, b.id}
    assert resolve_partner(session, "abcdef01").id == a.id


def test_name_look_up_uses_the_index_at_100k_partners(store: Store) -> None:
    now = utcnow()
    rows = [{"id": new_id(), "name": f"Partner {i} Ölwerk", "name_key": name_key(f"Partner {i} Ölwerk"),
             "tier": "registered", "status": "active", "created_at": now, "updated_at": now} for i in range(100_000)]
    with store.engine.begin() as connection:   # Core executemany: cheaper than the ORM bulk insert
        connection.execute(sa.insert(Partner.__table__), rows)  # type: ignore[attr-defined]
    with store.session() as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE partner")
        query = sa.select(Partner).where(Partner.name_key == name_key("PARTNER 4242 ÖLWERK"))
        compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(prefix + str(compiled)))
        assert "ix_partner_name_key" in plan, plan
        assert resolve_partner(session, "partner 4242 ölwerk").name == "Partner 4242 Ölwerk"


def test_db_upgrade_of_an_older_store_with_duplicate_and_non_ascii_names(blank_store_url: str) -> None:
    store = open_store(blank_store_url, create=True)
    try:
        assert upgrade(store, "0004") == "0004"
        now = utcnow()
        table = sa.table("partner", *(sa.column(c) for c in ("id", "name", "tier", "status", "created_at",
                                                              "updated_at")))
        old = [(new_id(), name) for name in (*NAMES, "Ölwerk GmbH", "ÖLWERK GMBH")]  # a duplicate, twice
        with store.engine.begin() as connection:
            connection.execute(table.insert(), [{"id": i, "name": n, "tier": "registered", "status": "active",
                                                 "created_at": now, "updated_at": now} for i, n in old])
        assert upgrade(store) != "0004"
        with store.session() as session:
            for partner_id, name in old[:len(NAMES)]:
                if name == "Ölwerk GmbH":
                    continue  # stored three times: ambiguous, below
                assert resolve_partner(session, name.upper()).id == partner_id
            with pytest.raises(AmbiguousPartner) as caught:
                resolve_partner(session, "ölwerk gmbh")
            assert len(caught.value.candidates) == 3
    finally:
        store.close()
