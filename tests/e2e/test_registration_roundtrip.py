"""Deal registration through the CRM, on both CRMs: out with its partner, approval back, conflicts named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world

APPROVED = {"salesforce": ("Registration_Status__c", "Approved"), "hubspot": ("dealstage", "registration_approved")}


@pytest.fixture(params=["hubspot", "salesforce"])
def world(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, sqlite_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def test_registration_round_trip_and_channel_conflict(world: World) -> None:
    for name in ("First Partner", "Second Partner"):
        code, _, err = world.cli("partners", "add", name, "--tier", "gold", "--status", "active")
        assert code == 0, err
    code, out, err = world.cli("leads", "register", "--partner", "First Partner", "--company", "Globex, Inc.",
                               "--contact", "Hank Scorpio", "--email", "hank@globex.com", "--value", "50000.00",
                               "--currency", "USD", "--close", "2026-12-31")
    assert code == 0, out + err
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["lead"]["crm"]["create"] == 1
    [lead] = world.store_rows("lead")
    partners = {r["name"]: r["id"] for r in world.store_rows("partner")}
    partner_crm_id = world.links("partner")[partners["First Partner"]].crm_id
    lead_crm_id = world.links("lead")[lead["id"]].crm_id
    assert lead_crm_id is not None

    # the registration is in the CRM, attributed to its partner
    record = world.harness.crm_record("lead", lead_crm_id)
    if world.crm == "salesforce":
        assert record["Partner_Account__c"] == partner_crm_id and record["Company"] == "Globex, Inc."
        assert str(record["Estimated_Value__c"]) in ("50000", "50000.0", "50000.00")
    else:
        assert record["prm_customer_company"] == "Globex, Inc."
        emulator = world.harness.emulator
        with emulator.lock:
            targets = emulator.associations.targets("deals", int(lead_crm_id), "companies")
        assert int(partner_crm_id) in targets  # the deal is associated to its partner company

    # approved in the CRM -> comes back approved, with its protection period started
    field, value = APPROVED[world.crm]
    world.harness.modify("lead", lead_crm_id, field, value)
    assert world.sync()["exit"] == 0
    [lead] = world.store_rows("lead")
    assert lead["status"] == "approved" and lead["approved_at"] is not None

    # a second partner registering the same customer is flagged, the first partner named
    code, out, err = world.cli("leads", "register", "--partner", "Second Partner", "--company", "GLOBEX Incorporated",
                               "--contact", "Marge Bouvier", "--email", "marge@globex.com")
    assert code == 0, out + err
    second = next(r for r in world.store_rows("lead") if r["contact_last_name"] != lead["contact_last_name"])
    assert second["conflict_reason"] == "other_partner"
    assert "First Partner" in second["conflict_with"]
