"""`prm-sync crm setup` against an EMPTY Salesforce org (issue 16, Salesforce side).

The emulator starts with the standard objects and fields only and enforces field-level security
for what the API creates; the CLI runs in-process as a user runs it; the connector is the real one
(simple-salesforce over HTTPS: Tooling API, sObject Collections, query). Write calls are counted
by the emulator (every POST/PATCH/PUT/DELETE it receives).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.emulator_kit.faults import Fault
from connectors.salesforce.emulator import FieldDef, SalesforceEmulator
from connectors.salesforce.emulator.schema import empty_schema
from prm_sync.connector import SetupKind, SetupPlan
from prm_sync.mapping import load_mapping
from tests.e2e.sync_world import ROOT, RealClock, World
from tests.integration.connectors.harness_salesforce import SalesforceHarness
from tests.integration.emulators.sf_fixtures import sf_tls_dir

__all__ = ["sf_tls_dir"]

MAPPING = ROOT / "mappings" / "salesforce.yaml"
#: the custom fields the shipped mapping needs, in the order setup creates them
FIELDS = [
    "Account.PRM_Id__c", "Account.Partner_Tier__c", "Account.Partner_Status__c", "Account.Partner_Since__c",
    "Account.Channel_Manager_Email__c", "Account.Territories__c", "Account.Partner_Discount__c",
    "Account.Valid_Certifications__c", "Contact.PRM_Id__c", "Contact.Partner_Role__c",
    "Contact.Preferred_Language__c", "Partner_Fund_Request__c.PRM_Id__c", "Partner_Fund_Request__c.Period__c",
    "Partner_Fund_Request__c.Activity_Type__c", "Partner_Fund_Request__c.Description__c",
    "Partner_Fund_Request__c.Planned_Start__c", "Partner_Fund_Request__c.Planned_End__c",
    "Partner_Fund_Request__c.Requested_Amount__c", "Partner_Fund_Request__c.Approved_Amount__c",
    "Partner_Fund_Request__c.Expected_Leads__c", "Partner_Fund_Request__c.Status__c",
    "Partner_Fund_Request__c.Partner_Account__c", "Partner_Fund_Claim__c.PRM_Id__c",
    "Partner_Fund_Claim__c.Amount__c", "Partner_Fund_Claim__c.Proof__c", "Partner_Fund_Claim__c.Status__c",
    "Partner_Fund_Claim__c.Paid_At__c", "Partner_Fund_Claim__c.Fund_Request__c",
    "Partner_Fund_Claim__c.Partner_Account__c", "Lead.PRM_Id__c", "Lead.Estimated_Value__c",
    "Lead.Expected_Close_Date__c", "Lead.Registration_Status__c", "Lead.Products__c", "Lead.PRM_Fund_Request_Id__c",
    "Lead.Partner_Account__c", "Opportunity.PRM_Id__c", "Opportunity.Product_Line__c",
    "Opportunity.PRM_Registration_Id__c", "Opportunity.PRM_Fund_Request_Id__c", "Opportunity.Partner_Account__c",
    "Partner_Commission__c.PRM_Id__c", "Partner_Commission__c.Amount__c", "Partner_Commission__c.Status__c",
    "Partner_Commission__c.Period__c", "Partner_Commission__c.Explanation__c",
    "Partner_Commission__c.Opportunity__c", "Partner_Commission__c.Partner_Account__c",
]
OBJECTS = ["Account", "Contact", "Partner_Fund_Request__c", "Partner_Fund_Claim__c", "Lead", "Opportunity",
           "Partner_Commission__c"]
#: the custom objects setup creates, in its order
CUSTOM_OBJECTS = ["Partner_Fund_Request__c", "Partner_Fund_Claim__c", "Partner_Commission__c"]
#: mapped standard fields that field-level security governs (optional, writable)
STANDARD_GRANTS = ["Account.BillingCountryCode", "Account.Website", "Account.Phone", "Account.Industry",
                   "Account.Type", "Contact.FirstName", "Contact.Email", "Contact.Phone", "Contact.AccountId",
                   "Lead.FirstName", "Lead.Email", "Lead.Website", "Lead.LeadSource",
                   "Opportunity.Amount", "Opportunity.Type"]
#: one call per CustomObject + one call per CustomField (Tooling takes one component per call) + the permission
#: set + ONE sObject Collections call for all 48 grants (<= 200) + the assignment
SETUP_WRITES = len(CUSTOM_OBJECTS) + len(FIELDS) + 1 + 1 + 1
PLAN_ITEMS = len(CUSTOM_OBJECTS) + len(FIELDS) + 1 + len(OBJECTS) + len(FIELDS) + len(STANDARD_GRANTS) + 1
PLAN = {"commissions": {"plans": [{
    "name": "standard-2026", "currency": "USD", "effective": {"from": "2026-01-01"},
    "tier_rates": {"registered": "5%", "silver": "8%", "gold": "10%", "platinum": "12%"},
}]}}


@pytest.fixture
def make_world(sqlite_url: str, tmp_path: Path, sf_tls_dir: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[SalesforceEmulator | None], World]]:
    started: list[tuple[SalesforceEmulator, SalesforceHarness]] = []

    def make(emulator: SalesforceEmulator | None = None) -> World:
        clock = RealClock()
        emulator = emulator or SalesforceEmulator.empty(tls_dir=sf_tls_dir)
        emulator.clock = clock
        emulator.start()
        harness = SalesforceHarness(emulator, clock, load_mapping(MAPPING))
        started.append((emulator, harness))
        monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
        (tmp_path / "mappings").mkdir()
        shutil.copy(MAPPING, tmp_path / "mappings" / "salesforce.yaml")
        world = World("salesforce", harness, tmp_path, sqlite_url, capsys)
        world.extra_config = PLAN
        world.write_config()
        assert world.cli("db", "upgrade")[0] == 0
        return world

    yield make
    for emulator, harness in started:
        harness.connector.close()
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors


def setup(world: World, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = world.cli("crm", "setup", "--format", "json", *args)
    assert world.harness.emulator.session_id not in out + err
    return code, json.loads(out), err


def targets(rows: list[dict[str, Any]], kind: str) -> list[str]:
    return [row["target"] for row in rows if row["kind"] == kind]


def test_empty_org_dry_run_setup_check_two_way_sync_and_second_setup(make_world: Callable[..., World]) -> None:
    world = make_world()
    emu: SalesforceEmulator = world.harness.emulator
    before = emu.org_state()

    code, dry, err = setup(world, "--dry-run")
    assert code == 0, err
    assert emu.org_state() == before and emu.write_calls == 0       # nothing written, byte for byte
    assert targets(dry["plan"], "object") == CUSTOM_OBJECTS
    assert targets(dry["plan"], "field") == FIELDS
    details = {row["target"]: row["detail"] for row in dry["plan"]}
    assert details["Account.PRM_Id__c"] == "Text(36), External ID, unique"
    assert details["Account.Partner_Tier__c"] == "Picklist (Platinum, Gold, Silver, Registered), restricted"
    assert details["Lead.Partner_Account__c"].startswith("Lookup(Account)")
    assert details["Partner_Commission__c.Opportunity__c"].startswith("Lookup(Opportunity)")
    assert details["Account.Valid_Certifications__c"] == "Number(18, 0)"
    assert details["Lead.Expected_Close_Date__c"] == "Date"
    permissions = targets(dry["plan"], "permission")
    assert permissions[0] == "PermissionSet PRM_Sync" and permissions[-1].startswith("PermissionSetAssignment")
    assert [t for t in permissions if t.startswith("ObjectPermissions")] == \
        [f"ObjectPermissions PRM_Sync: {o}" for o in OBJECTS]
    granted = {t.split(": ", 1)[1] for t in permissions if t.startswith("FieldPermissions")}
    assert granted == set(FIELDS) | set(STANDARD_GRANTS)
    assert len(dry["plan"]) == PLAN_ITEMS
    lines = {row["target"]: row["mapping_line"] for row in dry["plan"]}
    text = (world.tmp / "mappings" / "salesforce.yaml").read_text(encoding="utf-8").splitlines()
    tier_line = next(i for i, line in enumerate(text, 1) if "Partner_Tier__c" in line)
    assert lines["Account.Partner_Tier__c"] == f"mappings/salesforce.yaml:{tier_line}"
    assert dry["read_calls"] == 9    # userinfo, describeGlobal, 2 Tooling queries, 4 describes, PermissionSet

    code, done, err = setup(world, "--yes")
    assert code == 0, err
    assert emu.write_calls == SETUP_WRITES == done["applied"]["write_calls"]
    assert len(done["applied"]["created"]) == PLAN_ITEMS and done["still_missing"] == []
    assert emu.calls("POST /services/data/v62.0/tooling/sobjects/CustomField") == len(FIELDS)
    assert emu.calls("POST /services/data/v62.0/composite/sobjects") == 1

    code, out, err = world.cli("check", "--online")
    assert code == 0, out + err
    assert "0 error(s), 0 warning(s)" in out

    # a full two-way sync of every entity: CRM -> PRM (partner, contact, lead, deal), PRM -> CRM (partner, commission)
    h = world.harness
    [partner] = h.seed("partner", 1, Partner_Tier__c="Gold", Name="Công ty Ánh Dương")
    h.seed("partner_contact", 1, AccountId=partner, FirstName="Jürgen")
    h.seed("lead", 1, Partner_Account__c=partner)
    [deal] = h.seed("deal", 1, Partner_Account__c=partner, StageName="Closed Won", Amount=12345.67,
                    CloseDate="2026-11-20", CurrencyIsoCode="USD")
    assert world.cli("partners", "add", "Müller Systemhaus GmbH")[0] == 0
    report = world.sync()
    assert report["exit"] == 0, report
    for entity in ("partner", "partner_contact", "lead", "deal"):
        assert len(world.store_rows(entity)) >= 1, entity
    pushed = [r for r in emu.records("Account") if r["Name"] == "Müller Systemhaus GmbH"]
    assert len(pushed) == 1 and pushed[0]["PRM_Id__c"] and pushed[0]["Partner_Tier__c"] == "Registered"
    assert world.cli("commissions", "calculate", "--period", "2026-Q4")[0] == 0
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["commission"]["crm"]["create"] == 1
    [commission] = emu.records("Partner_Commission__c")
    assert commission["Opportunity__c"] == deal and str(commission["Amount__c"]) == "1234.57"
    assert commission["Name"] == "PC-000001"
    # the fund objects setup created take a fund request (MDF) pushed from the PRM
    assert world.cli("funds", "budget", "set", "--period", "2026-Q4", "--currency", "USD", "--total", "10000")[0] == 0
    assert world.cli("funds", "request", "add", "--partner", "Müller Systemhaus GmbH", "--amount", "500",
                     "--period", "2026-Q4", "--activity", "webinar", "--description", "Partner webinar")[0] == 0
    report = world.sync()
    assert report["exit"] == 0, report
    [request] = emu.records("Partner_Fund_Request__c")
    assert Decimal(str(request["Requested_Amount__c"])) == Decimal("500") and request["Partner_Account__c"] == \
        pushed[0]["Id"]
    assert not world.open_quarantine()

    writes = emu.write_calls
    code, again, err = setup(world, "--yes")
    assert code == 0 and again["plan"] == [] and "applied" not in again, err
    assert again["read_calls"] == 15     # + the custom objects' describes, grants and assignment queries
    assert emu.write_calls == writes                                   # a second setup writes nothing


def test_field_level_security_sync_fails_before_the_grant_and_passes_after(
        make_world: Callable[..., World]) -> None:
    world = make_world()
    emu: SalesforceEmulator = world.harness.emulator
    connector: Any = world.harness.connector
    plan = connector.plan_setup(list(load_mapping(MAPPING).entities.values()))
    metadata_only = SetupPlan(items=tuple(i for i in plan.items if i.kind is not SetupKind.PERMISSION))
    assert connector.apply_setup(metadata_only).ok             # the fields exist, nobody may see them
    assert emu.setup.fields["Account.PRM_Id__c"].external_id
    assert "PRM_Id__c" not in emu.schema.objects["Account"].fields
    assert "Partner_Commission__c" not in emu.schema.objects

    assert world.cli("partners", "add", "Ánh Dương Co")[0] == 0
    code, out, err = world.cli("sync")
    assert code == 2, out + err     # the mapping's fields are invisible to the integration user
    assert "Account has no field Partner_Tier__c in the CRM" in err or "Account has no field PRM_Id__c" in err

    code, done, err = setup(world, "--yes")
    assert code == 0, err
    assert {row["kind"] for row in done["plan"]} == {"permission"}   # only the grants were missing
    assert emu.write_calls == len(FIELDS) + len(CUSTOM_OBJECTS) + 3   # metadata before; now set, grants, assignment
    report = world.sync()
    assert report["exit"] == 0, report
    [pushed] = [r for r in emu.records("Account") if r["Name"] == "Ánh Dương Co"]
    assert pushed["PRM_Id__c"]


def test_without_the_metadata_permission_setup_stops_naming_what_was_not_created(
        make_world: Callable[..., World]) -> None:
    world = make_world()
    emu: SalesforceEmulator = world.harness.emulator
    emu.setup.can_customize = False       # no Customize Application / Modify Metadata
    code, out, err = setup(world, "--yes")
    assert code == 1
    assert "failed to create object Partner_Fund_Request__c: INSUFFICIENT_ACCESS: Insufficient Privileges" in err
    assert "  created: nothing" in err
    assert "not attempted: object Partner_Fund_Claim__c, object Partner_Commission__c, field Account.PRM_Id__c" in err
    assert "rerun `prm-sync crm setup`" in err and "Traceback" not in err
    assert out["applied"]["write_calls"] == emu.write_calls == 1
    assert len(out["applied"]["not_attempted"]) == PLAN_ITEMS - 1

    emu.setup.can_customize = True
    code, out, err = setup(world, "--yes")
    assert code == 0, err
    assert emu.write_calls == 1 + SETUP_WRITES and out["still_missing"] == []


def test_an_error_on_the_12th_field_names_created_and_not_created_and_a_rerun_finishes(
        make_world: Callable[..., World]) -> None:
    world = make_world()
    emu: SalesforceEmulator = world.harness.emulator
    emu.inject(Fault(path="/tooling/sobjects/CustomField", method="POST", every=12, count=1, status=400))
    code, out, err = setup(world, "--yes")
    assert code == 1
    applied = out["applied"]
    assert [row["target"] for row in applied["created"]] == [*CUSTOM_OBJECTS, *FIELDS[:11]]
    assert applied["failed"]["target"] == FIELDS[11] == "Partner_Fund_Request__c.PRM_Id__c"
    assert applied["error"].startswith("INVALID_FIELD")
    assert targets(applied["not_attempted"], "field") == FIELDS[12:]
    assert f"failed to create field {FIELDS[11]}" in err
    assert ("created: object Partner_Fund_Request__c, object Partner_Fund_Claim__c, object Partner_Commission__c, "
            f"field {FIELDS[0]}") in err
    assert applied["write_calls"] == emu.write_calls == 3 + 12     # the objects, 11 fields, the refused 12th

    code, out, err = setup(world, "--yes")
    assert code == 0, err
    assert targets(out["plan"], "field") == FIELDS[11:]
    assert out["still_missing"] == []
    assert emu.write_calls == 15 + len(FIELDS[11:]) + 3
    code, text, err = world.cli("check", "--online")
    assert code == 0, text + err


def test_a_field_with_the_wrong_type_stops_with_the_mapping_line_and_no_write(
        make_world: Callable[..., World], sf_tls_dir: Path) -> None:
    schema = empty_schema()
    schema.add_field("Account", FieldDef("Partner_Since__c", "string", label="Partner Since", length=255))
    world = make_world(SalesforceEmulator(schema=schema, enforce_fls=True, tls_dir=sf_tls_dir))
    emu: SalesforceEmulator = world.harness.emulator
    before = emu.org_state()
    code, out, err = setup(world, "--yes")
    assert code == 2
    text = (world.tmp / "mappings" / "salesforce.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text, 1) if "Partner_Since__c" in t)
    assert f"mappings/salesforce.yaml:{line}: entities.partner.fields.joined_on.crm" in err
    assert "Account.Partner_Since__c exists in the CRM as a string field" in err
    assert "nothing was created" in err and "Traceback" not in err
    assert emu.write_calls == 0 and emu.org_state() == before
    assert "applied" not in out


def test_init_online_keep_missing_on_an_empty_org_then_crm_setup(tmp_path: Path, sf_tls_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 5 on Salesforce: init --online keeps what the org lacks for crm setup to create;
    after setup, check --online reports nothing missing."""
    from prm_sync.cli.main import run

    emulator = SalesforceEmulator.empty(tls_dir=sf_tls_dir)
    emulator.start()
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
        monkeypatch.setenv("SF_INSTANCE_URL", emulator.base_url)
        monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
        monkeypatch.setenv("SF_CA_BUNDLE", str(emulator.ca_path))
        assert run(["init", "--crm", "salesforce", "--online", "--keep-missing", "site"]) == 0
        out = capsys.readouterr().out
        # the mapped fields (not the keys, not the commission object's) that init --online looks at
        assert "the org lacks 19 mapped field(s) and the object(s) Partner_Fund_Request__c, Partner_Fund_Claim__c, " \
               "Partner_Commission__c, kept in site/mappings/salesforce.yaml" in out
        lines = MAPPING.read_text(encoding="utf-8").splitlines()
        lead = lines.index("  lead:")
        lookup = next(i for i, t in enumerate(lines, 1) if i > lead and "partner_id: {crm: Partner_Account__c" in t)
        assert f"line {lookup}: lead.partner_id: Lead has no field Partner_Account__c" in out
        assert "create them (and whatever else the mapping needs) with `prm-sync crm setup`" in out
        assert (tmp_path / "site" / "mappings" / "salesforce.yaml").read_text(encoding="utf-8") == \
            MAPPING.read_text(encoding="utf-8")
        assert emulator.write_calls == 0
        assert run(["--config", "site/config.yaml", "crm", "setup", "--yes"]) == 0, capsys.readouterr().err
        assert emulator.write_calls == SETUP_WRITES
        assert run(["--config", "site/config.yaml", "check", "--online"]) == 0
        assert "against the CRM: ok: 0 error(s), 0 warning(s)" in capsys.readouterr().out
    finally:
        emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors
