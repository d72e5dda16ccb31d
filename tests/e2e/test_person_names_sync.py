"""People's names reach the CRM with the family name where it belongs, on both CRMs: a Vietnamese
full name under `registrations.name_order: family_first`, and first/last names given separately."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world

NAME_FIELDS = {"salesforce": ("FirstName", "LastName"), "hubspot": ("prm_contact_firstname", "prm_contact_lastname")}


@pytest.fixture(params=["hubspot", "salesforce"])
def world(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, sqlite_url, tmp_path, capsys, monkeypatch) as w:
        w.extra_config = {"registrations": {"name_order": "family_first"}}
        w.write_config()
        yield w


def crm_names(world: World) -> dict[str, tuple[str | None, str | None]]:
    """Company -> (first name, last name) as the CRM holds them."""
    first_field, last_field = NAME_FIELDS[world.crm]
    company_field = "Company" if world.crm == "salesforce" else "prm_customer_company"
    found = {}
    for lead in world.store_rows("lead"):
        record = world.harness.crm_record("lead", world.links("lead")[lead["id"]].crm_id)
        found[record[company_field]] = (record.get(first_field), record.get(last_field))
    return found


def test_the_family_name_reaches_the_crm_as_the_last_name(world: World) -> None:
    assert world.cli("partners", "add", "Đại Việt Solutions", "--status", "active")[0] == 0
    partner = next(r["id"] for r in world.store_rows("partner"))
    code, out, err = world.cli("leads", "register", "--partner", partner, "--company", "Tập đoàn Hòa Phát",
                               "--contact", "Nguyễn Thị Minh Khai", "--email", "khai@hoaphat.com.vn")
    assert code == 0, out + err
    code, out, err = world.cli("leads", "register", "--partner", partner, "--company", "Globex",
                               "--first-name", "Hank", "--last-name", "Scorpio")
    assert code == 0, out + err
    (world.tmp / "regs.csv").write_text(
        "partner;company;contact;first_name;last_name\n"
        f"{partner};Vinamilk;Trần Văn An;;\n"
        f"{partner};Müller GmbH;;Jürgen;Müller\n", encoding="utf-8")
    code, out, err = world.cli("leads", "import", str(world.tmp / "regs.csv"))
    assert code == 0, out + err
    report = world.sync()
    assert report["exit"] == 0, report
    assert crm_names(world) == {
        "Tập đoàn Hòa Phát": ("Thị Minh Khai", "Nguyễn"),
        "Globex": ("Hank", "Scorpio"),
        "Vinamilk": ("Văn An", "Trần"),
        "Müller GmbH": ("Jürgen", "Müller"),
    }
