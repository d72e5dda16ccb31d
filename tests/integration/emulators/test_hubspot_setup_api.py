"""The HubSpot emulator's metadata write endpoints, driven by the real SDK: property groups, batch
property create, deal pipelines and stages, custom object schemas; the tier and id switches; the
admin call that turns the portal into an empty one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.emulators.hs_fixtures import Hub, error_json


@pytest.fixture
def empty(hub: Hub) -> Hub:
    assert hub.raw("POST", "/__admin__/portal", {"empty": True}).status == 200
    return hub


def _call(invoke: Any, *args: Any) -> tuple[int, Any]:
    response = invoke(*args, _preload_content=False)
    return response.status, json.loads(response.data)


def test_an_empty_portal_lacks_everything_prm_sync_needs(empty: Hub) -> None:
    names = {p["name"] for p in json.loads(empty.raw("GET", "/crm/v3/properties/companies").data)["results"]}
    assert "name" in names and not [n for n in names if n.startswith("prm_")]
    groups = json.loads(empty.raw("GET", "/crm/v3/properties/deals/groups").data)["results"]
    assert [g["name"] for g in groups] == ["dealinformation", "info"]
    pipelines = json.loads(empty.raw("GET", "/crm/v3/pipelines/deals").data)["results"]
    assert [p["id"] for p in pipelines] == ["default"]
    assert json.loads(empty.raw("GET", "/crm-object-schemas/v3/schemas").data)["results"] == []


def test_property_group_then_batch_create_and_their_errors(empty: Hub) -> None:
    groups = empty.client.crm.properties.groups_api
    status, group = _call(groups.create_with_http_info, "companies", {"name": "prm", "label": "PRM"})
    assert (status, group["name"]) == (201, "prm")
    with pytest.raises(Exception) as refused:
        groups.create_with_http_info("companies", {"name": "prm", "label": "PRM"}, _preload_content=False)
    assert refused.value.status == 409                                     # type: ignore[attr-defined]
    assert error_json(refused.value)["category"] == "OBJECT_ALREADY_EXISTS"

    batch = empty.client.crm.properties.batch_api
    inputs = [{"name": "prm_id", "label": "PRM id", "type": "string", "fieldType": "text", "groupName": "prm",
               "hasUniqueValue": True},
              {"name": "prm_tier", "label": "Tier", "type": "enumeration", "fieldType": "select", "groupName": "prm",
               "options": [{"label": "Gold", "value": "gold"}]}]
    status, answer = _call(batch.create_with_http_info, "companies", {"inputs": inputs})
    assert status == 201 and answer["status"] == "COMPLETE"
    assert {r["name"] for r in answer["results"]} == {"prm_id", "prm_tier"}
    assert empty.emu.schema.object_types["companies"].properties["prm_id"].has_unique_value

    again = [inputs[0], {"name": "prm_x", "label": "X", "type": "enumeration", "fieldType": "select",
                         "groupName": "prm"},
             {"name": "prm_y", "label": "Y", "type": "number", "fieldType": "number", "groupName": "nope"},
             {"name": "prm_z", "label": "Z", "type": "number", "fieldType": "number", "groupName": "prm"}]
    status, answer = _call(batch.create_with_http_info, "companies", {"inputs": again})
    assert status == 207
    assert [r["name"] for r in answer["results"]] == ["prm_z"]
    messages = [e["message"] for e in answer["errors"]]
    assert messages == ["A property named 'prm_id' already exists on companies",
                        "An enumeration property needs options: prm_x",
                        "Property group nope does not exist on companies"]
    assert answer["errors"][0]["context"] == {"propertyName": ["prm_id"], "inputIndex": ["0"]}


@pytest.mark.parametrize("honour", [False, True])
def test_a_pipeline_keeps_requested_ids_only_when_the_switch_says_so(hub: Hub, honour: bool) -> None:
    assert hub.raw("POST", "/__admin__/portal", {"empty": True, "honour_requested_ids": honour}).status == 200
    body = {"label": "Partner registrations", "displayOrder": 1, "pipelineId": "partner_registrations",
            "stages": [{"label": "Submitted", "displayOrder": 0, "stageId": "registration_submitted",
                        "metadata": {"probability": "0.1"}},
                       {"label": "Won", "displayOrder": 1, "stageId": "registration_won",
                        "metadata": {"probability": "1.0", "isClosed": "true"}}]}
    pipelines = hub.client.crm.pipelines.pipelines_api
    status, created = _call(pipelines.create_with_http_info, "deals", body)
    assert status == 201
    ids = [created["id"], *(s["id"] for s in created["stages"])]
    if honour:
        assert ids == ["partner_registrations", "registration_submitted", "registration_won"]
    else:
        assert all(i.isdigit() for i in ids)
    # the deal properties offer the new pipeline and stages; a deal in the won stage is closed won
    deals = hub.emu.schema.object_types["deals"]
    assert created["id"] in deals.properties["pipeline"].option_values
    deal = hub.o_basic.create("deals", {"properties": {"dealname": "x", "pipeline": created["id"],
                                                       "dealstage": ids[2]}})
    assert (deal.properties["hs_is_closed_won"], deal.properties["hs_is_closed"]) == ("true", "true")

    with pytest.raises(Exception) as refused:
        pipelines.create_with_http_info("deals", {"label": "Other", "stages": [{"label": "A", "metadata": {}}]},
                                        _preload_content=False)
    assert refused.value.status == 400                                     # type: ignore[attr-defined]
    stage_api = hub.client.crm.pipelines.pipeline_stages_api
    status, stage = _call(stage_api.create_with_http_info, "deals", created["id"],
                          {"label": "Lost", "displayOrder": 2, "metadata": {"probability": "0.0", "isClosed": "true"}})
    assert status == 201 and stage["label"] == "Lost"


def test_custom_object_schemas_need_enterprise(hub: Hub) -> None:
    assert hub.raw("POST", "/__admin__/portal", {"empty": True, "tier": "professional"}).status == 200
    with pytest.raises(Exception) as refused:
        hub.schemas.get_all_with_http_info(_preload_content=False)
    body = error_json(refused.value)
    assert refused.value.status == 403                                     # type: ignore[attr-defined]
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"] == {"requiredGranularScopes": ["crm.schemas.custom.read"]}

    assert hub.raw("POST", "/__admin__/portal", {"empty": True}).status == 200
    egg = {"name": "partner_commissions", "labels": {"singular": "Partner commission", "plural": "Partner commissions"},
           "primaryDisplayProperty": "prm_id", "requiredProperties": ["prm_id"],
           "properties": [{"name": "prm_id", "label": "PRM id", "type": "string", "fieldType": "text",
                           "hasUniqueValue": True},
                          {"name": "amount", "label": "Amount", "type": "number", "fieldType": "number"}],
           "associatedObjects": ["DEAL", "COMPANY"]}
    status, schema = _call(hub.schemas.create_with_http_info, egg)
    assert status == 201
    assert schema["objectTypeId"].startswith("2-") and schema["fullyQualifiedName"] == "p12345_partner_commissions"
    assert {a["toObjectTypeId"] for a in schema["associations"]} == {"0-3", "0-2"}
    record = hub.o_basic.create(schema["objectTypeId"], {"properties": {"prm_id": "c-1", "amount": "10.5"}})
    assert record.properties["amount"] == "10.5"
    with pytest.raises(Exception) as refused:
        hub.schemas.create_with_http_info(egg, _preload_content=False)
    assert refused.value.status == 409                                     # type: ignore[attr-defined]
