"""`prm-sync check --online` against both emulators, each with one schema problem put in on purpose.

The CLI runs as a user runs it (config.yaml + a copy of the shipped mapping), the connector is the
real one (simple-salesforce over HTTPS, hubspot-api-client over HTTP), and every test asserts the
exact `FILE:LINE: path: severity:` of the finding and the exit code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot.emulator import HubSpotEmulator
from connectors.hubspot.emulator.schema import STRING, PortalSchema, PropertyDef, default_portal_schema
from connectors.salesforce.emulator import SalesforceEmulator
from connectors.salesforce.emulator.schema import Schema, default_schema
from prm_sync.cli.main import run

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "pat-check-online"


@dataclass
class Site:
    crm: str
    config: Path
    mapping_text: str

    @property
    def mapping_file(self) -> str:
        return f"mappings/{self.crm}.yaml"

    def line(self, needle: str, after: str | None = None) -> int:
        """1-based line of the first line containing `needle` (after the first line containing `after`)."""
        lines = self.mapping_text.splitlines()
        start = 0 if after is None else next(i for i, text in enumerate(lines) if after in text)
        return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1

    def at(self, needle: str, path: str, severity: str, after: str | None = None) -> str:
        return f"{self.mapping_file}:{self.line(needle, after)}: {path}: {severity}: "


def _write_site(directory: Path, crm: str, crm_section: str) -> Site:
    (directory / "mappings").mkdir(parents=True)
    shutil.copy(ROOT / "mappings" / f"{crm}.yaml", directory / "mappings" / f"{crm}.yaml")
    config = directory / "config.yaml"
    config.write_text(f"crm:\n  type: {crm}\n{crm_section}mappings: mappings/{crm}.yaml\n", encoding="utf-8")
    return Site(crm, config, (directory / "mappings" / f"{crm}.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def salesforce_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Schema], Site]]:
    emulators: list[SalesforceEmulator] = []

    def start(schema: Schema) -> Site:
        emulator = SalesforceEmulator(schema)
        emulator.start()
        emulators.append(emulator)
        monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
        section = (f"  salesforce:\n    instance_url: \"{emulator.base_url}\"\n"
                   f"    session_id: \"${{SF_SESSION_ID}}\"\n    ca_bundle: \"{emulator.ca_path}\"\n")
        return _write_site(tmp_path / "site", "salesforce", section)

    yield start
    for emulator in emulators:
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors


@pytest.fixture
def hubspot_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[PortalSchema], Site]]:
    emulators: list[HubSpotEmulator] = []

    def start(schema: PortalSchema) -> Site:
        emulator = HubSpotEmulator(token=TOKEN, schema=schema)
        emulator.start()
        emulators.append(emulator)
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        section = (f"  hubspot:\n    access_token: \"${{HUBSPOT_ACCESS_TOKEN}}\"\n"
                   f"    base_url: \"{emulator.base_url}\"\n")
        return _write_site(tmp_path / "site", "hubspot", section)

    yield start
    for emulator in emulators:
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors


def check(capsys: pytest.CaptureFixture[str], site: Site, *extra: str) -> tuple[int, list[str]]:
    code = run(["--config", str(site.config), "check", "--online", *extra])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    mapping_findings = [line for line in out.splitlines() if (": error: " in line or ": warning: " in line)
                        and not line.startswith(f"{site.config}:")]   # config advisories: not about the CRM
    return code, mapping_findings + ([err] if err else [])


def findings(lines: list[str], severity: str) -> list[str]:
    return [line for line in lines if f": {severity}: " in line]


# The shipped HubSpot mapping's lead status maps the registration pipeline's stages; dealstage also
# lists the default pipeline's stages, which a registration never has: one known warning.
HUBSPOT_BASELINE_WARNING = "entities.lead.fields.status.values: warning: deals.dealstage offers 'appointmentscheduled'"


# ---- the shipped mappings fit the default orgs -------------------------------------------------

def test_salesforce_default_org_passes(salesforce_site: Callable[[Schema], Site],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(capsys, salesforce_site(default_schema()))
    assert (code, lines) == (0, [])


def test_hubspot_default_portal_passes_with_one_known_warning(
        hubspot_site: Callable[[PortalSchema], Site], capsys: pytest.CaptureFixture[str]) -> None:
    site = hubspot_site(default_portal_schema())
    code, lines = check(capsys, site)
    assert code == 0
    assert len(lines) == 1 and HUBSPOT_BASELINE_WARNING in lines[0], lines
    assert lines[0].startswith(site.at("status:", "entities.lead.fields.status.values", "warning", after="lead:"))


# ---- Salesforce: one test per problem -----------------------------------------------------------

def test_salesforce_missing_field(salesforce_site: Callable[[Schema], Site],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.remove_field("Account", "Partner_Since__c")
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert lines == [site.at("joined_on:", "entities.partner.fields.joined_on.crm", "error")
                     + "Account has no field Partner_Since__c in the CRM; create it, fix the name, or remove "
                       "the field from the mapping"]


def test_salesforce_type_mismatch(salesforce_site: Callable[[Schema], Site],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_flags("Account", "Partner_Since__c", type="string", length=255)
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = lines
    assert line.startswith(site.at("joined_on:", "entities.partner.fields.joined_on.type", "error"))
    assert "Account.Partner_Since__c is a string field (string) but the mapping reads and writes it as date" in line
    assert "set type: string" in line


def test_salesforce_picklist_drift_both_ways_is_a_warning(salesforce_site: Callable[[Schema], Site],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_picklist("Account", "Partner_Tier__c", ["Platinum", "Gold", "Silver", "Diamond"])
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 0
    prefix = site.at("tier:", "entities.partner.fields.tier.values", "warning")
    assert lines == [
        prefix + "Account.Partner_Tier__c offers 'Diamond', which the values map lacks: pulled records holding "
                 "them are quarantined; add them to values",
        prefix + "the values map has 'Registered', which Account.Partner_Tier__c does not offer: pushing them "
                 "would be refused",
    ]


def test_salesforce_crm_key_not_an_external_id(salesforce_site: Callable[[Schema], Site],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_flags("Account", "PRM_Id__c", external_id=False, unique=False)
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = lines
    assert line.startswith(site.at("crm_key:", "entities.partner.crm_key", "error"))
    assert "Account.PRM_Id__c is not an external id / unique property" in line


def test_salesforce_pushed_field_read_only(salesforce_site: Callable[[Schema], Site],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_flags("Account", "Territories__c", createable=False, updateable=False)
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert lines == [site.at("territories:", "entities.partner.fields.territories.crm", "error")
                     + "Account.Territories__c is read-only in the CRM, but prm-sync pushes it; make the field "
                       "direction: pull"]


def test_salesforce_required_field_unfilled(salesforce_site: Callable[[Schema], Site],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_flags("Lead", "Status", defaulted_on_create=False)   # required on create, and not mapped
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = lines
    assert line.startswith(site.at("fields:", "entities.lead.fields", "error", after="  lead:"))
    assert "Lead.Status is required on create, and no pushed field, reference or constant fills it" in line


# ---- HubSpot: one test per problem --------------------------------------------------------------

def _hubspot_errors(lines: list[str]) -> list[str]:
    return [line for line in lines if HUBSPOT_BASELINE_WARNING not in line]


def test_hubspot_missing_property(hubspot_site: Callable[[PortalSchema], Site],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.remove_property("companies", "prm_partner_since")
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert _hubspot_errors(lines) == [
        site.at("joined_on:", "entities.partner.fields.joined_on.crm", "error")
        + "companies has no field prm_partner_since in the CRM; create it, fix the name, or remove the field "
          "from the mapping"]


def test_hubspot_type_mismatch(hubspot_site: Callable[[PortalSchema], Site],
                               capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.object_types["companies"].add(PropertyDef("prm_partner_since", STRING, "Partner since"))  # text now
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = _hubspot_errors(lines)
    assert line.startswith(site.at("joined_on:", "entities.partner.fields.joined_on.type", "error"))
    assert "companies.prm_partner_since is a string field (string) but the mapping reads and writes it as date" in line


def test_hubspot_enumeration_drift_both_ways_is_a_warning(hubspot_site: Callable[[PortalSchema], Site],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.set_options("companies", "prm_partner_tier", ["platinum", "gold", "silver", "diamond"])
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 0
    prefix = site.at("tier:", "entities.partner.fields.tier.crm", "warning")
    assert _hubspot_errors(lines) == [
        prefix + "companies.prm_partner_tier offers 'diamond', which the PRM's tier values (no values map) "
                 "lacks: pulled records holding them are quarantined; add them to values",
        prefix + "the PRM's tier values (no values map) has 'registered', which companies.prm_partner_tier "
                 "does not offer: pushing them would be refused",
    ]


def test_hubspot_crm_key_not_unique(hubspot_site: Callable[[PortalSchema], Site],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.object_types["companies"].properties["prm_id"].has_unique_value = False
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = _hubspot_errors(lines)
    assert line.startswith(site.at("crm_key:", "entities.partner.crm_key", "error"))
    assert "companies.prm_id is not an external id / unique property" in line


def test_hubspot_pushed_property_read_only(hubspot_site: Callable[[PortalSchema], Site],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.object_types["companies"].properties["prm_territories"].read_only = True
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert _hubspot_errors(lines) == [
        site.at("territories:", "entities.partner.fields.territories.crm", "error")
        + "companies.prm_territories is read-only in the CRM, but prm-sync pushes it; make the field "
          "direction: pull"]


def test_hubspot_required_property_of_a_custom_object_unfilled(
        hubspot_site: Callable[[PortalSchema], Site], capsys: pytest.CaptureFixture[str]) -> None:
    """A custom object's schema lists requiredProperties; the connector's describe reports them."""
    schema = default_portal_schema()
    commissions = schema.object_types["partner_commissions"]
    commissions.add(PropertyDef("invoice_number", STRING, "Invoice number"))
    commissions.primary_display_property = "invoice_number"    # the emulator's requiredProperties
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = _hubspot_errors(lines)
    assert line.startswith(site.at("fields:", "entities.commission.fields", "error", after="  commission:"))
    assert "partner_commissions.invoice_number (Invoice number) is required on create" in line


# ---- output as JSON -------------------------------------------------------------------------------

def test_json_format_lists_findings_with_file_line_and_severity(
        salesforce_site: Callable[[Schema], Site], capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.remove_field("Account", "Partner_Since__c")
    schema.set_picklist("Opportunity", "Type", ["New Business", "Existing Customer - Upgrade"])
    site = salesforce_site(schema)
    code = run(["--config", str(site.config), "check", "--online", "--format", "json"])
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 2
    assert (body["ok"], body["errors"], body["warnings"]) == (False, 1, 1)
    missing, drift = body["findings"]
    assert missing == {
        "severity": "error", "kind": "missing_field", "entity": "partner", "file": "mappings/salesforce.yaml",
        "line": site.line("joined_on:"), "path": "entities.partner.fields.joined_on.crm",
        "message": "Account has no field Partner_Since__c in the CRM; create it, fix the name, or remove the "
                   "field from the mapping"}
    assert (drift["severity"], drift["kind"], drift["line"], drift["path"]) == (
        "warning", "picklist_drift", site.line("deal_type:"), "entities.deal.fields.deal_type.values")


def test_json_format_reports_offline_mapping_errors_too(
        salesforce_site: Callable[[Schema], Site], capsys: pytest.CaptureFixture[str]) -> None:
    site = salesforce_site(default_schema())
    mapping = site.config.parent / site.mapping_file
    mapping.write_text(site.mapping_text.replace("{crm: Territories__c}", "{crm: Territories__c, colour: red}"))
    code = run(["--config", str(site.config), "check", "--online", "--format", "json"])
    body = json.loads(capsys.readouterr().out)
    assert code == 2 and body["ok"] is False
    assert [(f["line"], f["path"]) for f in body["findings"]] == [
        (site.line("territories:"), "entities.partner.fields.territories.colour")]


# ---- lookups, filters, constants, objects, names -------------------------------------------------

def test_salesforce_lookup_to_the_wrong_object(salesforce_site: Callable[[Schema], Site],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.set_flags("Lead", "Partner_Account__c", reference_to=["Contact"])
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert lines == [site.at("partner_id:", "entities.lead.references.partner_id.crm", "error", after="  lead:")
                     + "Lead.Partner_Account__c refers to Contact, not to Account (the partner object)"]


def test_salesforce_missing_object_and_a_misspelt_field(salesforce_site: Callable[[Schema], Site],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    del schema.objects["Partner_Commission__c"]
    site = salesforce_site(schema)
    mapping = site.config.parent / site.mapping_file
    mapping.write_text(site.mapping_text.replace("{crm: Channel_Manager_Email__c}", "{crm: channel_manager_emial__c}"))
    code, lines = check(capsys, site)
    assert code == 2
    misspelt, missing_object = lines
    assert misspelt.startswith(site.at("channel_manager:", "entities.partner.fields.channel_manager.crm", "error"))
    assert "(did you mean Channel_Manager_Email__c?)" in misspelt
    assert missing_object.startswith(site.at("object: Partner_Commission__c", "entities.commission.object", "error"))
    assert "cannot describe Partner_Commission__c in the CRM" in missing_object


def test_salesforce_field_names_are_case_insensitive(salesforce_site: Callable[[Schema], Site],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    site = salesforce_site(default_schema())
    mapping = site.config.parent / site.mapping_file
    mapping.write_text(site.mapping_text.replace("{crm: Territories__c}", "{crm: territories__C}"))
    assert check(capsys, site) == (0, [])


def test_hubspot_filter_and_constant_property_missing(hubspot_site: Callable[[PortalSchema], Site],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_portal_schema()
    schema.remove_property("companies", "prm_is_partner")
    site = hubspot_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    filtered, constant = _hubspot_errors(lines)
    assert filtered.startswith(site.at("property: prm_is_partner", "entities.partner.filter[0].property", "error"))
    assert constant.startswith(site.at("constants:", "entities.partner.constants.prm_is_partner", "error"))
    assert "companies has no field prm_is_partner in the CRM" in constant


def test_salesforce_country_codes_need_state_and_country_picklists(salesforce_site: Callable[[Schema], Site],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    schema = default_schema()
    schema.remove_field("Account", "BillingCountryCode")  # an org without State and Country Picklists
    site = salesforce_site(schema)
    code, lines = check(capsys, site)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(site.at("country:", "entities.partner.fields.country.crm", "error"))
    assert "State and Country/Territory Picklists" in lines[0] and "BillingCountry" in lines[0]


def test_salesforce_compound_address_field_names_its_parts(salesforce_site: Callable[[Schema], Site],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """BillingAddress is a compound field: REST gives a structure, Bulk API queries refuse it, and it
    cannot be written. Mapped even as pull-only, it is an error that names the parts to map."""
    site = salesforce_site(default_schema())
    mapping = site.config.parent / site.mapping_file
    site.mapping_text = site.mapping_text.replace("{crm: BillingCountryCode}",
                                                  "{crm: BillingAddress, direction: pull}")
    mapping.write_text(site.mapping_text, encoding="utf-8")
    code, lines = check(capsys, site)
    assert code == 2
    assert lines == [site.at("country:", "entities.partner.fields.country.crm", "error")
                     + "Account.BillingAddress is a compound field (address): the CRM gives it as a structure of "
                       "several values and cannot write it; map one of its parts instead: "
                       "BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, "
                       "BillingCountryCode"]


def test_hubspot_property_names_are_case_sensitive(hubspot_site: Callable[[PortalSchema], Site],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """HubSpot's internal names are case-sensitive (a search or batch naming `Prm_Partner_Since` finds
    nothing), unlike Salesforce's: a mapping spelled otherwise is a missing property, with the hint."""
    site = hubspot_site(default_portal_schema())
    mapping = site.config.parent / site.mapping_file
    site.mapping_text = site.mapping_text.replace("{crm: prm_partner_since", "{crm: Prm_Partner_Since", 1)
    mapping.write_text(site.mapping_text, encoding="utf-8")
    code, lines = check(capsys, site)
    assert code == 2
    (line,) = _hubspot_errors(lines)
    assert line.startswith(site.at("joined_on:", "entities.partner.fields.joined_on.crm", "error"))
    assert "companies has no field Prm_Partner_Since in the CRM (did you mean prm_partner_since?)" in line
