"""Reads the CRM refuses, or answers with what the mapping cannot take, in a sync.

A mapping that names a Salesforce compound field (Account.BillingAddress):
REST gives the field as one JSON object and Bulk API queries refuse it. Neither may end in a
stored "{'city': ...}": through REST each record is quarantined with the reason, through Bulk
the run stops with Salesforce's refusal and what to do about it. (`check --online` names the
field and its parts before any sync: tests/integration/test_check_online.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world
from tests.e2e.test_sync_bulk_query import set_bulk_query_threshold

ADDRESSES = [{"Name": "Müller & Söhne GmbH", "BillingCity": "München", "BillingCountryCode": "DE"},
             {"Name": "Công ty Đông Á", "BillingStreet": "12 Lê Lợi", "BillingCountryCode": "VN"}]


def _map_country_to_the_address(world: World) -> None:
    world.edit_mapping("{crm: BillingCountryCode}", "{crm: BillingAddress, direction: pull}")
    for values in ADDRESSES:
        world.harness.seed("partner", 1, **values)


def test_through_rest_each_record_is_quarantined_naming_the_structure(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        _map_country_to_the_address(world)
        report = world.sync("--direction", "pull", "--entity", "partner")
        assert world.store_rows("partner") == []
        held = world.open_quarantine()
        assert len(held) == len(ADDRESSES), report
        for entry in held:
            assert "BillingAddress" in entry.reason and "structure of several values" in entry.reason, entry.reason


@pytest.mark.parametrize("refused_at", ["create", "job"])
def test_through_bulk_the_run_stops_with_the_refusal_and_the_way_out(
        refused_at: str, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused at the job's create (400) or by the job (Failed): either way a mapping error."""
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        world.harness.emulator.compound_refused_at = refused_at
        _map_country_to_the_address(world)
        set_bulk_query_threshold(world, 1)
        code, out, err = world.cli("sync", "--direction", "pull")
        assert code == 2   # a mapping problem: editing the mapping mends it, retrying does not
        assert "Traceback" not in out + err
        assert "Selecting compound data not supported in Bulk Query" in err
        assert "mappings/salesforce.yaml:9: entities.partner.object: " in err
        assert "compound" in err and "check --online" in err, err
        assert world.store_rows("partner") == []


@pytest.mark.parametrize(("crm", "old", "new", "said"), [
    # SOQL: a text compared without quotes
    ("salesforce", "filter: \"Type = 'Partner'\"", "filter: \"Type = Partner\"",
     "mappings/salesforce.yaml:9: entities.partner.object: Salesforce refused the query for Account"),
    # HubSpot search: a number property compared with a text
    ("hubspot", '{property: prm_is_partner, operator: EQ, value: "true"}',
     "{property: prm_partner_discount, operator: GT, value: many}",
     "mappings/hubspot.yaml:9: entities.partner.object: HubSpot refused the search for companies"),
    # an object the org / portal does not have (a typo)
    ("salesforce", "object: Account", "object: Acount",
     "mappings/salesforce.yaml:9: entities.partner.object: Salesforce refused the query for Acount"),
    ("hubspot", "object: companies", "object: compnies",
     "mappings/hubspot.yaml:9: entities.partner.object: HubSpot has no object type 'compnies'"),
])
def test_a_read_the_crm_refuses_is_a_mapping_error_at_its_entity(
        crm: str, old: str, new: str, said: str, sqlite_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Any whole-read refusal (400) of a query or search built from the mapping: exit 2, where, the CRM's words."""
    with open_world(crm, sqlite_url, tmp_path, capsys, monkeypatch) as world:
        world.edit_mapping(old, new)
        code, out, err = world.cli("sync", "--direction", "pull")
        assert code == 2
        assert "Traceback" not in out + err and "internal error" not in err
        assert said in err
        assert "compound" not in err


@pytest.mark.parametrize("bulk", [False, True])
def test_an_upsert_key_salesforce_does_not_take_is_a_mapping_error_at_crm_key(
        bulk: bool, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Upserting by a field that is not an External ID: Salesforce refuses the whole request
    (sObject Collections: 404 NOT_FOUND; Bulk API 2.0: the job's create). Was an internal error (exit 70)."""
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        text = world.mapping_path.read_text(encoding="utf-8")
        world.mapping_path.write_text(text.replace("crm_key: PRM_Id__c", "crm_key: Website", 1), encoding="utf-8")
        if bulk:
            config = json.loads(world.config_path.read_text(encoding="utf-8"))
            config["crm"]["salesforce"]["bulk_threshold"] = 1
            world.config_path.write_text(json.dumps(config), encoding="utf-8")
        for i in range(3):
            assert world.cli("partners", "add", f"Nguyễn & Co {i}")[0] == 0
        code, out, err = world.cli("sync", "--direction", "push")
        assert code == 2, err[-500:]
        assert "Traceback" not in out + err and "internal error" not in err
        assert "mappings/salesforce.yaml:11: entities.partner.crm_key: " in err
        assert "Website" in err and "External ID" in err
        assert world.harness.emulator.records("Account") == []


def test_pushing_to_an_object_salesforce_does_not_have_is_a_mapping_error_at_object(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        world.edit_mapping("object: Account", "object: Acount")
        assert world.cli("partners", "add", "Société Générale d'Équipement")[0] == 0
        code, out, err = world.cli("sync", "--direction", "push")
        assert code == 2, err[-500:]
        assert "Traceback" not in out + err
        assert "mappings/salesforce.yaml:9: entities.partner.object: Salesforce has no object Acount" in err
        assert "External ID" not in err
