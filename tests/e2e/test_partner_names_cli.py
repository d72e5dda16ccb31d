"""Partners named in any script, found by name through every command that names a partner
(`partners show`, `leads register|list --partner`, `commissions list --partner`, `partners
contracts`), with ambiguous names and id prefixes refused with their candidates listed."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from prm_sync.cli.main import run
from prm_sync.store import CommissionLine, Deal, Partner, Registration, new_id, open_store, upgrade, utcnow

NAMES = ("Tập đoàn Công nghệ Đông Á", "Đại Việt Solutions", "Ánh Dương Co", "Ölwerk GmbH")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    capsys.readouterr()
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", NAMES)
def test_a_partner_named_in_any_script_is_found_by_name(site: Path, capsys: pytest.CaptureFixture[str],
                                                          name: str) -> None:
    assert cli(capsys, "partners", "add", name, "--country", "VN")[0] == 0
    for spelling in (name, name.upper(), name.lower()):
        code, out, err = cli(capsys, "partners", "show", spelling, "--format", "json")
        assert code == 0, err
        assert json.loads(out)["name"] == name
    code, out, err = cli(capsys, "leads", "register", "--partner", name.upper(), "--company", "Globex Ltd",
                         "--contact", "Hank Scorpio")
    assert code == 0, err
    code, out, err = cli(capsys, "leads", "list", "--partner", name.lower(), "--format", "json")
    assert code == 0, err
    assert [row["company"] for row in json.loads(out)] == ["Globex Ltd"]


def test_an_ambiguous_name_lists_the_candidates(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "partners", "add", "Ölwerk GmbH")[0] == 0
    assert cli(capsys, "partners", "add", "ÖLWERK GMBH", "--allow-duplicate")[0] == 0
    code, _, err = cli(capsys, "partners", "show", "ölwerk gmbh")
    assert code == 2
    assert "ambiguous" in err and err.count("Ölwerk GmbH") + err.count("ÖLWERK GMBH") >= 2
    code, _, err = cli(capsys, "leads", "register", "--partner", "Ölwerk GmbH", "--company", "X", "--contact", "A B")
    assert code == 2 and "ambiguous" in err


def _seed_commission(site: Path, partner_name: str) -> tuple[str, str]:
    store = open_store(f"sqlite:///{site / 'prm.db'}")
    try:
        with store.session(write=True) as session:
            partner = session.exec(select(Partner).where(Partner.name == partner_name)).one()
            deal = Deal(partner_id=partner.id, name="Đơn hàng lớn", amount=Decimal("1000.00"), currency="USD",
                        close_date=dt.date(2026, 7, 1), is_won=True, is_closed=True)
            session.add(deal)
            session.flush()
            line = CommissionLine(deal_id=deal.id, partner_id=partner.id, amount=Decimal("100.00"), currency="USD",
                                  period="2026-Q3")
            session.add(line)
            return partner.id, line.id
    finally:
        store.close()


def test_commissions_list_takes_a_partner_name_and_shows_names(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "partners", "add", "Đại Việt Solutions")[0] == 0
    assert cli(capsys, "partners", "add", "Other Co")[0] == 0
    partner_id, line_id = _seed_commission(site, "Đại Việt Solutions")
    _seed_commission(site, "Other Co")
    for key in ("đại việt solutions", partner_id, partner_id[:8]):
        code, out, err = cli(capsys, "commissions", "list", "--partner", key, "--format", "json")
        assert code == 0, err
        rows = json.loads(out)
        assert [(r["id"], r["partner"], r["deal"]) for r in rows] == [(line_id, "Đại Việt Solutions", "Đơn hàng lớn")]
    code, _, err = cli(capsys, "commissions", "list", "--partner", "Nobody Inc")
    assert code == 2 and "no partner with id or name 'Nobody Inc'" in err


def test_report_and_import_take_a_partner_name_in_any_script(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "partners", "add", "Ánh Dương Co", "--status", "active")[0] == 0
    assert cli(capsys, "partners", "add", "Other Co", "--status", "active")[0] == 0
    code, out, err = cli(capsys, "report", "scorecard", "--partner", "ÁNH DƯƠNG CO", "--format", "json")
    assert code == 0, err
    assert [row["partner"] for row in json.loads(out)] == ["Ánh Dương Co"]
    decomposed = unicodedata.normalize("NFD", "ánh dương co")  # as some keyboards and files spell it
    (site / "leads.csv").write_text(f"partner,company,contact\n{decomposed},Globex Ltd,Hank Scorpio\n",
                                    encoding="utf-8")
    code, out, err = cli(capsys, "leads", "import", "leads.csv")
    assert code == 0, out + err
    code, out, err = cli(capsys, "leads", "list", "--partner", "Ánh Dương Co", "--format", "json")
    assert [row["company"] for row in json.loads(out)] == ["Globex Ltd"]


def test_db_upgrade_of_a_store_at_0004_with_duplicate_and_non_ascii_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        blank_store_url: str) -> None:
    site = tmp_path / "site"  # its own directory: init's prm.db is not the store under test
    site.mkdir()
    monkeypatch.chdir(site)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    config = site / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('"sqlite:///prm.db"', f'"{blank_store_url}"'),
                      encoding="utf-8")
    store = open_store(blank_store_url, create=True)
    try:
        upgrade(store, "0004")  # the schema the previous prm-sync shipped
        now = utcnow()
        table = sa.table("partner", *(sa.column(c) for c in ("id", "name", "tier", "status", "created_at",
                                                              "updated_at")))
        rows = [(new_id(), name) for name in (*NAMES, "Ölwerk GmbH")]
        with store.engine.begin() as connection:
            connection.execute(table.insert(), [{"id": i, "name": n, "tier": "registered", "status": "active",
                                                 "created_at": now, "updated_at": now} for i, n in rows])
    finally:
        store.close()
    capsys.readouterr()
    code, _, err = cli(capsys, "partners", "show", "Đại Việt Solutions")
    assert code == 2 and "db upgrade" in err
    code, out, err = cli(capsys, "db", "upgrade")
    assert code == 0, out + err
    for name in NAMES[:3]:
        code, out, err = cli(capsys, "partners", "show", name.upper(), "--format", "json")
        assert code == 0, err
        assert json.loads(out)["name"] == name
    code, _, err = cli(capsys, "partners", "show", "ölwerk gmbh")
    assert code == 2 and "ambiguous" in err
    code, out, err = cli(capsys, "leads", "register", "--partner", "ánh dương co", "--company", "Globex Ltd",
                         "--contact", "Hank Scorpio")
    assert code == 0, err


def test_ambiguous_id_prefixes_list_their_candidates(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "partners", "add", "Acme Partners", "--status", "active")[0] == 0
    store = open_store(f"sqlite:///{site / 'prm.db'}")
    try:
        with store.session(write=True) as session:
            partner = session.exec(select(Partner)).one()
            deal = Deal(partner_id=partner.id, name="Big", amount=Decimal("1.00"), currency="USD")
            session.add(deal)
            session.flush()
            lines = [CommissionLine(id=f"c0ffee{i}" + "0" * 25, deal_id=deal.id, partner_id=partner.id,
                                    amount=Decimal("1.00"), currency="USD") for i in (1, 2)]
            regs = [Registration(id=f"beef00{i}" + "0" * 25, partner_id=partner.id, company=f"Company {i}")
                    for i in (1, 2)]
            session.add_all([*lines, *regs])
    finally:
        store.close()
    code, _, err = cli(capsys, "commissions", "explain", "c0ffee")
    assert code == 2 and "ambiguous" in err and "c0ffee1" in err and "c0ffee2" in err
    code, _, err = cli(capsys, "leads", "approve", "beef00")
    assert code == 2 and "ambiguous" in err and "Company 1" in err and "Company 2" in err
