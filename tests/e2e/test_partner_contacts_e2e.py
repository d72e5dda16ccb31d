"""Partner contacts end to end: created, edited and deleted on either side, both CRMs, both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.sync_world import KEY_FIELD, World, open_world

CRMS = ["hubspot", "salesforce"]
#: PRM field -> CRM field, per CRM
FIELD = {
    "salesforce": {"first_name": "FirstName", "last_name": "LastName", "email": "Email", "phone": "Phone",
                   "role": "Partner_Role__c", "language": "Preferred_Language__c"},
    "hubspot": {"first_name": "firstname", "last_name": "lastname", "email": "email", "phone": "phone",
                "role": "prm_partner_role", "language": "hs_language"},
}
ROLE = {"salesforce": {"finance": "Finance", "sales": "Sales", "technical": "Technical", "primary": "Primary"},
        "hubspot": {r: r for r in ("finance", "sales", "technical", "primary")}}


@pytest.fixture(params=CRMS)
def world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def seed_crm_contact(world: World, partner_crm_id: str, **values: Any) -> str:
    wire = {FIELD[world.crm][k]: (ROLE[world.crm][v] if k == "role" else v) for k, v in values.items()}
    if world.crm == "salesforce":
        return str(world.harness.seed("partner_contact", 1, AccountId=partner_crm_id, **{KEY_FIELD["salesforce"]: None},
                                      **wire)[0])
    [contact] = world.harness.seed("partner_contact", 1, **{KEY_FIELD["hubspot"]: None}, **wire)
    world.harness.link("partner_contact", contact, "partner", partner_crm_id)
    return str(contact)


def crm_partner_of(world: World, contact_crm_id: str) -> str | None:
    if world.crm == "salesforce":
        return world.harness.crm_record("partner_contact", contact_crm_id).get("AccountId")  # type: ignore[no-any-return]
    emu = world.harness.emulator
    with emu.lock:
        targets = emu.associations.targets("contacts", int(contact_crm_id), "companies")
    return str(min(targets)) if targets else None


def contact_rows(world: World) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in world.store_rows("partner_contact")}


def test_contacts_round_trip_both_ways(world: World) -> None:
    world.edit_mapping("  partner_contact:", "  partner_contact:\n    on_delete: delete")
    [acme] = world.harness.seed("partner", 1, **{KEY_FIELD[world.crm]: None})
    crm_contact = seed_crm_contact(world, acme, first_name="Thị Hồng", last_name="Trần", email="hong@acme.example",
                                   role="sales")
    first = world.sync()
    assert first["exit"] == 0, first
    assert first["counts"]["partner_contact"]["prm"]["create"] == 1
    [partner] = world.store_rows("partner")
    [pulled] = contact_rows(world).values()
    assert (pulled["first_name"], pulled["last_name"], pulled["role"], pulled["partner_id"]) == (
        "Thị Hồng", "Trần", "sales", partner["id"])
    # the key went back to the CRM record
    assert world.harness.crm_record("partner_contact", crm_contact)[KEY_FIELD[world.crm]] == pulled["id"]

    # created in the PRM (the CLI), found by the partner's Vietnamese name in any case
    code, out, err = world.cli("partners", "edit", partner["id"], "--name", "Công ty Ánh Dương")
    assert code == 0, err
    code, out, err = world.cli("partners", "contacts", "add", "--partner", "CÔNG TY ÁNH DƯƠNG", "--first-name", "Đức",
                               "--last-name", "Phạm", "--email", "duc@anhduong.example", "--role", "finance",
                               "--language", "vi")
    assert code == 0, err
    local = out.split()[2]
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["partner_contact"]["crm"]["create"] == 1
    pushed = world.crm_by_key("partner_contact", local)
    assert pushed is not None
    f = FIELD[world.crm]
    assert (pushed[f["first_name"]], pushed[f["last_name"]], pushed[f["email"]], pushed[f["role"]],
            pushed[f["language"]]) == ("Đức", "Phạm", "duc@anhduong.example", ROLE[world.crm]["finance"], "vi")
    local_crm_id = world.links("partner_contact")[local].crm_id
    assert local_crm_id is not None
    assert crm_partner_of(world, local_crm_id) == acme

    # nothing more to do
    assert world.sync()["counts"] == {}

    # edited in the CRM -> the PRM; edited in the PRM -> the CRM
    world.harness.modify("partner_contact", crm_contact, f["phone"], "+84 28 3822 0000")
    code, _, err = world.cli("partners", "contacts", "edit", "DUC@anhduong.example", "--last-name", "Phạm Văn")
    assert code == 0, err
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["partner_contact"]["prm"]["update"] == 1
    assert report["counts"]["partner_contact"]["crm"]["update"] == 1
    assert contact_rows(world)[pulled["id"]]["phone"] == "+84 28 3822 0000"
    assert world.harness.crm_record("partner_contact", local_crm_id)[f["last_name"]] == "Phạm Văn"

    # listed with the partner's name
    code, out, _ = world.cli("partners", "contacts", "list", "--partner", partner["id"], "--format", "json")
    assert code == 0
    assert {(r["partner"], r["last_name"]) for r in __import__("json").loads(out)} == {
        ("Công ty Ánh Dương", "Trần"), ("Công ty Ánh Dương", "Phạm Văn")}

    # deleted in the CRM -> marked deleted in the PRM; removed in the PRM -> deleted in the CRM (on_delete)
    world.harness.delete("partner_contact", crm_contact)
    code, _, err = world.cli("partners", "contacts", "remove", local)
    assert code == 0, err
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["partner_contact"]["prm"]["delete"] == 1
    assert report["counts"]["partner_contact"]["crm"]["delete"] == 1
    rows = contact_rows(world)
    assert rows[pulled["id"]]["deleted_reason"] == "deleted in the CRM"
    gone = world.crm_by_key("partner_contact", local)
    assert gone is not None and (gone.get("IsDeleted") is True or gone.get("archived") is True)
    assert world.sync()["counts"] == {}


@pytest.fixture
def hubspot_world(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world("hubspot", store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def test_hubspot_existing_contact_is_associated_not_created_again(hubspot_world: World) -> None:
    world = hubspot_world
    h = world.harness
    [acme] = h.seed("partner", 1, **{KEY_FIELD["hubspot"]: None})
    # the person already is a HubSpot contact (a customer's), associated to another company
    [customer] = h.seed("partner", 1, prm_is_partner="false", **{KEY_FIELD["hubspot"]: None})
    [existing] = h.seed("partner_contact", 1, prm_partner_contact=None, prm_partner_role=None,
                        email="lan.vo@acme.example", firstname="Lan", lastname="Võ", **{KEY_FIELD["hubspot"]: None})
    h.link("partner_contact", existing, "partner", customer)
    assert world.sync()["exit"] == 0
    assert world.store_rows("partner_contact") == []  # not a partner contact (outside the filter)
    [partner] = world.store_rows("partner")
    code, out, err = world.cli("partners", "contacts", "add", "--partner", partner["id"], "--first-name", "Lan",
                               "--last-name", "Võ Thị", "--email", "Lan.Vo@acme.example", "--role", "technical")
    assert code == 0, err
    local = out.split()[2]
    contacts_before = len(h.emulator.store.table(h.emulator.schema.object_types["contacts"]).records)
    h.reset_calls()
    report = world.sync()
    assert report["exit"] == 0, report
    table = h.emulator.store.table(h.emulator.schema.object_types["contacts"])
    assert len(table.records) == contacts_before  # adopted, not created again
    record = h.crm_record("partner_contact", existing)
    assert (record["prm_id"], record["prm_partner_contact"], record["lastname"], record["prm_partner_role"]) == (
        local, "true", "Võ Thị", "technical")
    assert world.links("partner_contact")[local].crm_id == existing
    with h.emulator.lock:
        companies = set(h.emulator.associations.targets("contacts", int(existing), "companies"))
    assert companies == {int(acme), int(customer)}  # the partner added, the customer's kept
    counters = h.emulator.counters
    assert counters.get("POST /crm/v3/objects/contacts/batch/read") == 1, counters  # the email look-up
    assert sum(v for k, v in counters.items() if "/associations/" in k and "/batch/read" in k) == 0, counters
    assert sum(v for k, v in counters.items() if "/associations/" in k and "/batch/create" in k) == 1, counters
    assert sum(v for k, v in counters.items() if "/associations/" in k and "/batch/archive" in k) == 0, counters
    assert "POST /crm/v3/objects/contacts/batch/upsert" not in counters, counters
    # and it stays one: the next run changes nothing
    assert world.sync()["counts"] == {}


def test_hubspot_contact_already_another_prm_contact_is_refused(hubspot_world: World) -> None:
    world = hubspot_world
    [acme] = world.harness.seed("partner", 1, **{KEY_FIELD["hubspot"]: None})
    seed_crm_contact(world, acme, last_name="Schäfer", email="jo@acme.example")
    assert world.sync()["exit"] == 0
    [partner] = world.store_rows("partner")
    code, out, err = world.cli("partners", "contacts", "add", "--partner", partner["id"], "--last-name", "Schäfer",
                               "--email", "jo.second@acme.example")
    assert code == 0, err
    # someone sets the second PRM contact's email to the first one's, bypassing the CLI check
    from prm_sync.store import PartnerContact, open_store

    with open_store(world.store_url) as store, store.session() as session:
        second = session.get(PartnerContact, out.split()[2])
        assert second is not None
        second.email = "jo@acme.example"
        session.add(second)
    report = world.sync()
    assert report["exit"] == 1
    [entry] = world.open_quarantine()
    assert "already the PRM contact" in entry.reason
