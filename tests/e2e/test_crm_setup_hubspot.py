"""`prm-sync crm setup` against a HubSpot emulator started EMPTY (no prm group, no prm_* property,
no partner_registrations pipeline, no partner_commissions custom object), through the real SDK.

Covers issue 16's HubSpot "done when" lines: the dry run lists every missing item and writes
nothing; setup creates it in a known number of calls (one batch property create per object);
`check --online` then passes; a two-way sync of every entity works; a second setup plans nothing
and writes nothing; a failure part way names what was and was not created and a rerun finishes;
a property of the wrong type stops everything at the mapping's FILE:LINE; ids HubSpot chose are
written into the mapping (and ids it honoured leave it as it is); below Enterprise the custom
object is refused with HubSpot's error and the professional mapping is offered, whose setup and
sync pass.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.emulator_kit.faults import Fault
from connectors.hubspot.emulator import HubSpotEmulator
from connectors.hubspot.emulator.schema import STRING, PropertyDef, empty_portal_schema
from prm_sync.cli.main import run
from prm_sync.store import CommissionLine, Partner, PartnerContact, Registration, open_store

TOKEN = "pat-crm-setup-7c1e"
#: write calls of a full setup of the shipped mapping on an empty Enterprise portal: 3 property
#: groups (companies, contacts, deals), 3 batch property creates (one per object), 3 custom object
#: schemas (commissions, fund requests, fund claims; properties and associations included), 1 pipeline
FULL_SETUP_WRITES = 10
#: the same for mappings/hubspot-professional.yaml: 3 groups, 3 batch creates, 2 pipelines
PROFESSIONAL_SETUP_WRITES = 8
#: what an empty portal lacks for the shipped mapping, by kind
EVERY_ENTITY = ("--entity", "partner", "--entity", "partner_contact", "--entity", "lead", "--entity", "deal",
                "--entity", "commission")
SHIPPED_PLAN = {"group": 3, "field": 45, "object": 3, "association": 4, "pipeline": 1, "stage": 7}


@dataclass
class Site:
    emulator: HubSpotEmulator
    directory: Path

    @property
    def mapping(self) -> Path:
        return self.directory / "mappings" / "hubspot.yaml"

    def cli(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = run(["--config", str(self.directory / "config.yaml"), *args])
        out, err = capsys.readouterr()
        return code, out, err

    def metadata(self) -> str:
        return json.dumps(self.emulator.schema.metadata(), sort_keys=True)


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *,
          tier: str = "enterprise", honour: bool = False) -> Iterator[Site]:
    emulator = HubSpotEmulator(token=TOKEN, schema=empty_portal_schema(tier=tier, honour_requested_ids=honour))
    emulator.start()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_BASE_URL", emulator.base_url)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    try:
        assert run(["-q", "init", "--crm", "hubspot", str(tmp_path)]) == 0
        capsys.readouterr()
        emulator.reset_counters()
        yield Site(emulator, tmp_path)
    finally:
        emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Site]:
    yield from _site(tmp_path, monkeypatch, capsys)


def test_dry_run_lists_every_missing_item_and_writes_nothing(site: Site, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    before = (site.metadata(), json.dumps(site.emulator.dump(), sort_keys=True), site.mapping.read_text())
    code, out, err = site.cli(capsys, "crm", "setup", "--dry-run", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    kinds: dict[str, int] = {}
    for item in plan["plan"]:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    assert kinds == SHIPPED_PLAN
    targets = {item["target"]: item for item in plan["plan"]}
    assert targets["companies.prm_id"]["detail"] == "string (text), unique values"
    assert targets["companies.prm_partner_tier"]["detail"].startswith("enumeration (select): ")
    assert targets["companies.prm_is_partner"]["detail"] == "bool (booleancheckbox)"
    assert targets["companies.prm_partner_since"]["detail"] == "date (date)"
    assert targets["companies.prm_partner_status"]["detail"] == (
        "enumeration (select): prospect, onboarding, active, suspended, terminated")
    assert targets["deals.prm_product_line"]["detail"] == "string (text)"   # the mapping names no values
    assert targets["partner_commissions.amount"]["detail"] == "number (number)"
    assert "deals pipeline 'Partner registrations' / Submitted" in targets
    # each item points at the mapping line that needs it
    line = next(i for i, text in enumerate(site.mapping.read_text().splitlines(), 1) if "prm_partner_tier" in text)
    assert targets["companies.prm_partner_tier"]["mapping_line"] == f"mappings/hubspot.yaml:{line}"
    # without --dry-run and without a terminal, --yes is needed: exit 2, nothing written
    code, _out, err = site.cli(capsys, "crm", "setup")
    assert code == 2
    assert "crm setup would create 63 item(s) in the CRM: add --yes to go ahead" in err
    assert site.emulator.write_calls() == 0
    after = (site.metadata(), json.dumps(site.emulator.dump(), sort_keys=True), site.mapping.read_text())
    assert after == before


def test_setup_creates_everything_then_check_passes_and_a_rerun_writes_nothing(
        site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 0, out + err
    assert site.emulator.write_calls() == FULL_SETUP_WRITES
    assert site.emulator.calls("POST /crm/v3/properties/companies/batch/create") == 1
    assert site.emulator.calls("POST /crm/v3/properties/deals/batch/create") == 1
    assert site.emulator.calls("POST /crm/v3/properties/contacts/batch/create") == 1
    assert "verified: the CRM now has everything" in out
    assert "created 63 item(s) with 10 write call(s)" in out
    # HubSpot (/crm/v3) chose the pipeline and stage ids: they are in the mapping now, said so there
    (pipeline,) = [p for p in site.emulator.schema.pipelines["deals"] if p["label"] == "Partner registrations"]
    text = site.mapping.read_text()
    assert f'constants: {{pipeline: "{pipeline["id"]}"}}' in text
    assert not [line for line in text.splitlines() if "partner_registrations" in line.split("#")[0]]
    assert "# prm-sync crm setup: ids HubSpot chose:" in text
    stage_ids = {s["label"]: s["id"] for s in pipeline["stages"]}
    assert f'"{stage_ids["Submitted"]}": submitted' in text
    prop = site.emulator.schema.object_types["companies"].properties["prm_id"]
    assert (prop.has_unique_value, prop.group_name) == (True, "prm")

    code, out, err = site.cli(capsys, "check", "--online")
    assert code == 0, out + err
    assert "against the CRM: ok: 0 error(s)" in out

    site.emulator.reset_counters()
    before = site.metadata()
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert (code, site.emulator.write_calls()) == (0, 0), out + err
    assert "nothing to create" in out
    assert site.metadata() == before
    reads = site.emulator.calls()
    assert reads == 11   # properties of 6 objects, schemas (4), pipelines; nothing to create: no groups read

    # the shipped mapping again (e.g. `init --force`): the pipeline is found by its label, and the ids
    # HubSpot chose go into the mapping again, without any write call
    shipped = (Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml").read_text()
    site.mapping.write_text(shipped)
    site.emulator.reset_counters()
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert (code, site.emulator.write_calls()) == (0, 0), out + err
    assert site.mapping.read_text() == text


def two_way_sync(site: Site, capsys: pytest.CaptureFixture[str]) -> tuple[str, int]:
    """Sync every entity both ways after setup: a partner, its contact and a registration pushed;
    a CRM partner and a won deal pulled; a commission line on that deal pushed. Returns the PRM
    partner id and the won deal's HubSpot id."""
    store_url = f"sqlite:///{site.directory / 'prm.db'}"
    with open_store(store_url) as store, store.session(write=True) as s:
        partner = Partner(name="Công ty Đông Á", tier="gold", status="active")
        s.add(partner)
        s.flush()
        partner_id = partner.id
        s.add(PartnerContact(partner_id=partner_id, first_name="Jürgen", last_name="Müller", email="jm@dong-a.example",
                             role="primary", language="de"))
        s.add(Registration(partner_id=partner_id, company="Globex Ltd", status="submitted", contact_last_name="Ng",
                           currency="USD"))
    code, out, err = site.cli(capsys, "sync", "--format", "json", *EVERY_ENTITY)
    assert code == 0, out + err
    emu = site.emulator
    companies = emu.schema.object_types["companies"]
    deals = emu.schema.object_types["deals"]
    contacts = emu.schema.object_types["contacts"]
    (pipeline,) = [p for p in emu.schema.pipelines["deals"] if p["label"] == "Partner registrations"]
    with emu.lock:
        (company,) = [r for r in emu.store.table(companies).records.values()
                      if r.properties.get("prm_id") == partner_id]
        (lead,) = [r for r in emu.store.table(deals).records.values()
                   if r.properties.get("prm_customer_company") == "Globex Ltd"]
        (contact,) = emu.store.table(contacts).records.values()
        assert company.properties["prm_partner_tier"] == "gold"
        assert contact.properties["lastname"] == "Müller"
        assert lead.properties["pipeline"] == pipeline["id"]
        assert lead.properties["dealstage"] == pipeline["stages"][0]["id"]
        # the CRM side: a partner company and a won deal of the default pipeline, linked to our partner
        now = emu.now_ms()
        emu.store.create(companies, {"name": "Müller & Söhne GmbH", "prm_is_partner": "true",
                                     "prm_partner_tier": "silver"}, now)
        won = emu.store.create(deals, {"dealname": "Globex platform", "amount": "50000", "pipeline": "default",
                                       "dealstage": "closedwon", "deal_currency_code": "USD"}, now)
        emu.associations.link("deals", won.id, "companies", company.id,
                              emu.associations.default_type("deals", "companies"))  # type: ignore[arg-type]
    code, out, err = site.cli(capsys, "sync", "--format", "json", *EVERY_ENTITY)
    assert code == 0, out + err
    with open_store(store_url) as store, store.session(write=True) as s:
        from sqlmodel import select

        from prm_sync.store import Deal

        (deal,) = s.exec(select(Deal)).all()
        assert (deal.is_won, deal.partner_id) == (True, partner_id)
        assert {p.name for p in s.exec(select(Partner)).all()} == {"Công ty Đông Á", "Müller & Söhne GmbH"}
        s.add(CommissionLine(deal_id=deal.id, partner_id=partner_id, amount=Decimal("4000.00"), currency="USD",
                             status="approved", period="2026-Q3", plan="standard-2026", explanation="8% of 50,000.00",
                             calculated_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)))
    code, out, err = site.cli(capsys, "sync", "--format", "json", *EVERY_ENTITY)
    assert code == 0, out + err
    assert json.loads(out)["counts"]["commission"]["crm"] == {"create": 1}, out
    return partner_id, won.id


def test_a_full_two_way_sync_of_every_entity_after_setup(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert site.cli(capsys, "-q", "crm", "setup", "--yes")[0] == 0
    _partner_id, won_id = two_way_sync(site, capsys)
    emu = site.emulator
    commissions = emu.schema.object_types["partner_commissions"]
    with emu.lock:
        (line,) = emu.store.table(commissions).records.values()
        assert (Decimal(line.properties["amount"]), line.properties["status"]) == (Decimal("4000"), "approved")
        assert emu.associations.targets("partner_commissions", line.id, "deals") == {
            won_id: {emu.associations.default_type("partner_commissions", "deals").type_id}}  # type: ignore[union-attr]
    # the fund objects setup created take a fund request (MDF) pushed from the PRM
    assert site.cli(capsys, "funds", "budget", "set", "--period", "2026-Q4", "--currency", "USD",
                    "--total", "10000")[0] == 0
    assert site.cli(capsys, "funds", "request", "add", "--partner", _partner_id, "--amount", "500", "--period",
                    "2026-Q4", "--activity", "webinar", "--description", "Partner webinar")[0] == 0
    code, out, err = site.cli(capsys, "sync", "--format", "json", "--entity", "fund_request", "--entity", "fund_claim")
    assert code == 0, out + err
    with emu.lock:
        (request,) = emu.store.table(emu.schema.object_types["partner_fund_requests"]).records.values()
        assert Decimal(request.properties["prm_requested_amount"]) == Decimal("500")


def test_ids_hubspot_honours_leave_the_mapping_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    for site in _site(tmp_path, monkeypatch, capsys, honour=True):
        shipped = site.mapping.read_text()
        code, out, err = site.cli(capsys, "crm", "setup", "--yes")
        assert code == 0, out + err
        assert site.mapping.read_text() == shipped
        assert "mapping updated" not in out
        (pipeline,) = [p for p in site.emulator.schema.pipelines["deals"] if p["label"] == "Partner registrations"]
        assert pipeline["id"] == "partner_registrations"
        assert pipeline["stages"][0]["id"] == "registration_submitted"
        assert site.cli(capsys, "check", "--online")[0] == 0


def test_a_property_of_another_type_stops_setup_at_the_mapping_line(site: Site, capsys: pytest.CaptureFixture[str]
                                                                    ) -> None:
    site.emulator.schema.object_types["companies"].add(PropertyDef("prm_partner_since", STRING, "Partner since",
                                                                   group_name="companyinformation"))
    before = site.metadata()
    code, _out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 2
    line = next(i for i, text in enumerate(site.mapping.read_text().splitlines(), 1) if "prm_partner_since" in text)
    assert f"mappings/hubspot.yaml:{line}: entities.partner.fields.joined_on.crm: companies.prm_partner_since " \
           "exists in the CRM as string (text), but the mapping needs date (date)" in err
    assert "nothing was created" in err
    assert "Traceback" not in err
    assert site.emulator.write_calls() == 0
    assert site.metadata() == before


def test_a_setup_failing_part_way_says_what_was_created_and_a_rerun_finishes(
        site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    # the token lacks the scope to write deal properties: HubSpot's 403 MISSING_SCOPES on that batch
    site.emulator.inject(Fault(path="/crm/v3/properties/deals/batch/create", method="POST", status=403))
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 1
    assert "failed to create field deals.prm_customer_company: HTTP 403 MISSING_SCOPES" in err
    created = next(line for line in err.splitlines() if line.startswith("  created: "))
    assert "field companies.prm_id" in created and "group deals.prm" in created
    not_attempted = next(line for line in err.splitlines() if line.startswith("  not attempted: "))
    assert "object partner_commissions" in not_attempted and "pipeline deals pipeline" in not_attempted
    assert "rerun `prm-sync crm setup` to finish" in err
    assert TOKEN not in out + err
    assert "prm_customer_company" not in site.emulator.schema.object_types["deals"].properties
    writes = site.emulator.write_calls()
    assert writes == 6   # 3 groups, companies' and contacts' batches, the refused deals batch

    site.emulator.reset_counters()
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 0, out + err
    assert site.emulator.write_calls() == 5   # the deals batch, the 3 custom objects, the pipeline
    assert site.cli(capsys, "check", "--online")[0] == 0


def test_one_refused_property_of_a_batch_is_named_and_the_rerun_creates_it(
        site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    # someone creates prm_territories between our plan and our batch: HubSpot refuses that one input (207)
    def meanwhile() -> None:
        site.emulator.schema.object_types["companies"].add(PropertyDef("prm_territories", STRING, "Territories"))

    site.emulator.inject(Fault(path="/crm/v3/properties/companies/batch/create", on_hit=meanwhile))
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 1
    assert "failed to create field companies.prm_territories: HubSpot refused 1 of 9 properties: " \
           "A property named 'prm_territories' already exists on companies" in err
    assert "companies.prm_id" in out   # created in the same batch
    code, out, err = site.cli(capsys, "crm", "setup", "--yes")
    assert code == 0, out + err


def test_below_enterprise_the_custom_object_is_refused_and_the_professional_mapping_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for site in _site(tmp_path, monkeypatch, capsys, tier="professional"):
        code, out, err = site.cli(capsys, "crm", "setup", "--dry-run")
        assert code == 2
        assert "custom object partner_commissions: the CRM refuses it: HTTP 403 MISSING_SCOPES: This app hasn't " \
               "been granted all required scopes" in err
        assert "(required scopes: crm.schemas.custom.read)" in err
        assert "mappings/hubspot-professional.yaml" in err
        assert site.emulator.write_calls() == 0
        # check --online says the portal lacks the feature, not that the token was refused
        code, out, err = site.cli(capsys, "check", "--online")
        assert code == 3
        assert "HTTP 403 MISSING_SCOPES" in err and "subscription lacks the feature" in err
        assert "refused the access token" not in err
        # the advice: the professional mapping, which `init` wrote next to the shipped one
        professional = site.directory / "mappings" / "hubspot-professional.yaml"
        assert professional.is_file()
        config = site.directory / "config.yaml"
        config.write_text(config.read_text().replace("mappings/hubspot.yaml", "mappings/hubspot-professional.yaml"))
        code, out, err = site.cli(capsys, "crm", "setup", "--yes")
        assert code == 0, out + err
        assert site.emulator.write_calls() == PROFESSIONAL_SETUP_WRITES
        assert site.cli(capsys, "check", "--online")[0] == 0
        two_way_sync(site, capsys)
        emu = site.emulator
        (pipeline,) = [p for p in emu.schema.pipelines["deals"] if p["label"] == "Partner commissions"]
        approved = next(stage["id"] for stage in pipeline["stages"] if stage["label"] == "Approved")
        with emu.lock:
            (line,) = [r for r in emu.store.table(emu.schema.object_types["deals"]).records.values()
                       if r.properties.get("pipeline") == pipeline["id"]]
        assert (Decimal(line.properties["prm_commission_amount"]), line.properties["dealstage"]) == (
            Decimal("4000"), approved)
        assert line.properties["dealname"] == "8% of 50,000.00"
        assert "amount" not in line.properties   # commissions stay out of revenue reports


def test_init_online_keep_missing_on_an_empty_portal_leaves_it_all_to_crm_setup(
        site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = site.cli(capsys, "init", "--crm", "hubspot", "--online", "--keep-missing", "--force",
                              str(site.directory))
    assert code == 0, out + err
    assert ("the org lacks 18 mapped field(s) and the object(s) partner_fund_requests, partner_fund_claims, "
            "partner_commissions, kept in") in out
    assert "create them (and whatever else the mapping needs) with `prm-sync crm setup`" in out
    assert "has no field" not in out.split("crm setup`", 1)[1]   # not repeated as things "still to look at"
    assert site.emulator.write_calls() == 0
