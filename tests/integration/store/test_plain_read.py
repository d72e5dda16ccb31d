"""The plain read path (no SQLAlchemy) of `partners list`: the ORM's answer on both stores, and
the full path left to decide whenever the store or its URL is anything but ordinary (issue 17)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from prm_sync.services.contracts import add_contract, contract_flags
from prm_sync.services.partner_list import LISTED, partner_list_rows
from prm_sync.services.partners import add_partner, list_partners
from prm_sync.store import Store, StoreUnavailable, open_store, upgrade
from prm_sync.store.plainread import open_plain_store, sqlite_file
from prm_sync.store.revisions import VERSION_TABLE
from prm_sync.store.types import utcnow

TODAY = dt.date(2026, 12, 6)


def _url(store: Store) -> str:
    return store.url.render_as_string(hide_password=False)


def _fill(store: Store) -> None:
    """Partners whose names sort differently by key than by text, a deleted one, and one of each
    contract flag (expired, terminated, ended awaiting renewal) beside contracts that flag nothing."""
    with store.session(write=True) as session:
        names = ("ölwerk GmbH", "Acme", "beta Partners", "Ángel Co", "Zeta", "Gone Ltd", "Renewing Inc", "Plain AG")
        tiers = ("gold", "silver", "gold", "registered", "gold", "gold", "silver", "gold")
        statuses = ("active", "active", "suspended", "prospect", "active", "active", "active", "onboarding")
        for name, tier, status in zip(names, tiers, statuses, strict=True):
            add_partner(session, name=name, tier=tier, status=status, country="DE" if tier == "gold" else None,
                        territories="US,US-CA" if status == "active" else None,
                        channel_manager="cm@example.com" if tier == "silver" else None)
        add_partner(session, name="Acme", tier="gold", status="active", allow_duplicate=True)  # same key: by id
        session.flush()
        expired = add_contract(session, "ölwerk GmbH", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
        expired.state = "expired"
        terminated = add_contract(session, "beta Partners", starts_on=dt.date(2026, 1, 1), ends_on=None)
        terminated.state = "terminated"
        add_contract(session, "Zeta", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 11, 30))   # ended
        old = add_contract(session, "Renewing Inc", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31),
                           auto_renew=True, notice_days=30)
        old.state = "expired"
        add_contract(session, "Renewing Inc", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                     auto_renew=True, notice_days=30)                                              # no flag
        add_contract(session, "Gone Ltd", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 6, 30)).state = "expired"
        gone = list_partners(session, status="active")
        next(p for p in gone if p.name == "Gone Ltd").deleted_at = utcnow()


def _orm_rows(store: Store, status: str | None, tier: str | None) -> list[dict[str, object]]:
    with store.session() as session:
        found = list_partners(session, status=status, tier=tier)
        flags = contract_flags(session, [p.id for p in found], TODAY)
        return [{**{c: getattr(p, c) for c in LISTED}, "flag": flags.get(p.id)} for p in found]


@pytest.mark.parametrize(("status", "tier"), [(None, None), ("active", None), (None, "gold"), ("active", "gold"),
                                              ("terminated", None)])
def test_the_plain_list_is_the_orms_list_on_both_stores(store: Store, status: str | None, tier: str | None) -> None:
    _fill(store)
    plain = open_plain_store(_url(store), Path("."))
    assert plain is not None
    with plain:
        rows = partner_list_rows(plain, status=status, tier=tier, today=TODAY)
    assert rows == _orm_rows(store, status, tier)
    if status is None and tier is None:
        assert len(rows) == 8 and "Gone Ltd" not in [r["name"] for r in rows]
        assert {r["name"]: r["flag"] for r in rows if r["flag"]} == {
            "ölwerk GmbH": "contract expired 2025-12-31", "beta Partners": "contract terminated",
            "Zeta": "contract ended 2026-11-30"}


def test_a_store_behind_the_schema_head_is_left_to_the_full_check(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0001'"))
    assert open_plain_store(_url(store), Path(".")) is None


def test_an_empty_or_foreign_database_is_left_to_the_full_check(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    with open_store(f"sqlite:///{empty}"):
        pass
    assert open_plain_store(f"sqlite:///{empty}", tmp_path) is None
    (tmp_path / "notes.db").write_text("not a database\n")
    assert open_plain_store("sqlite:///notes.db", tmp_path) is None
    assert open_plain_store("sqlite:///missing.db", tmp_path) is None
    assert not (tmp_path / "missing.db").exists()          # never created


def test_a_path_with_spaces_and_accents_is_read_plainly(tmp_path: Path) -> None:
    folder = tmp_path / "Ventes & Partenaires été"
    folder.mkdir()
    with open_store(f"sqlite:///{folder / 'prm store.db'}") as store:
        upgrade(store)
        with store.session(write=True) as session:
            add_partner(session, name="Acme")
    plain = open_plain_store("sqlite:///prm store.db", folder)
    assert plain is not None
    with plain:
        assert [r["name"] for r in partner_list_rows(plain, today=TODAY)] == ["Acme"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_sqlite_file_is_left_to_the_full_path_which_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "prm.db"
    with open_store(f"sqlite:///{path}") as store:
        upgrade(store)
    path.chmod(stat.S_IRUSR)
    assert open_plain_store("sqlite:///prm.db", tmp_path) is None


def test_only_plain_sqlite_urls_are_read_plainly(tmp_path: Path) -> None:
    assert sqlite_file("sqlite:///prm.db", tmp_path) == (tmp_path / "prm.db").resolve()
    assert sqlite_file("sqlite+pysqlite:////srv/prm.db", tmp_path) == Path("/srv/prm.db")
    for unusual in ("sqlite://", "sqlite:///:memory:", "sqlite:///prm.db?mode=ro", "sqlite:///file:prm.db?uri=true",
                    "sqlite:///pr%6D.db", "postgresql://u@h/db", "mysql://u@h/db"):
        assert sqlite_file(unusual, tmp_path) is None, unusual
        if not unusual.startswith("postgresql"):
            assert open_plain_store(unusual, tmp_path) is None, unusual


@pytest.mark.pg
def test_an_unreachable_postgres_is_reported_as_open_store_reports_it(pg_admin_url: URL) -> None:
    url = pg_admin_url.set(port=1, password="s3cret-pw").render_as_string(hide_password=False)
    with pytest.raises(StoreUnavailable) as plainly:
        open_plain_store(url, Path("."))
    with pytest.raises(StoreUnavailable) as fully:
        open_store(url)
    assert str(plainly.value) == str(fully.value)
    assert "s3cret" not in str(plainly.value)


def test_the_cli_lists_both_stores_through_the_plain_read(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`partners list` on a current store never opens it through SQLAlchemy (open_store), in any format."""
    import json

    from prm_sync.app import App
    from prm_sync.cli.main import run

    _fill(store)
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.chdir(site)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init", "--crm", "hubspot", "."]) == 0
    config = site / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('"sqlite:///prm.db"', f'"{_url(store)}"'),
                      encoding="utf-8")

    def not_this_way(self: App, **_: object) -> Store:
        raise AssertionError("partners list opened the store through SQLAlchemy")

    monkeypatch.setattr(App, "open_store", not_this_way)
    capsys.readouterr()
    assert run(["partners", "list", "--format", "json", "--flagged"]) == 0
    flagged = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["flag"]) for r in flagged] == [
        ("beta Partners", "contract terminated"), ("Zeta", "contract ended 2026-11-30"),
        ("ölwerk GmbH", "contract expired 2025-12-31")]       # by name key: "ö" sorts after "z"
    assert run(["partners", "list", "--tier", "GOLD", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,name,tier,status,country,channel_manager,territories,flag" and len(lines) == 1 + 5
