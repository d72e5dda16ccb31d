"""`prm-sync mappings schema|show` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    monkeypatch.setenv("SF_INSTANCE_URL", "https://example.my.salesforce.com")
    monkeypatch.setenv("SF_SESSION_ID", "00Dsecret")
    assert run(["init", "--crm", "salesforce", "site"]) == 0
    capsys.readouterr()
    return tmp_path / "site" / "config.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("args", "committed"), [
    ((), "mapping.schema.json"), (("--config-schema",), "config.schema.json")])
def test_schema_prints_the_committed_schema(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: tuple[str, ...], committed: str) -> None:
    monkeypatch.chdir(tmp_path)    # no config.yaml here: printing a schema needs none
    code, out, err = cli(capsys, "mappings", "schema", *args)
    assert code == 0, err
    assert out == (ROOT / "schemas" / committed).read_text(encoding="utf-8")
    assert json.loads(out)["additionalProperties"] is False


def test_init_writes_the_same_schemas(site: Path) -> None:
    for name in ("mapping.schema.json", "config.schema.json"):
        assert (site.parent / "schemas" / name).read_text() == (ROOT / "schemas" / name).read_text()


def test_show_one_entity_after_defaults(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--config", str(site), "mappings", "show", "partner", "--format", "json")
    assert code == 0, err
    rows = {row["prm_field"]: row for row in json.loads(out)}
    assert "entity" not in rows["name"]
    assert rows["tier"] == {
        "prm_field": "tier", "crm_field": "Partner_Tier__c", "direction": "both", "type": "string",
        "values": "Platinum=platinum, Gold=gold, Silver=silver, Registered=registered", "default": None,
        "required": ""}
    assert (rows["status"]["default"], rows["country"]["direction"]) == ("active", "both")   # own / entity's
    assert (rows["joined_on"]["type"], rows["name"]["required"]) == ("date", "yes")
    assert rows["(constant)"] == {
        "prm_field": "(constant)", "crm_field": "Type", "direction": "push", "type": "", "values": "Partner",
        "default": None, "required": ""}
    assert (rows["(prm id)"]["crm_field"], rows["(prm id)"]["direction"]) == ("PRM_Id__c", "upsert key")


def test_show_all_entities_lists_references_and_entity_directions(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--config", str(site), "mappings", "show", "--format", "csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "entity,prm_field,crm_field,direction,type,values,default,required"
    assert "deal,amount,Amount,pull,decimal,,," in lines                 # the entity is pull-only
    rows = list(csv.reader(lines))
    assert ["commission", "status", "Status__c", "both", "string",        # its own direction
            "Calculated=calculated, Approved=approved, Paid=paid, Clawback=clawback", "", ""] in rows
    assert "commission,deal_id,Opportunity__c,push,reference to deal,,," in lines
    assert {line.split(",")[0] for line in lines[1:]} == {
        "partner", "partner_contact", "fund_request", "fund_claim", "lead", "deal", "commission"}


def test_show_table_and_an_unmapped_entity(site: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table fits the terminal: a wide one shows every CRM name whole
    code, out, _ = cli(capsys, "--config", str(site), "mappings", "show", "lead")
    assert code == 0 and "Registration_Status__c" in out
    mapping = site.parent / "mappings" / "salesforce.yaml"
    text = mapping.read_text()
    mapping.write_text(text[:text.index("  deal:\n")])          # partner and lead only
    code, _, err = cli(capsys, "--config", str(site), "mappings", "show", "commission")
    assert code == 2 and "does not map the entity 'commission'" in err


def test_show_reports_a_broken_mapping_with_its_line(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = site.parent / "mappings" / "salesforce.yaml"
    text = mapping.read_text().replace("{crm: Website}", "{crm: Website, colour: red}", 1)
    mapping.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "colour" in t)
    code, _, err = cli(capsys, "--config", str(site), "mappings", "show")
    assert code == 2
    assert f"mappings/salesforce.yaml:{line}: entities.partner.fields.website.colour:" in err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["mappings", "schema", "--help"], ["mappings", "show", "--help"], ["check", "--help"],
                 ["init", "--help"]):
        code, out, _ = cli(capsys, *args)
        assert code == 0 and "Example" in out and "prm-sync " in out
    assert "--online" in cli(capsys, "check", "--help")[1]
