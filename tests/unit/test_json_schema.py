"""The JSON Schemas for editors: generated from the models, committed current, and they agree with
the files we ship (what a YAML language server would say while the admin types)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from prm_sync.services.schemas import (
    CONFIG_SCHEMA_FILE,
    MAPPING_SCHEMA_FILE,
    config_schema,
    mapping_schema,
    schema_text,
    with_modeline,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MAPPINGS = [ROOT / "mappings" / "salesforce.yaml", ROOT / "mappings" / "hubspot.yaml",
                    ROOT / "mappings" / "hubspot-professional.yaml"]
EXAMPLE_CONFIG = ROOT / "config.example.yaml"


def as_json(value: Any) -> Any:
    """YAML data as a YAML language server validates it: keys are text, timestamps are text."""
    if isinstance(value, dict):
        return {str(k).lower() if isinstance(k, bool) else str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(path: Path) -> Any:
    return as_json(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize(("name", "build"), [
    (MAPPING_SCHEMA_FILE, mapping_schema), (CONFIG_SCHEMA_FILE, config_schema)])
def test_committed_schema_is_what_the_models_generate(name: str, build: Any) -> None:
    committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
    assert committed == schema_text(build()), f"schemas/{name} is stale: run `make schemas` and commit it"


def test_generated_schemas_are_valid_json_schemas() -> None:
    for schema in (mapping_schema(), config_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SHIPPED_MAPPINGS, ids=lambda p: p.name)
def test_shipped_mapping_validates(path: Path) -> None:
    assert errors(mapping_schema(), load(path)) == []


def test_example_config_validates() -> None:
    assert errors(config_schema(), load(EXAMPLE_CONFIG)) == []


def test_config_schema_leaves_out_what_the_loader_fills_in() -> None:
    properties = config_schema()["properties"]
    assert {"crm", "mappings", "store", "sync"} <= set(properties)
    assert not {"source", "base_dir", "secrets"} & set(properties)


@pytest.mark.parametrize(("edit", "where"), [
    (lambda m: m["entities"]["partner"]["fields"]["tier"].update(colour="red"), "entities.partner.fields.tier"),
    (lambda m: m["entities"]["partner"].update(objet="Account"), "entities.partner"),
    (lambda m: m.update(entitees={}), ""),
    (lambda m: m["entities"].update(partners=m["entities"]["partner"]), "entities"),
])
def test_mapping_schema_rejects_an_unknown_key(edit: Any, where: str) -> None:
    mapping = load(SHIPPED_MAPPINGS[0])
    edit(mapping)
    found = errors(mapping_schema(), mapping)
    assert len(found) == 1 and found[0].startswith(f"{where}: "), found


def test_mapping_schema_rejects_a_bad_value() -> None:
    mapping = load(SHIPPED_MAPPINGS[1])
    mapping["entities"]["deal"]["direction"] = "sideways"
    assert errors(mapping_schema(), mapping) == [
        "entities.deal.direction: 'sideways' is not one of ['pull', 'push', 'both']"]


def test_config_schema_rejects_an_unknown_key() -> None:
    config = load(EXAMPLE_CONFIG)
    config["sync"]["lookback"] = 300
    found = errors(config_schema(), config)
    assert len(found) == 1 and found[0].startswith("sync: ") and "'lookback'" in found[0], found


def test_config_schema_refuses_a_float_amount_as_the_loader_does() -> None:
    config = load(EXAMPLE_CONFIG)
    config["commissions"]["plans"][0]["caps"]["per_deal"] = 20000.5
    assert len(errors(config_schema(), config)) == 1


@pytest.mark.parametrize("path", [*SHIPPED_MAPPINGS, EXAMPLE_CONFIG], ids=lambda p: p.name)
def test_shipped_files_name_their_schema_on_the_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    target = (path.parent / first.removeprefix(prefix)).resolve()  # relative to the YAML file
    expected = CONFIG_SCHEMA_FILE if path == EXAMPLE_CONFIG else MAPPING_SCHEMA_FILE
    assert target == ROOT / "schemas" / expected
    assert json.loads(target.read_text(encoding="utf-8"))["$schema"].startswith("https://json-schema.org/")


def test_with_modeline_replaces_an_existing_one() -> None:
    text = "# yaml-language-server: $schema=old.json\nversion: 1\n"
    assert with_modeline(text, "new.json") == "# yaml-language-server: $schema=new.json\nversion: 1\n"
    assert with_modeline("version: 1\n", "a.json") == "# yaml-language-server: $schema=a.json\nversion: 1\n"


def test_mapping_schema_describes_a_list_filter_with_the_crm_packages_filter_model() -> None:
    """The core's mapping model knows no CRM's filter; the schema takes the installed CRMs'
    filter models (CrmPlugin.filter_model), so an editor still flags a bad HubSpot operator."""
    schema = mapping_schema()
    listed = next(o for o in schema["$defs"]["EntitySpec"]["properties"]["filter"]["anyOf"] if o.get("type") == "array")
    assert listed["items"] == {"$ref": "#/$defs/HubSpotFilter"}
    assert "HAS_PROPERTY" in schema["$defs"]["HubSpotFilter"]["properties"]["operator"]["enum"]
    mapping = load(SHIPPED_MAPPINGS[1])
    mapping["entities"]["partner"]["filter"][0]["operator"] = "LIKE"
    found = errors(schema, mapping)
    assert len(found) == 1 and found[0].startswith("entities.partner.filter: ") and "'LIKE'" in found[0], found
    mapping["entities"]["partner"]["filter"][0]["operator"] = "NEQ"
    assert errors(schema, mapping) == []
