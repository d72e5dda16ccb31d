"""`crm setup` for HubSpot: plan from the properties, groups, pipelines and schemas APIs; create
what is missing with as few calls as the APIs allow.

What a mapping needs, per object type:
- every mapped property (fields, the crm_key, constants, filter properties, `crm:` references),
  created in the group `prm` (created first when missing) with one
  ``POST /crm/v3/properties/{objectType}/batch/create`` per object type; enumeration options come
  from the field's `values` map (or the PRM's own choices), the crm_key gets `hasUniqueValue`;
- a deal pipeline for an entity whose constants or filter name `pipeline: X` (X not `default`),
  with one stage per key of its `dealstage` field's `values` map: one ``POST /crm/v3/pipelines/deals``;
- a custom object (an object that is not a standard one), with all its properties and the
  associations its references name: one ``POST /crm-object-schemas/v3/schemas``.

Ids: /crm/v3/pipelines lets HubSpot choose pipeline and stage ids (its PipelineInput has no id); the
request still names the mapping's ids (`pipelineId` / `stageId`, which the v1 and date-versioned APIs
keep), and whatever ids come back are returned as `renames`, which `crm setup` writes into the
mapping: the mapping never depends on ids we asked for. A pipeline found by its label under
another id is renamed the same way, without any call.

Below Enterprise the schemas API answers 403 MISSING_SCOPES (the crm.schemas.custom.* scopes cannot
be granted there): the custom object is a refusal, with the advice to use the professional mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.errors import HubSpotRequestError, error_body
from connectors.hubspot.objects import STANDARD_TYPE_IDS, ObjectTypes
from prm_sync.connector import (
    CrmUnavailable,
    EntityMapper,
    FieldKind,
    MappingPath,
    SetupConflict,
    SetupItem,
    SetupKind,
    SetupOutcome,
    SetupPlan,
    SetupRefusal,
    ValueRename,
)

GROUP = "prm"
GROUP_LABEL = "PRM"
PROFESSIONAL_ADVICE = (
    "custom objects need a HubSpot Enterprise portal (and the private app's crm.schemas.custom.read and "
    "crm.schemas.custom.write scopes); on another tier set `mappings: mappings/hubspot-professional.yaml` in "
    "config.yaml (commissions kept as deals of a 'Partner commissions' pipeline; `prm-sync init --crm hubspot` "
    "writes it) and run `prm-sync crm setup` again")
#: PRM status -> (probability, closed) of the stage created for it; other statuses are open stages
_STAGE_META = {"won": ("1.0", True), "converted": ("1.0", True), "paid": ("1.0", True),
               "lost": ("0.0", True), "rejected": ("0.0", True), "expired": ("0.0", True),
               "clawback": ("0.0", True), "submitted": ("0.1", False), "approved": ("0.5", False)}
_ASSOCIATED = {"companies": "COMPANY", "contacts": "CONTACT", "deals": "DEAL", "tickets": "TICKET"}


@dataclass
class Wanted:
    """A property the mapping needs on one object type."""

    name: str
    type: str
    field_type: str
    options: list[tuple[str, str]] = field(default_factory=list)
    unique: bool = False
    entity: str | None = None
    path: MappingPath = ()

    @property
    def detail(self) -> str:
        text = f"{self.type} ({self.field_type})"
        if self.options and self.type == "enumeration":
            text += f": {', '.join(value for _label, value in self.options)}"
        if self.unique:
            text += ", unique values"
        return text

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "label": _label(self.name.removeprefix("prm_")),
                               "type": self.type, "fieldType": self.field_type, "groupName": GROUP,
                               "description": "created by prm-sync crm setup"}
        options = self.options or ([("Yes", "true"), ("No", "false")] if self.type == "bool" else [])
        if options:
            out["options"] = [{"label": label, "value": value, "displayOrder": index, "hidden": False}
                              for index, (label, value) in enumerate(options)]
        if self.unique:
            out["hasUniqueValue"] = True
        return out


def _label(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _wanted_type(kind: FieldKind, options: Sequence[str]) -> tuple[str, str]:
    if kind in (FieldKind.DECIMAL, FieldKind.INT):
        return "number", "number"
    if kind is FieldKind.BOOL:
        return "bool", "booleancheckbox"
    if kind is FieldKind.DATE:
        return "date", "date"
    if kind is FieldKind.DATETIME:
        return "datetime", "date"
    if options:
        return "enumeration", "select"
    return "string", "text"


def _fits(wanted: Wanted, found: dict[str, Any]) -> bool:
    """Can the existing property hold what the mapping reads and writes?"""
    have = str(found.get("type"))
    if wanted.type in ("string", "enumeration"):
        return have in ("string", "enumeration", "phone_number")
    if wanted.type == "bool":
        return have == "bool" or (have == "enumeration" and found.get("fieldType") == "booleancheckbox")
    return have == wanted.type


@dataclass
class _ObjectNeeds:
    path_name: str | None              # None: a custom object that does not exist (yet)
    object: str
    entity: str
    properties: dict[str, Wanted] = field(default_factory=dict)
    associations: list[str] = field(default_factory=list)
    key: str | None = None


@dataclass
class _PipelineNeeds:
    entity: str
    requested: str                     # the id the mapping names
    label: str
    stages: list[tuple[str, str, MappingPath]]   # (requested stage id, label, path of the values map entry)
    paths: list[MappingPath]           # where the mapping names the pipeline id


class HubSpotSetup:
    def __init__(self, client: HubSpotClient, types: ObjectTypes) -> None:
        self.client = client
        self.types = types
        self.calls = 0
        #: what apply needs for each planned item (items are frozen: their payload lives here)
        self._work: dict[SetupItem, tuple[str, Any]] = {}

    def _read(self, invoke: Any, *args: Any) -> Any:
        self.calls += 1
        return self.client.call(invoke, *args)

    # ---- plan ------------------------------------------------------------------------------
    def plan(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        self.calls = 0
        self._work.clear()
        items: list[SetupItem] = []
        conflicts: list[SetupConflict] = []
        refusals: list[SetupRefusal] = []
        needs: dict[str, _ObjectNeeds] = {}
        pipelines: list[_PipelineNeeds] = []
        for mapper in mappers:
            name = mapper.object.lower()
            if name not in STANDARD_TYPE_IDS:
                refused = self._custom_refused(mapper)
                if refused is not None:
                    refusals.append(refused)
                    continue
            need = needs.get(name)
            if need is None:
                need = needs[name] = _ObjectNeeds(self._path_name(mapper), mapper.object, mapper.entity.value)
            self._collect(mapper, need)
            pipeline = self._pipeline_needs(mapper)
            if pipeline is not None:
                pipelines.append(pipeline)
        # groups and properties of existing objects, then custom objects, then pipelines
        new_objects: list[_ObjectNeeds] = []
        for need in needs.values():
            if need.path_name is None:
                new_objects.append(need)
                continue
            found = {str(p["name"]): p for p in (self._read(
                self.client.properties_api.get_all_with_http_info, need.path_name) or {}).get("results") or []}
            missing = []
            for wanted in need.properties.values():
                have = found.get(wanted.name)
                if have is None:
                    missing.append(wanted)
                elif not _fits(wanted, have):
                    conflicts.append(SetupConflict(f"{need.object}.{wanted.name}", wanted.detail,
                                                   f"{have.get('type')} ({have.get('fieldType')})", wanted.entity,
                                                   wanted.path))
                elif wanted.unique and not have.get("hasUniqueValue"):
                    conflicts.append(SetupConflict(f"{need.object}.{wanted.name}", wanted.detail,
                                                   f"{have.get('type')} without unique values", wanted.entity,
                                                   wanted.path))
            if not missing:
                continue
            groups = (self._read(self.client.groups_api.get_all_with_http_info, need.path_name) or {}).get(
                "results") or []
            if not any(g.get("name") == GROUP for g in groups):
                item = SetupItem(SetupKind.GROUP, f"{need.object}.{GROUP}", f"property group '{GROUP_LABEL}'",
                                 need.entity)
                items.append(item)
                self._work[item] = ("group", need.path_name)
            batch = [SetupItem(SetupKind.FIELD, f"{need.object}.{w.name}", w.detail, w.entity, w.path)
                     for w in missing]
            items += batch
            for item in batch:
                self._work[item] = ("properties", (need.path_name, [w.body() for w in missing], batch))
        for need in new_objects:
            items += self._object_items(need)
        for pipeline in pipelines:
            items += self._pipeline_items(pipeline)
        return SetupPlan(tuple(items), tuple(conflicts), tuple(refusals), self.calls)

    def _custom_refused(self, mapper: EntityMapper) -> SetupRefusal | None:
        """A custom object on a portal whose schemas API refuses us (below Enterprise, or no scope)."""
        try:
            self._read(self.client.schemas_api.get_all_with_http_info)
        except CrmUnavailable as exc:
            status = getattr(exc.__cause__, "status", None)
            if status != 403:
                raise
            body = error_body(exc.__cause__) if exc.__cause__ is not None else {}
            scopes = [s for e in body.get("errors") or [] for s in (e.get("context") or {}).get(
                "requiredGranularScopes") or []]
            message = f"HTTP 403 {body.get('category', '')}: {body.get('message', exc)}".strip()
            if scopes:
                message += f" (required scopes: {', '.join(scopes)})"
            return SetupRefusal(f"custom object {mapper.object}", message, PROFESSIONAL_ADVICE, mapper.entity.value,
                                ("entities", mapper.entity.value, "object"))
        return None

    def _path_name(self, mapper: EntityMapper) -> str | None:
        try:
            return self.types.path_name(mapper.object)
        except HubSpotRequestError as exc:
            if exc.status == 404:
                return None
            raise

    def _collect(self, mapper: EntityMapper, need: _ObjectNeeds) -> None:
        base: MappingPath = ("entities", mapper.entity.value)
        props = need.properties

        def want(wanted: Wanted) -> None:
            if wanted.name not in props or (wanted.unique and not props[wanted.name].unique):
                props[wanted.name] = wanted

        for fld in mapper.fields:
            values = list(fld.to_prm_values) if fld.to_prm_values is not None else list(fld.prm.choices)
            kind, field_type = _wanted_type(fld.crm_type, values)
            options = [(_label(str(v)), str(v)) for v in values] if kind == "enumeration" else []
            want(Wanted(fld.crm, kind, field_type, options, entity=mapper.entity.value,
                        path=(*base, "fields", fld.name, "crm")))
        for ref in mapper.references:
            if ref.crm is not None:
                want(Wanted(ref.crm, "string", "text", entity=mapper.entity.value,
                            path=(*base, "references", ref.name, "crm")))
            elif ref.association is not None and need.path_name is None:
                target = str(ref.association).lower()
                if target in _ASSOCIATED and _ASSOCIATED[target] not in need.associations:
                    need.associations.append(_ASSOCIATED[target])
        for name, value in mapper.constants.items():
            bool_like = str(value).lower() in ("true", "false")
            want(Wanted(name, "bool" if bool_like else "string", "booleancheckbox" if bool_like else "text",
                        entity=mapper.entity.value, path=(*base, "constants", name)))
        if isinstance(mapper.filter, list | tuple):
            for index, item in enumerate(mapper.filter):
                prop = getattr(item, "property", None)
                if prop:
                    bool_like = str(getattr(item, "value", "")).lower() in ("true", "false")
                    want(Wanted(prop, "bool" if bool_like else "string",
                                "booleancheckbox" if bool_like else "text", entity=mapper.entity.value,
                                path=(*base, "filter", index, "property")))
        if mapper.crm_key:
            need.key = need.key or mapper.crm_key
            want(Wanted(mapper.crm_key, "string", "text", unique=True, entity=mapper.entity.value,
                        path=(*base, "crm_key")))

    # ---- custom objects ---------------------------------------------------------------------
    def _object_items(self, need: _ObjectNeeds) -> list[SetupItem]:
        props = list(need.properties.values())
        key = need.key or props[0].name
        body = {
            "name": need.object.lower(),
            "labels": {"singular": _label(need.object.lower().rstrip("s")), "plural": _label(need.object.lower())},
            "primaryDisplayProperty": key, "requiredProperties": [key], "searchableProperties": [key],
            "secondaryDisplayProperties": [],
            "properties": [{k: v for k, v in p.body().items() if k != "groupName"} for p in props],
            "associatedObjects": need.associations,
        }
        base: MappingPath = ("entities", need.entity)
        made = [SetupItem(SetupKind.OBJECT, need.object, f"custom object ({len(props)} properties)", need.entity,
                          (*base, "object"))]
        made += [SetupItem(SetupKind.FIELD, f"{need.object}.{p.name}", p.detail, p.entity, p.path) for p in props]
        made += [SetupItem(SetupKind.ASSOCIATION, f"{need.object} <-> {target.lower()}",
                           "association definition (both ways)", need.entity, (*base, "references"))
                 for target in need.associations]
        for item in made:
            self._work[item] = ("schema", (body, made))
        return made

    # ---- pipelines ---------------------------------------------------------------------------
    def _pipeline_needs(self, mapper: EntityMapper) -> _PipelineNeeds | None:
        if mapper.object.lower() not in ("deals", "deal"):
            return None
        base: MappingPath = ("entities", mapper.entity.value)
        requested: str | None = None
        paths: list[MappingPath] = []
        if "pipeline" in mapper.constants:
            requested = str(mapper.constants["pipeline"])
            paths.append((*base, "constants", "pipeline"))
        if isinstance(mapper.filter, list | tuple):
            for index, item in enumerate(mapper.filter):
                if getattr(item, "property", None) == "pipeline" and str(getattr(item, "operator", "EQ")) == "EQ":
                    requested = requested or str(getattr(item, "value", ""))
                    paths.append((*base, "filter", index, "value"))
        if not requested or requested == "default":
            return None
        stages: list[tuple[str, str, MappingPath]] = []
        for fld in mapper.fields:
            if fld.crm == "dealstage" and fld.to_prm_values:
                for crm_value, prm_value in fld.to_prm_values.items():
                    stages.append((str(crm_value), _label(str(prm_value)),
                                   (*base, "fields", fld.name, "values", str(crm_value))))
        return _PipelineNeeds(mapper.entity.value, requested, _label(requested), stages, paths)

    def _pipeline_items(self, need: _PipelineNeeds) -> list[SetupItem]:
        found = (self._read(self.client.pipelines_api.get_all_with_http_info, "deals") or {}).get("results") or []
        pipeline = next((p for p in found if str(p.get("id")) == need.requested), None)
        pipeline = pipeline or next((p for p in found if str(p.get("label", "")).lower() == need.label.lower()), None)
        target = f"deals pipeline '{need.label}'"
        if pipeline is None:
            stages = [self._stage_body(stage_id, label, order)
                      for order, (stage_id, label, _path) in enumerate(need.stages)]
            body = {"label": need.label, "displayOrder": len(found), "pipelineId": need.requested, "stages": stages}
            made = [SetupItem(SetupKind.PIPELINE, target, f"id {need.requested} (or as HubSpot chooses)",
                              need.entity, need.paths[0] if need.paths else ())]
            made += [SetupItem(SetupKind.STAGE, f"{target} / {label}",
                               f"id {stage_id}, probability {body['metadata']['probability']}"
                               f"{', closed' if body['metadata']['isClosed'] == 'true' else ''}", need.entity, path)
                     for (stage_id, label, path), body in zip(need.stages, stages, strict=True)]
            for item in made:
                self._work[item] = ("pipeline", (body, made, need))
            return made
        renames = []
        if str(pipeline["id"]) != need.requested:
            renames += [ValueRename(path, need.requested, str(pipeline["id"])) for path in need.paths]
        have = pipeline.get("stages") or []
        missing = []
        for order, (stage_id, label, path) in enumerate(need.stages):
            stage = next((s for s in have if str(s.get("id")) == stage_id), None)
            stage = stage or next((s for s in have if str(s.get("label", "")).lower() == label.lower()), None)
            if stage is None:
                missing.append((stage_id, label, path, order))
            elif str(stage["id"]) != stage_id:
                renames.append(ValueRename(path, stage_id, str(stage["id"])))
        made = []
        for stage_id, label, path, order in missing:
            body = self._stage_body(stage_id, label, len(have) + order)
            item = SetupItem(SetupKind.STAGE, f"{target} / {label}", f"id {stage_id}, in pipeline {pipeline['id']}",
                             need.entity, path)
            self._work[item] = ("stage", (str(pipeline["id"]), body, path))
            made.append(item)
        if renames:
            item = SetupItem(SetupKind.PIPELINE, target, f"exists as id {pipeline['id']}: its ids go into the mapping",
                             need.entity, need.paths[0] if need.paths else ())
            self._work[item] = ("renames", tuple(renames))
            made.insert(0, item)
        return made

    @staticmethod
    def _stage_body(stage_id: str, label: str, order: int) -> dict[str, Any]:
        probability, closed = _STAGE_META.get(label.lower(), ("0.2", False))
        return {"label": label, "displayOrder": order, "stageId": stage_id,
                "metadata": {"probability": probability, "isClosed": "true" if closed else "false"}}

    # ---- apply -------------------------------------------------------------------------------
    def apply(self, plan: SetupPlan) -> SetupOutcome:
        created: list[SetupItem] = []
        renames: list[ValueRename] = []
        notes: list[str] = []
        calls = 0
        pending = list(plan.items)
        while pending:
            item = pending[0]
            work = self._work.get(item)
            if work is None:
                return SetupOutcome(tuple(created), item, tuple(pending[1:]),
                                    "this item was not planned by this connector: plan again", calls,
                                    tuple(notes), tuple(renames))
            kind, payload = work
            batch = [item]
            try:
                if kind == "renames":
                    renames += payload
                elif kind == "group":
                    calls += 1
                    self.client.call(self.client.groups_api.create_with_http_info, payload,
                                     {"name": GROUP, "label": GROUP_LABEL, "displayOrder": -1})
                elif kind == "properties":
                    object_type, bodies, batch = payload
                    calls += 1
                    answer = self.client.call(self.client.properties_batch_api.create_with_http_info, object_type,
                                              {"inputs": bodies}) or {}
                    done = {str(r.get("name")) for r in answer.get("results") or []}
                    ok = [i for i in batch if i.target.split(".", 1)[1] in done]
                    refused = [i for i in batch if i not in ok]
                    if refused:
                        created += ok
                        rest = [i for i in pending if i not in batch]
                        messages = "; ".join(str(e.get("message")) for e in answer.get("errors") or [])
                        return SetupOutcome(tuple(created), refused[0], (*refused[1:], *rest),
                                            f"HubSpot refused {len(refused)} of {len(batch)} properties: {messages}",
                                            calls, tuple(notes), tuple(renames))
                elif kind == "schema":
                    body, batch = payload
                    calls += 1
                    answer = self.client.call(self.client.schemas_api.create_with_http_info, body) or {}
                    notes.append(f"custom object {body['name']} created as {answer.get('objectTypeId')} "
                                 f"({answer.get('fullyQualifiedName')})")
                    self.types._schemas = None
                elif kind == "pipeline":
                    body, batch, need = payload
                    calls += 1
                    answer = self.client.call(self.client.pipelines_api.create_with_http_info, "deals", body) or {}
                    renames += self._pipeline_renames(answer, need)
                elif kind == "stage":
                    pipeline_id, body, path = payload
                    calls += 1
                    answer = self.client.call(self.client.pipeline_stages_api.create_with_http_info, "deals",
                                              pipeline_id, body) or {}
                    if str(answer.get("id")) != body["stageId"]:
                        renames.append(ValueRename(path, body["stageId"], str(answer.get("id"))))
            except (HubSpotRequestError, CrmUnavailable) as exc:
                if isinstance(exc, CrmUnavailable) and getattr(exc.__cause__, "status", None) != 403:
                    raise
                rest = [i for i in pending if i not in batch]
                return SetupOutcome(tuple(created), batch[0], (*batch[1:], *rest), _refusal_text(exc), calls,
                                    tuple(notes), tuple(renames))
            created += batch
            pending = [i for i in pending if i not in batch]
        return SetupOutcome(tuple(created), None, (), None, calls, tuple(notes), tuple(renames))

    @staticmethod
    def _pipeline_renames(answer: dict[str, Any], need: _PipelineNeeds) -> list[ValueRename]:
        renames = []
        pipeline_id = str(answer.get("id"))
        if pipeline_id != need.requested:
            renames += [ValueRename(path, need.requested, pipeline_id) for path in need.paths]
        by_label = {str(s.get("label", "")).lower(): str(s.get("id")) for s in answer.get("stages") or []}
        for stage_id, label, path in need.stages:
            got = by_label.get(label.lower())
            if got is not None and got != stage_id:
                renames.append(ValueRename(path, stage_id, got))
        return renames


def _refusal_text(exc: Exception) -> str:
    """HubSpot's own words (category, message, required scopes), never the token."""
    cause = exc.__cause__ if isinstance(exc, CrmUnavailable) else None
    body: Any = error_body(cause) if cause is not None else getattr(exc, "body", {}) or {}
    status = getattr(cause, "status", None) or getattr(exc, "status", None)
    message = str(body.get("message") or exc)
    scopes = [s for e in body.get("errors") or [] if isinstance(e, dict)
              for s in (e.get("context") or {}).get("requiredGranularScopes") or []]
    text = f"HTTP {status} {body.get('category', '')}: {message}".replace("  ", " ")
    if scopes:
        text += f" (required scopes: {', '.join(scopes)})"
    return text
