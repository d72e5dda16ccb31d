"""Partner records a person can correct, and fields a person sets that no sync erases: through the
CLI, on both CRMs (real SDKs against the emulators) and both stores."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world

CRMS = ["hubspot", "salesforce"]
COUNTRY = {"salesforce": "BillingCountryCode", "hubspot": "country"}
INDUSTRY = {"salesforce": "Industry", "hubspot": "industry"}


@pytest.fixture(params=CRMS)
def world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


@pytest.fixture
def salesforce(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world("salesforce", store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


@pytest.fixture
def site_world(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world("hubspot", sqlite_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def added_id(out: str) -> str:
    match = re.search(r"added partner ([0-9a-f]{32})", out)
    assert match, out
    return match.group(1)


def partner(world: World, key: str) -> dict[str, object]:
    code, out, err = world.cli("partners", "show", key, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_fields_a_partner_manager_sets_survive_every_sync(world: World) -> None:
    code, out, err = world.cli("partners", "add", "Northwind", "--country", "US", "--industry", "Technology",
                               "--phone", "+1 555 0100", "--status", "active")
    assert code == 0, err
    key = added_id(out)
    for _ in range(2):
        report = world.sync()
        assert report["exit"] == 0, report
        assert (partner(world, key)["country"], partner(world, key)["industry"]) == ("US", "Technology")
    record = world.crm_by_key("partner", key)
    assert record is not None
    assert (record[COUNTRY[world.crm]], record[INDUSTRY[world.crm]]) == ("US", "Technology")
    # edited later: pushed, and still there after the next pull
    code, _, err = world.cli("partners", "edit", "northwind", "--country", "DE", "--phone", "")
    assert code == 0, err
    assert world.sync()["exit"] == 0 and world.sync()["exit"] == 0
    shown = partner(world, key)
    assert (shown["country"], shown["phone"]) == ("DE", None)
    assert world.crm_by_key("partner", key)[COUNTRY[world.crm]] == "DE"  # type: ignore[index]


def test_a_field_the_crm_owns_cannot_be_set_from_the_cli(world: World) -> None:
    crm_field = COUNTRY[world.crm]
    world.edit_mapping(f"country:         {{crm: {crm_field}}}",
                       f"country:         {{crm: {crm_field}, direction: pull}}")
    line = next(i for i, text in enumerate(world.mapping_path.read_text().splitlines(), 1) if "country:" in text)
    where = f"mappings/{world.crm}.yaml:{line}"
    code, _, err = world.cli("partners", "add", "Northwind", "--country", "US")
    assert code == 2
    assert "country" in err and "the CRM owns this field" in err and where in err
    assert world.store_rows("partner") == []  # nothing half-written
    assert world.cli("partners", "add", "Northwind")[0] == 0
    code, _, err = world.cli("partners", "edit", "Northwind", "--country", "US")
    assert code == 2 and where in err
    assert world.cli("partners", "edit", "Northwind", "--industry", "Technology")[0] == 0


def test_a_record_the_crm_rejected_is_corrected_by_edit_then_retried(salesforce: World) -> None:
    world = salesforce  # HubSpot company names have no length limit to break
    long_name = "Đại Việt " + "x" * 313  # 322 characters; Account.Name holds 255
    code, out, err = world.cli("partners", "add", long_name, "--status", "active")
    assert code == 0, err
    key = added_id(out)
    report = world.sync()
    assert report["exit"] == 1
    assert [(q.prm_id, q.side) for q in world.open_quarantine()] == [(key, "push")]
    assert world.crm_by_key("partner", key) is None
    code, _, err = world.cli("partners", "edit", key, "--name", "Đại Việt Solutions")
    assert code == 0, err
    code, out, err = world.cli("errors", "retry")
    assert code == 0, out + err
    assert world.open_quarantine() == []
    assert world.crm_by_key("partner", key)["Name"] == "Đại Việt Solutions"  # type: ignore[index]


def test_a_second_partner_with_one_name_needs_allow_duplicate(world: World) -> None:
    assert world.cli("partners", "add", "Ölwerk GmbH")[0] == 0
    code, _, err = world.cli("partners", "add", "ÖLWERK GMBH")
    assert code == 2 and "already exists" in err and "--allow-duplicate" in err
    assert len(world.store_rows("partner")) == 1
    code, out, err = world.cli("partners", "add", "Ölwerk AG")
    assert code == 0, err
    other = added_id(out)
    code, _, err = world.cli("partners", "edit", other, "--name", "ölwerk gmbh")
    assert code == 2 and "already exists" in err
    assert world.cli("partners", "edit", other, "--name", "ölwerk gmbh", "--allow-duplicate")[0] == 0
    code, _, err = world.cli("partners", "show", "Ölwerk GmbH")
    assert code == 2 and "ambiguous" in err and other in err


def _register(world: World, partner_key: str, company: str) -> None:
    code, _, err = world.cli("leads", "register", "--partner", partner_key, "--company", company,
                             "--contact", "Hank Scorpio")
    assert code == 0, err


#: each on_delete on both CRMs and both stores, in pairs (the merge does not depend on the store)
MERGE_CASES = [pytest.param(crm, backend, on_delete, id=f"{crm}-{backend}-{on_delete}",
                            marks=[pytest.mark.pg] if backend == "postgresql" else [])
               for crm, backend, on_delete in (
                   ("hubspot", "sqlite", "archive"), ("salesforce", "postgresql", "archive"),
                   ("hubspot", "postgresql", "ignore"), ("salesforce", "sqlite", "ignore"))]


@pytest.mark.parametrize(("crm", "backend", "on_delete"), MERGE_CASES)
def test_merge_moves_what_the_prm_owns_and_lists_the_crm_deals(paired_world: World, on_delete: str) -> None:
    world = paired_world
    obj = "Account" if world.crm == "salesforce" else "companies"
    world.edit_mapping(f"  partner:\n    object: {obj}\n",
                       f"  partner:\n    object: {obj}\n    on_delete: {on_delete}\n")
    keep = added_id(world.cli("partners", "add", "Ölwerk GmbH", "--status", "active", "--country", "DE")[1])
    dup = added_id(world.cli("partners", "add", "Oelwerk GmbH", "--status", "active", "--phone", "+49 30 1234")[1])
    _register(world, keep, "Globex Ltd")
    _register(world, dup, "Initech")
    _register(world, dup, "Umbrella Corp")
    assert world.sync()["exit"] == 0
    dup_crm = world.links("partner")[dup].crm_id
    assert dup_crm
    if world.crm == "salesforce":
        deal_crm = world.harness.seed("deal", 1, Partner_Account__c=dup_crm)[0]
    else:
        deal_crm = world.harness.seed("deal", 1)[0]
        world.harness.link("deal", deal_crm, "partner", dup_crm)
    assert world.sync()["exit"] == 0
    before = world.store_snapshot()

    code, out, err = world.cli("partners", "merge", "Ölwerk GmbH", "oelwerk gmbh", "--dry-run")
    assert code == 0, err
    assert "move 2 registrations" in out and deal_crm in out and "re-point" in out
    effect = "archived in the CRM" if on_delete == "archive" else "left alone in the CRM"
    assert f"{dup_crm}: {effect}" in out and "set phone = '+49 30 1234'" in out
    code, _, err = world.cli("partners", "merge", "Ölwerk GmbH", "oelwerk gmbh")  # no terminal, no --yes
    assert code == 2 and "--yes" in err
    assert world.store_snapshot() == before

    code, out, err = world.cli("partners", "merge", "Ölwerk GmbH", "oelwerk gmbh", "--yes")
    assert code == 0, err
    leads = world.store_rows("lead")
    assert {r["partner_id"] for r in leads} == {keep}
    shown = partner(world, keep)
    assert (shown["country"], shown["phone"]) == ("DE", "+49 30 1234")
    code, _, err = world.cli("partners", "show", "Oelwerk GmbH")
    assert code == 2 and "no partner" in err  # the duplicate is gone from name look-ups
    assert partner(world, dup)["deleted_reason"] == f"merged into {keep}"

    # the admin re-points the listed deal in the CRM, as the merge asked
    keep_crm = world.links("partner")[keep].crm_id
    assert keep_crm
    if world.crm == "salesforce":
        world.harness.modify("deal", deal_crm, "Partner_Account__c", keep_crm)
    else:
        emulator = world.harness.emulator
        with emulator.lock:
            emulator.associations.unlink("deals", int(deal_crm), "companies", int(dup_crm))
        world.harness.link("deal", deal_crm, "partner", keep_crm)
        world.harness.modify("deal", deal_crm, "dealname", "Re-pointed deal")  # the edit moves its modstamp
    report = world.sync()
    assert report["exit"] == 0, report
    assert world.open_quarantine() == []
    assert {d["partner_id"] for d in world.store_rows("deal")} == {keep}
    gone = world.crm_by_key("partner", dup)
    assert gone is not None and bool(gone.get("IsDeleted") or gone.get("archived")) == (on_delete == "archive")
    lead_crm_ids = [world.links("lead")[r["id"]].crm_id for r in leads]
    if world.crm == "salesforce":
        assert {world.harness.crm_record("lead", c)["Partner_Account__c"] for c in lead_crm_ids} == {keep_crm}
    else:  # the registrations' company associations now point at the partner kept
        emulator = world.harness.emulator
        with emulator.lock:  # an archived company's associations are hidden, as in HubSpot
            companies = emulator.store.table(emulator.schema.object_types["companies"]).records
            targets = [{t for t in emulator.associations.targets("deals", int(c), "companies")
                        if companies[t].archived_ms is None} for c in lead_crm_ids]
        assert targets == [{int(keep_crm)}] * len(lead_crm_ids), targets
    full = world.sync("--full")  # a whole re-read brings nothing back to the duplicate
    assert full["exit"] == 0, [(q.reason, q.payload) for q in world.open_quarantine()]
    assert {r["partner_id"] for r in world.store_rows("lead")} == {keep}


def test_merge_asks_on_a_terminal(site_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = site_world
    keep = added_id(world.cli("partners", "add", "Keep Co")[1])
    dup = added_id(world.cli("partners", "add", "Keep Co.", "--allow-duplicate")[1])
    monkeypatch.setattr("prm_sync.cli.confirm.interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, _ = world.cli("partners", "merge", keep, dup)
    assert code == 1  # declined: "Aborted.", nothing changed
    assert partner(world, dup)["deleted_at"] is None
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, _, err = world.cli("partners", "merge", keep, dup)
    assert code == 0, err
    assert partner(world, dup)["deleted_at"] is not None
    code, _, err = world.cli("partners", "merge", keep, keep, "--yes")
    assert code == 2 and "same partner" in err


def test_partners_the_crm_names_in_any_script_are_found_after_a_pull(world: World) -> None:
    name_field = "Name" if world.crm == "salesforce" else "name"
    created, renamed = world.harness.seed("partner", 2)
    world.harness.modify("partner", created, name_field, "Tập đoàn Công nghệ Đông Á")
    assert world.sync()["exit"] == 0  # both new: rows the pull writes as drafts
    assert partner(world, "TẬP ĐOÀN CÔNG NGHỆ ĐÔNG Á")["name"] == "Tập đoàn Công nghệ Đông Á"
    world.harness.modify("partner", renamed, name_field, "Ölwerk GmbH")
    assert world.sync()["exit"] == 0  # an update of a stored row
    assert partner(world, "ölwerk gmbh")["name"] == "Ölwerk GmbH"
