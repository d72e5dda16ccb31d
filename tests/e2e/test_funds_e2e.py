"""MDF end to end, both CRMs (emulators, real SDKs over HTTP), both stores: a request made in the
PRM appears in the CRM, is approved there and comes back approved with history; an approval in the
CRM beyond the allocation becomes a conflict with the reason and reserves nothing; a claim paid in
the PRM shows paid in the CRM (the request too); a request deleted in the CRM is deleted in the
PRM (its reservation released), one removed in the PRM follows on_delete in the CRM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from prm_sync.store import FundHistory, FundRequest, open_store
from prm_sync.store.types import utcnow
from tests.e2e.sync_world import KEY_FIELD, World, open_world

CRMS = ["hubspot", "salesforce"]
#: PRM field -> CRM field, and PRM status -> CRM status value, per CRM
FIELD = {
    "salesforce": {"status": "Status__c", "requested_amount": "Requested_Amount__c",
                   "approved_amount": "Approved_Amount__c", "amount": "Amount__c", "partner": "Partner_Account__c",
                   "request": "Fund_Request__c", "description": "Description__c"},
    "hubspot": {"status": "status", "requested_amount": "prm_requested_amount",
                "approved_amount": "prm_approved_amount", "amount": "amount", "description": "prm_description"},
}


def crm_status(crm: str, status: str) -> str:
    return status.title() if crm == "salesforce" else status


def number(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(params=CRMS)
def world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def ok(world: World, *args: str) -> str:
    code, out, err = world.cli(*args)
    assert code == 0, err
    return out


def associated(world: World, from_type: str, crm_id: str, to_type: str) -> set[int]:
    emu = world.harness.emulator
    with emu.lock:
        return set(emu.associations.targets(from_type, int(crm_id), to_type))


#: both CRMs and both stores, each once (the store code is shared by both CRMs; four combinations cost
#: the suite twice the time for no path the two pairs leave out)
PAIRS = [pytest.param("hubspot", "postgresql", marks=pytest.mark.pg, id="hubspot-postgresql"),
         pytest.param("salesforce", "sqlite", id="salesforce-sqlite")]


@pytest.mark.parametrize(("world", "store_url"), PAIRS, indirect=True)
def test_funds_round_trip(world: World) -> None:
    world.edit_mapping("  fund_request:", "  fund_request:\n    on_delete: delete")
    f, crm = FIELD[world.crm], world.crm
    [acme] = world.harness.seed("partner", 1, **{KEY_FIELD[crm]: None})
    assert world.sync()["exit"] == 0
    [partner] = world.store_rows("partner")
    ok(world, "partners", "edit", partner["id"], "--name", "Công ty Ánh Dương")
    ok(world, "funds", "budget", "set", "--period", "2026-Q4", "--currency", "USD", "--total", "50000")
    ok(world, "funds", "budget", "set", "--period", "2026-Q4", "--partner", "Công ty Ánh Dương",
       "--allocation", "10000")

    # made in the PRM -> appears in the CRM, submitted, on the partner
    first = ok(world, "funds", "request", "add", "--partner", "công ty ánh dương", "--amount", "4000",
               "--period", "2026-Q4", "--activity", "webinar", "--description", "Hội thảo Đà Nẵng").split()[1]
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["fund_request"]["crm"]["create"] == 1
    first_crm = world.links("fund_request")[first].crm_id
    assert first_crm is not None
    record = world.harness.crm_record("fund_request", first_crm)
    assert (record[f["status"]], number(record[f["requested_amount"]]), record[f["description"]]) == (
        crm_status(crm, "submitted"), Decimal("4000"), "Hội thảo Đà Nẵng")
    if crm == "salesforce":
        assert record[f["partner"]] == acme
    else:
        assert associated(world, "partner_fund_requests", first_crm, "companies") == {int(acme)}

    # approved in the CRM -> comes back approved, reserved, with history (actor crm)
    world.harness.modify("fund_request", first_crm, f["status"], crm_status(crm, "approved"))
    report = world.sync()
    assert report["exit"] == 0, report
    rows = {r["id"]: r for r in world.store_rows("fund_request")}
    assert (rows[first]["status"], rows[first]["approved_amount"]) == ("approved", Decimal("4000.00"))
    with open_store(world.store_url, create=False) as store, store.session() as s:
        trail = [(h.from_status, h.to_status, h.actor, h.reason) for h in s.exec(
            select(FundHistory).where(FundHistory.subject_id == first).order_by(col(FundHistory.id)))]
    assert trail[-1] == ("submitted", "approved", "crm", "approved in the CRM")
    # the approved amount the PRM filled in went to the CRM
    assert number(world.harness.crm_record("fund_request", first_crm)[f["approved_amount"]]) == Decimal("4000")

    # approved in the CRM beyond what remains (6,000.00) -> a conflict with the reason, nothing reserved
    second = ok(world, "funds", "request", "add", "--partner", partner["id"], "--amount", "7000",
                "--period", "2026-Q4", "--activity", "event").split()[1]
    assert world.sync()["exit"] == 0
    second_crm = world.links("fund_request")[second].crm_id
    assert second_crm is not None
    world.harness.modify("fund_request", second_crm, f["status"], crm_status(crm, "approved"))
    report = world.sync()
    assert report["exit"] == 1, report
    assert report["counts"]["fund_request"]["prm"]["conflict"] == 1
    code, out, _ = world.cli("conflicts", "list", "--format", "json")
    [conflict] = json.loads(out)
    assert (conflict["entity"], conflict["prm_id"], conflict["field"], conflict["prm_value"],
            conflict["crm_value"]) == ("fund_request", second, "status", "submitted", "approved")
    assert "only 6,000.00 USD of the allocation of 10,000.00 USD remains" in conflict["reason"]
    assert {r["id"]: r for r in world.store_rows("fund_request")}[second]["status"] == "submitted"
    code, out, _ = world.cli("funds", "report", "--period", "2026-Q4", "--format", "json")
    [mine] = json.loads(out)["partners"]
    assert (mine["reserved"], mine["remaining"]) == ("4000.00", "6000.00")
    # the CRM's value is left alone while the conflict is open (not pushed back), and stays parked
    again = world.sync()
    assert again["counts"].get("fund_request", {}).get("crm") is None, again
    assert world.harness.crm_record("fund_request", second_crm)[f["status"]] == crm_status(crm, "approved")
    code, _, err = world.cli("conflicts", "resolve", str(conflict["id"]), "--keep", "crm")
    assert code == 2 and "refused the CRM value" in err

    # a claim paid in the PRM shows paid in the CRM, and so does its request
    claim = ok(world, "funds", "claim", "add", first, "--amount", "4000", "--proof",
               "https://files.example/hoá-đơn-4000.pdf").split()[1]
    ok(world, "funds", "claim", "approve", claim)
    ok(world, "funds", "claim", "pay", claim, "--reason", "wire 2026-12-01")
    report = world.sync()
    assert report["counts"]["fund_claim"]["crm"]["create"] == 1, report
    claim_crm = world.links("fund_claim")[claim].crm_id
    assert claim_crm is not None
    pushed = world.harness.crm_record("fund_claim", claim_crm)
    assert (pushed[f["status"]], number(pushed[f["amount"]])) == (crm_status(crm, "paid"), Decimal("4000"))
    assert world.harness.crm_record("fund_request", first_crm)[f["status"]] == crm_status(crm, "paid")
    if crm == "salesforce":
        assert (pushed[f["request"]], pushed[f["partner"]]) == (first_crm, acme)
    else:
        assert associated(world, "partner_fund_claims", claim_crm, "partner_fund_requests") == {int(first_crm)}
        assert associated(world, "partner_fund_claims", claim_crm, "companies") == {int(acme)}

    # ROI: a won deal whose CRM field names the request is pulled and credited to it
    if crm == "salesforce":
        world.harness.seed("deal", 1, Partner_Account__c=acme, StageName="Closed Won", Amount=Decimal("30000"),
                           PRM_Fund_Request_Id__c=first)
    else:
        [won] = world.harness.seed("deal", 1, dealstage="closedwon", amount="30000", prm_fund_request_id=first)
        world.harness.link("deal", won, "partner", acme)
    # a claim made in the CRM against the paid request is checked like one made in the PRM: rejected
    if crm == "salesforce":
        [late] = world.harness.seed("fund_claim", 1, Fund_Request__c=first_crm, Partner_Account__c=acme,
                                    **{KEY_FIELD[crm]: None})
    else:
        [late] = world.harness.seed("fund_claim", 1, **{KEY_FIELD[crm]: None})
        world.harness.link("fund_claim", late, "fund_request", first_crm)
        world.harness.link("fund_claim", late, "partner", acme)
    report = world.sync()
    assert report["counts"]["deal"]["prm"]["create"] == 1, report
    assert report["counts"]["fund_claim"]["prm"]["create"] == 1, report
    [late_row] = [r for r in world.store_rows("fund_claim") if r["id"] != claim]
    assert late_row["status"] == "rejected"
    with open_store(world.store_url, create=False) as store, store.session() as s:
        [why] = [h.reason for h in s.exec(select(FundHistory).where(FundHistory.subject_id == late_row["id"],
                                                                     FundHistory.to_status == "rejected"))]
    assert "claims need an approved request" in (why or "")
    world.sync()  # the rejection (and the PRM id) reach the CRM
    assert world.harness.crm_record("fund_claim", late)[f["status"]] == crm_status(crm, "rejected")
    code, out, _ = world.cli("funds", "report", "--period", "2026-Q4", "--format", "json")
    roi = {r["request"]: r for r in json.loads(out)["requests"]}[first]
    assert (number(roi["won_revenue"]), number(roi["paid"]), roi["revenue_per_paid"], roi["status"]) == (
        Decimal("30000"), Decimal("4000"), "7.50", "paid")

    # deleted in the CRM -> deleted in the PRM; removed in the PRM -> deleted in the CRM (on_delete: delete)
    third = ok(world, "funds", "request", "add", "--partner", partner["id"], "--amount", "500",
               "--period", "2026-Q4").split()[1]
    world.sync()
    third_crm = world.links("fund_request")[third].crm_id
    assert third_crm is not None
    world.harness.delete("fund_request", second_crm)
    with open_store(world.store_url, create=False) as store, store.session(write=True) as s:
        row = s.get(FundRequest, third)
        assert row is not None
        row.deleted_at, row.deleted_reason, row.updated_at = utcnow(), "removed in the PRM", utcnow()
        s.add(row)
    report = world.sync()
    assert report["counts"]["fund_request"]["prm"]["delete"] == 1, report
    assert report["counts"]["fund_request"]["crm"]["delete"] == 1, report
    rows = {r["id"]: r for r in world.store_rows("fund_request")}
    assert rows[second]["deleted_reason"] == "deleted in the CRM"
    gone = world.crm_by_key("fund_request", third)
    assert gone is not None and (gone.get("IsDeleted") is True or gone.get("archived") is True)
