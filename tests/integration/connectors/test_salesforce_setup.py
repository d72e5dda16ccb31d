"""SalesforceConnector as a CrmSetup, in-process against an empty emulator: grants batched by the
sObject Collections limit, a refused batch, one entity planned alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.emulator_kit.faults import Fault
from connectors.salesforce import setup as sf_setup
from connectors.salesforce.emulator import SalesforceEmulator
from prm_sync.connector import SetupKind
from prm_sync.mapping import CompiledMapping, load_mapping
from tests.e2e.sync_world import RealClock
from tests.integration.connectors.harness_salesforce import MAPPING, SalesforceHarness
from tests.integration.emulators.sf_fixtures import sf_tls_dir

__all__ = ["sf_tls_dir"]
GRANTS = "POST /services/data/v62.0/composite/sobjects"


@pytest.fixture
def harness(sf_tls_dir: Path) -> Iterator[SalesforceHarness]:
    emulator = SalesforceEmulator.empty(tls_dir=sf_tls_dir)
    emulator.start()
    h = SalesforceHarness(emulator, RealClock(), load_mapping(MAPPING))  # type: ignore[arg-type]
    yield h
    h.connector.close()
    emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


def mapping() -> CompiledMapping:
    return load_mapping(MAPPING)


def test_grants_go_in_collections_calls_of_at_most_the_limit(harness: SalesforceHarness,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sf_setup, "COLLECTION_LIMIT", 20)     # 70 grants -> 20 + 20 + 20 + 10
    connector: Any = harness.connector
    plan = connector.plan_setup(list(mapping().entities.values()))
    grants = [i for i in plan.items if i.target.startswith(("ObjectPermissions", "FieldPermissions"))]
    assert len(grants) == 70      # 7 objects, 48 custom fields, 15 standard fields
    outcome = connector.apply_setup(plan)
    assert outcome.ok and len(outcome.created) == len(plan.items)
    assert harness.emulator.calls(GRANTS) == 4
    assert outcome.calls == harness.emulator.write_calls == 3 + 48 + 1 + 4 + 1


def test_a_refused_grants_call_stops_there_and_the_rerun_finishes(harness: SalesforceHarness,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sf_setup, "COLLECTION_LIMIT", 20)
    emu = harness.emulator
    emu.inject(Fault(path="/composite/sobjects$", method="POST", every=2, count=1, status=400))
    connector: Any = harness.connector
    plan = connector.plan_setup(list(mapping().entities.values()))
    outcome = connector.apply_setup(plan)
    assert not outcome.ok and outcome.failed is not None
    grants = [i for i in plan.items if i.target.startswith(("ObjectPermissions", "FieldPermissions"))]
    assert outcome.failed == grants[20]                      # the first of the second call
    assert [i for i in outcome.created if i in grants] == grants[:20]
    assert outcome.not_attempted[-1].target.startswith("PermissionSetAssignment")
    assert len(outcome.created) + 1 + len(outcome.not_attempted) == len(plan.items)

    again = connector.plan_setup(list(mapping().entities.values()))
    assert [i.target for i in again.items] == [i.target for i in (outcome.failed, *outcome.not_attempted)]
    assert connector.apply_setup(again).ok
    assert connector.plan_setup(list(mapping().entities.values())).nothing_to_do


def test_one_entity_alone_still_points_its_lookup_at_the_partner_object(harness: SalesforceHarness) -> None:
    connector: Any = harness.connector
    plan = connector.plan_setup([mapping()["lead"]])
    fields = {i.target: i.detail for i in plan.items if i.kind is SetupKind.FIELD}
    assert list(fields) == ["Lead.PRM_Id__c", "Lead.Estimated_Value__c", "Lead.Expected_Close_Date__c",
                            "Lead.Registration_Status__c", "Lead.Products__c", "Lead.PRM_Fund_Request_Id__c",
                            "Lead.Partner_Account__c"]
    assert fields["Lead.Partner_Account__c"] == "Lookup(Account), child relationship Lead_Partner_Account"
    assert fields["Lead.Estimated_Value__c"] == "Currency(16, 2)"
    assert not [i for i in plan.items if i.kind is SetupKind.OBJECT]
    assert harness.emulator.write_calls == 0


def test_a_field_nobody_may_see_yet_is_still_checked_for_its_type(harness: SalesforceHarness) -> None:
    """Partner_Since__c exists (created without a grant, so describe does not list it) as Text: the
    Tooling API's Metadata tells, and the plan reports the conflict instead of creating it again."""
    from tests.integration.emulators.sf_fixtures import make_sf_client

    sf = make_sf_client(harness.emulator)
    sf.toolingexecute("sobjects/CustomField/", method="POST", data={
        "FullName": "Account.Partner_Since__c", "Metadata": {"label": "Partner Since", "type": "Text", "length": 10}})
    sf.toolingexecute("sobjects/CustomField/", method="POST", data={
        "FullName": "Account.Partner_Tier__c", "Metadata": {"label": "Partner Tier", "type": "Picklist", "valueSet": {
            "valueSetDefinition": {"value": [{"fullName": "Gold", "label": "Gold", "default": False}]}}}})
    writes = harness.emulator.write_calls
    connector: Any = harness.connector
    plan = connector.plan_setup([mapping()["partner"]])
    [conflict] = plan.conflicts
    assert (conflict.target, conflict.found, conflict.path) == (
        "Account.Partner_Since__c", "a string field (string)", ("entities", "partner", "fields", "joined_on", "crm"))
    fields = [i.target for i in plan.items if i.kind is SetupKind.FIELD]
    assert "Account.Partner_Tier__c" not in fields and "Account.Partner_Since__c" not in fields
    grants = [i.target for i in plan.items if i.target.startswith("FieldPermissions")]
    assert "FieldPermissions PRM_Sync: Account.Partner_Tier__c" in grants      # exists, hidden: granted
    assert plan.calls == 1 + 1 + 1 + 1 + 2 + 1                   # two Metadata reads, one per hidden field
    assert harness.emulator.write_calls == writes


def test_prm_syncs_own_narrower_grants_are_widened_never_narrowed(harness: SalesforceHarness) -> None:
    connector: Any = harness.connector
    mappers = list(mapping().entities.values())
    assert connector.apply_setup(connector.plan_setup(mappers)).ok
    emu = harness.emulator
    with emu.lock:                      # an admin made PRM_Sync narrower than the mapping needs
        rows = emu.setup.rows
        tier = next(r for r in rows["FieldPermissions"].values() if r["Field"] == "Account.Partner_Tier__c")
        tier["PermissionsEdit"] = False
        account = next(r for r in rows["ObjectPermissions"].values() if r["SobjectType"] == "Account")
        account.update(PermissionsCreate=False, PermissionsViewAllRecords=True)
        emu.setup.refresh(emu)
    writes = emu.write_calls
    plan = connector.plan_setup(mappers)
    assert [(i.target, i.detail) for i in plan.items] == [
        ("ObjectPermissions PRM_Sync: Account", "read, create, edit (widens PRM_Sync's own grant)"),
        ("FieldPermissions PRM_Sync: Account.Partner_Tier__c", "read, edit (widens PRM_Sync's own grant)")]
    assert connector.apply_setup(plan).ok
    assert emu.write_calls == writes + 1                  # one Collections PATCH carries both
    assert emu.calls("PATCH /services/data/v62.0/composite/sobjects") == 1
    assert tier["Id"] in rows["FieldPermissions"] and rows["FieldPermissions"][tier["Id"]]["PermissionsEdit"]
    widened = rows["ObjectPermissions"][account["Id"]]
    assert widened["PermissionsCreate"] and widened["PermissionsViewAllRecords"]   # what was wider stays
    assert connector.plan_setup(mappers).nothing_to_do


def test_on_the_default_org_only_the_permission_set_is_missing(sf_tls_dir: Path) -> None:
    """The default emulator has every PRM field (full access, no FLS): setup finds every field and the
    custom objects (commissions, fund requests and claims) through describe and the Tooling API, and
    plans the permission set alone."""
    emulator = SalesforceEmulator(tls_dir=sf_tls_dir)
    emulator.start()
    h = SalesforceHarness(emulator, RealClock(), load_mapping(MAPPING))  # type: ignore[arg-type]
    try:
        connector: Any = h.connector
        plan = connector.plan_setup(list(mapping().entities.values()))
        assert {i.kind for i in plan.items} == {SetupKind.PERMISSION} and not plan.conflicts
        assert not plan.refusals
        assert plan.calls == 1 + 1 + 1 + 1 + 7 + 1      # 7 describes: 4 standard objects, 3 custom
        outcome = connector.apply_setup(plan)
        assert outcome.ok and outcome.calls == emulator.write_calls == 3   # set, one grants call, assignment
        assert connector.plan_setup(list(mapping().entities.values())).nothing_to_do
    finally:
        h.connector.close()
        emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


def test_a_create_whose_answer_was_lost_is_not_created_twice_nor_failed(harness: SalesforceHarness) -> None:
    """Salesforce created the field but the answer was a 503: the client's retry gets
    DUPLICATE_DEVELOPER_NAME, which then means 'created' (the same for the permission set)."""
    emu = harness.emulator
    emu.inject(Fault(path="/tooling/sobjects/CustomField", method="POST", when="after", status=503, count=1))
    emu.inject(Fault(path="/sobjects/PermissionSet$", method="POST", when="after", status=503, count=1))
    connector: Any = harness.connector
    plan = connector.plan_setup(list(mapping().entities.values()))
    outcome = connector.apply_setup(plan)
    assert outcome.ok, outcome.error
    assert outcome.calls == emu.write_calls == 3 + 48 + 1 + 1 + 1 + 2      # two retried calls
    assert len(emu.setup.fields) == 48 and len(emu.setup.rows["PermissionSet"]) == 1
    assert connector.plan_setup(list(mapping().entities.values())).nothing_to_do
