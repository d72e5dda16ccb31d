"""The metadata write endpoints `crm setup` uses, as HubSpot serves them.

- ``GET|POST /crm/v3/properties/{objectType}/groups``: property groups (409 when the name exists).
- ``POST /crm/v3/properties/{objectType}/batch/create``: properties, all-or-part: 201
  ``{"status": "COMPLETE", "results"}``, or 207 with ``errors`` for the inputs refused (a name
  that exists, an unknown group, an enumeration without options, a unique non-string).
- ``GET|POST /crm/v3/pipelines/{objectType}``: pipelines with their stages; deal stages need
  ``metadata.probability``. /crm/v3's PipelineInput has no id: HubSpot picks numeric ids unless
  ``schema.honour_requested_ids`` (the v1 / date-versioned APIs keep ``pipelineId`` / ``stageId``).
- ``POST /crm-object-schemas/v3/schemas``: a custom object with its properties and
  ``associatedObjects`` (association definitions both ways). Below Enterprise (``schema.tier``) every
  schemas call answers 403 MISSING_SCOPES: such a portal's private app cannot be granted
  crm.schemas.custom.*.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.associations import USER_DEFINED, AssociationType
from connectors.hubspot.emulator.errors import HubSpotError, error_body, standard_error, validation_error
from connectors.hubspot.emulator.schema import (
    BOOL,
    DATE,
    DATETIME,
    ENUMERATION,
    NUMBER,
    STRING,
    ObjectTypeDef,
    PropertyDef,
    _system,
    group_json,
    pipeline_json,
    stage_json,
)

if TYPE_CHECKING:
    from connectors.hubspot.emulator.emulator import HubSpotEmulator

TYPES = (STRING, NUMBER, DATE, DATETIME, ENUMERATION, BOOL)
FIELD_TYPES = {
    STRING: {"text", "textarea", "html", "phonenumber", "file"},
    NUMBER: {"number", "calculation_equation"},
    DATE: {"date"}, DATETIME: {"date"},
    ENUMERATION: {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
    BOOL: {"booleancheckbox", "calculation_equation"},
}
SCOPES_MESSAGE = ("This app hasn't been granted all required scopes to make this call. Read more about "
                  "required scopes here: https://developers.hubspot.com/scopes.")
#: association type names HubSpot accepts in a schema's associatedObjects
_OBJECT_NAMES = {"COMPANY": "companies", "CONTACT": "contacts", "DEAL": "deals", "TICKET": "tickets"}


def _body(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON on line 1, column 1: Cannot build object from empty or "
                               "invalid request body")
    return body


def _now(emu: HubSpotEmulator) -> str:
    return emu.clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def missing_scopes(*scopes: str) -> HubSpotError:
    body = error_body(SCOPES_MESSAGE, "MISSING_SCOPES",
                      errors=[{"message": "One or more of the following scopes are required.",
                               "context": {"requiredGranularScopes": list(scopes)}}])
    body["links"] = {"scopes": "https://developers.hubspot.com/scopes"}
    return HubSpotError(403, body)


def conflict(message: str) -> HubSpotError:
    return HubSpotError(409, error_body(message, "OBJECT_ALREADY_EXISTS"))


# ---- property groups ---------------------------------------------------------------------
def list_groups(emu: HubSpotEmulator, object_type: ObjectTypeDef) -> Response:
    return json_response({"results": emu.schema.groups.setdefault(object_type.name, [])})


def create_group(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef) -> Response:
    body = _body(request)
    name, label = str(body.get("name") or ""), str(body.get("label") or "")
    if not name or not label:
        raise validation_error("Property group name and label are required")
    groups = emu.schema.groups.setdefault(object_type.name, [])
    if any(g["name"] == name for g in groups):
        raise conflict(f"A property group named '{name}' already exists on {object_type.name}")
    group = group_json(name, label, int(body.get("displayOrder", -1)))
    groups.append(group)
    return json_response(group, 201)


# ---- properties ------------------------------------------------------------------------------
def _property_problem(emu: HubSpotEmulator, object_type: ObjectTypeDef, spec: dict[str, Any],
                      names: set[str]) -> str | None:
    name, kind, field_type = spec.get("name"), spec.get("type"), spec.get("fieldType")
    if not name or not spec.get("label") or not kind or not field_type or not spec.get("groupName"):
        return "name, label, type, fieldType and groupName are required"
    if name in object_type.properties or name in names:
        return f"A property named '{name}' already exists on {object_type.name}"
    if kind not in TYPES:
        return f"{kind} is not a valid property type (one of {', '.join(TYPES)})"
    if field_type not in FIELD_TYPES[kind]:
        return f"fieldType {field_type} is not valid for a property of type {kind}"
    if not any(g["name"] == spec["groupName"] for g in emu.schema.groups.get(object_type.name, [])):
        return f"Property group {spec['groupName']} does not exist on {object_type.name}"
    if kind == ENUMERATION and not spec.get("options"):
        return f"An enumeration property needs options: {name}"
    if spec.get("hasUniqueValue") and kind != STRING:
        return f"Only string properties can have unique values: {name}"
    return None


def property_def(spec: dict[str, Any]) -> PropertyDef:
    options = [(str(o.get("label")), str(o.get("value"))) for o in spec.get("options") or []]
    return PropertyDef(str(spec["name"]), str(spec["type"]), str(spec["label"]), field_type=str(spec["fieldType"]),
                       options=options, has_unique_value=bool(spec.get("hasUniqueValue", False)),
                       group_name=str(spec.get("groupName") or "prm"), description=str(spec.get("description") or ""))


def batch_create_properties(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef) -> Response:
    inputs = _body(request).get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise validation_error("inputs must be a non-empty list")
    started = _now(emu)
    results, errors, names = [], [], set()
    for index, spec in enumerate(inputs):
        problem = _property_problem(emu, object_type, spec if isinstance(spec, dict) else {}, names)
        if problem is not None:
            category = "OBJECT_ALREADY_EXISTS" if "already exists" in problem else "VALIDATION_ERROR"
            errors.append(standard_error(problem, category, {"propertyName": [str(spec.get("name"))],
                                                             "inputIndex": [str(index)]}))
            continue
        prop = property_def(spec)
        names.add(prop.name)
        object_type.add(prop)
        results.append(prop.to_json())
    emu.store.table(object_type).refresh_unique()
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": _now(emu)}
    if errors:
        answer |= {"errors": errors, "numErrors": len(errors)}
        return json_response(answer, 207)
    return json_response(answer, 201)


# ---- pipelines -------------------------------------------------------------------------------
def list_pipelines(emu: HubSpotEmulator, object_type: ObjectTypeDef) -> Response:
    return json_response({"results": emu.schema.pipelines.get(object_type.name, [])})


def create_pipeline(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef) -> Response:
    if object_type.name != "deals":
        raise validation_error(f"Pipelines are not supported for {object_type.name} in this emulator")
    body = _body(request)
    label = str(body.get("label") or "")
    stages_in = body.get("stages")
    if not label or not isinstance(stages_in, list) or not stages_in:
        raise validation_error("A pipeline needs a label and at least one stage")
    pipelines = emu.schema.pipelines.setdefault(object_type.name, [])
    if any(p["label"].lower() == label.lower() for p in pipelines):
        raise conflict(f"A pipeline with label '{label}' already exists")
    honour = emu.schema.honour_requested_ids
    taken = {p["id"] for p in pipelines} | {s["id"] for p in pipelines for s in p["stages"]}
    wanted = str(body.get("pipelineId") or "")
    if honour and wanted and wanted in taken:
        raise conflict(f"A pipeline with id '{wanted}' already exists")
    stages, labels = [], set()
    for order, raw in enumerate(stages_in):
        stage_label = str(raw.get("label") or "")
        meta = raw.get("metadata") or {}
        if not stage_label or "probability" not in meta:
            raise validation_error(f"Stage {order}: a deal stage needs a label and metadata.probability")
        if stage_label.lower() in labels:
            raise validation_error(f"Stage labels must be unique within a pipeline: {stage_label}")
        labels.add(stage_label.lower())
        stage_id = str(raw.get("stageId") or "") if honour else ""
        if stage_id and stage_id in taken:
            raise conflict(f"A stage with id '{stage_id}' already exists")
        stage_id = stage_id or emu.schema.new_number()
        taken.add(stage_id)
        closed = str(meta.get("isClosed", "false")).lower() == "true"
        stages.append(stage_json(stage_id, stage_label, int(raw.get("displayOrder", order)),
                                 str(meta["probability"]), closed))
    pipeline = pipeline_json(wanted if honour and wanted else emu.schema.new_number(), label,
                             int(body.get("displayOrder", len(pipelines))), stages)
    pipelines.append(pipeline)
    emu.schema.sync_pipeline_options()
    return json_response(pipeline, 201)


def create_stage(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef, pipeline_id: str) -> Response:
    body = _body(request)
    pipelines = emu.schema.pipelines.get(object_type.name, [])
    pipeline = next((p for p in pipelines if p["id"] == pipeline_id), None)
    if pipeline is None:
        raise HubSpotError(404, error_body(f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND"))
    label = str(body.get("label") or "")
    meta = body.get("metadata") or {}
    if not label or "probability" not in meta:
        raise validation_error("A deal stage needs a label and metadata.probability")
    if any(s["label"].lower() == label.lower() for s in pipeline["stages"]):
        raise conflict(f"A stage with label '{label}' already exists in pipeline {pipeline_id}")
    taken = {s["id"] for p in pipelines for s in p["stages"]}
    wanted = str(body.get("stageId") or "") if emu.schema.honour_requested_ids else ""
    if wanted in taken:
        raise conflict(f"A stage with id '{wanted}' already exists")
    stage = stage_json(wanted or emu.schema.new_number(), label, int(body.get("displayOrder", len(pipeline["stages"]))),
                       str(meta["probability"]), str(meta.get("isClosed", "false")).lower() == "true")
    pipeline["stages"].append(stage)
    emu.schema.sync_pipeline_options()
    return json_response(stage, 201)


# ---- custom object schemas -------------------------------------------------------------------
def guard_tier(emu: HubSpotEmulator, write: bool) -> None:
    if emu.schema.tier != "enterprise":
        raise missing_scopes("crm.schemas.custom.write" if write else "crm.schemas.custom.read")


def create_schema(emu: HubSpotEmulator, request: Request) -> Response:
    from connectors.hubspot.emulator.meta_api import schema_json

    guard_tier(emu, write=True)
    body = _body(request)
    name = str(body.get("name") or "")
    labels = body.get("labels") or {}
    specs = body.get("properties") or []
    primary = str(body.get("primaryDisplayProperty") or "")
    if not name or not labels.get("singular") or not labels.get("plural") or not specs:
        raise validation_error("name, labels (singular, plural) and properties are required")
    if emu.schema.resolve(name) is not None or name in emu.schema.object_types:
        raise conflict(f"Object type with name {name} already exists")
    spec_names = [str(p.get("name")) for p in specs]
    for wanted in [primary, *(body.get("requiredProperties") or [])]:
        if wanted and wanted not in spec_names:
            raise validation_error(f"Property {wanted} is not among the schema's properties")
    targets = []
    for ref in body.get("associatedObjects") or []:
        target = emu.schema.resolve(_OBJECT_NAMES.get(str(ref).upper(), str(ref)))
        if target is None:
            raise validation_error(f"Unknown associated object type {ref}")
        targets.append(target)
    number = emu.schema.new_number()
    object_type = ObjectTypeDef(
        name, f"2-{number}", "hs_lastmodifieddate", [primary or spec_names[0]], custom=True,
        fully_qualified_name=f"p{emu.schema.portal_id}_{name}", singular_label=str(labels["singular"]),
        plural_label=str(labels["plural"]), primary_display_property=primary or spec_names[0])
    object_type.add(*_system("hs_lastmodifieddate"))
    emu.schema.groups[name] = [group_json(f"{name}_information", f"{labels['singular']} information")]
    for spec in specs:
        spec = {"groupName": f"{name}_information", **spec}
        problem = _property_problem(emu, object_type, spec, set())
        if problem is not None:
            raise validation_error(problem)
        object_type.add(property_def(spec))
    emu.schema.add(object_type)
    emu.store.add_type(object_type)
    next_id = max([1000, *(t.type_id for t in emu.schema.association_types)]) + 1
    for target in targets:
        emu.schema.association_types += [
            AssociationType(name, target.name, next_id, next_id + 1, USER_DEFINED),
            AssociationType(target.name, name, next_id + 1, next_id, USER_DEFINED)]
        next_id += 2
    emu.associations.refresh()
    return json_response(schema_json(emu, object_type), 201)
