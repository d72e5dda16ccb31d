"""v4 associations: /crm/v4/associations/{from}/{to}/batch/{create,associate/default,read,archive}
and PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.associations import AssociationType
from connectors.hubspot.emulator.errors import (
    batch_limit_error,
    standard_error,
    validation_error,
)
from connectors.hubspot.emulator.schema import ObjectTypeDef
from connectors.hubspot.emulator.values import iso_ms

if TYPE_CHECKING:
    from connectors.hubspot.emulator.emulator import HubSpotEmulator

CREATE_LIMIT = 100     # HubSpot: batch create/archive of associations
READ_LIMIT = 1000      # HubSpot: batch read of associations


def _inputs(request: Request, limit: int) -> list[dict[str, object]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("Invalid input JSON: expected an object with an 'inputs' list")
    inputs = body["inputs"]
    if len(inputs) > limit:
        raise batch_limit_error(limit)
    return inputs


def _id_of(ref: object) -> str:
    return str(ref.get("id")) if isinstance(ref, dict) else str(ref)


def _exists(emu: HubSpotEmulator, object_type: ObjectTypeDef, ref: str) -> bool:
    record = emu.store.table(object_type).records.get(int(ref)) if ref.isdigit() else None
    return record is not None and not record.archived


def _batch(emu: HubSpotEmulator, results: list[dict[str, object]],
           errors: list[dict[str, object]], ok: int, now_ms: int) -> Response:
    body: dict[str, object] = {
        "status": "COMPLETE", "results": results,
        "startedAt": iso_ms(now_ms), "completedAt": iso_ms(now_ms),
    }
    if errors:
        body |= {"errors": errors, "numErrors": len(errors)}
        return json_response(body, 207)
    return json_response(body, ok)


def _missing(kind: str, ref: str) -> dict[str, object]:
    return standard_error(f"No {kind} with id {ref} exists", "VALIDATION_ERROR",
                          {"objectId": [ref]}, "crm.associations.OBJECT_NOT_FOUND")


def batch_create(emu: HubSpotEmulator, request: Request, source: ObjectTypeDef,
                 target: ObjectTypeDef, now_ms: int) -> Response:
    inputs = _inputs(request, CREATE_LIMIT)
    planned: list[tuple[int, int, list[AssociationType]]] = []
    errors: list[dict[str, object]] = []
    for item in inputs:
        from_id, to_id = _id_of(item.get("from")), _id_of(item.get("to"))
        types = []
        for spec in item.get("types") or []:  # type: ignore[attr-defined]
            type_id = int(spec.get("associationTypeId", -1))
            assoc_type = emu.associations.type_for(source.name, target.name, type_id)
            if assoc_type is None or assoc_type.category != spec.get("associationCategory"):
                raise validation_error(
                    f"{spec.get('associationCategory')} {type_id} is not a valid association "
                    f"type between {source.name} and {target.name}"
                )
            types.append(assoc_type)
        if not types:
            raise validation_error("Each input needs at least one association type")
        if not _exists(emu, source, from_id):
            errors.append(_missing(source.singular_label.lower(), from_id))
        elif not _exists(emu, target, to_id):
            errors.append(_missing(target.singular_label.lower(), to_id))
        else:
            planned.append((int(from_id), int(to_id), types))
    results = []
    for from_id, to_id, types in planned:
        for assoc_type in types:
            emu.associations.link(source.name, from_id, target.name, to_id, assoc_type)
        results.append({
            "fromObjectTypeId": source.object_type_id, "fromObjectId": from_id,
            "toObjectTypeId": target.object_type_id, "toObjectId": to_id,
            "labels": [t.label for t in types if t.label],
        })
    return _batch(emu, results, errors, 201, now_ms)


def batch_default(emu: HubSpotEmulator, request: Request, source: ObjectTypeDef,
                  target: ObjectTypeDef, now_ms: int) -> Response:
    inputs = _inputs(request, CREATE_LIMIT)
    assoc_type = emu.associations.default_type(source.name, target.name)
    if assoc_type is None:
        raise validation_error(f"No default association between {source.name} and {target.name}")
    results: list[dict[str, object]] = []
    for item in inputs:
        from_id, to_id = _id_of(item.get("from")), _id_of(item.get("to"))
        if not (_exists(emu, source, from_id) and _exists(emu, target, to_id)):
            raise validation_error(f"Object {from_id} or {to_id} does not exist")
        emu.associations.link(source.name, int(from_id), target.name, int(to_id), assoc_type)
        for a, b, type_id in ((from_id, to_id, assoc_type.type_id),
                              (to_id, from_id, assoc_type.inverse_id)):
            results.append({"from": {"id": a}, "to": {"id": b}, "associationSpec": {
                "associationCategory": assoc_type.category, "associationTypeId": type_id}})
    return _batch(emu, results, [], 200, now_ms)


def batch_read(emu: HubSpotEmulator, request: Request, source: ObjectTypeDef,
               target: ObjectTypeDef, now_ms: int) -> Response:
    inputs = _inputs(request, READ_LIMIT)
    results: list[dict[str, object]] = []
    errors: list[dict[str, object]] = []
    for item in inputs:
        ref = _id_of(item)
        targets = emu.associations.targets(source.name, int(ref), target.name) if (
            ref.isdigit()) else {}
        live = {to_id: ids for to_id, ids in targets.items() if _exists(emu, target, str(to_id))}
        if not live:
            errors.append(standard_error(
                f"No {target.singular_label.lower()} is associated with "
                f"{source.singular_label.lower()} {ref}.", "OBJECT_NOT_FOUND",
                {"fromObjectId": [ref]}, "crm.associations.NO_ASSOCIATIONS_FOUND",
            ))
            continue
        results.append({"from": {"id": ref}, "to": [
            {"toObjectId": to_id, "associationTypes": [
                emu.associations.spec_json(source.name, target.name, type_id)
                for type_id in sorted(type_ids)
            ]}
            for to_id, type_ids in sorted(live.items())
        ]})
    return _batch(emu, results, errors, 200, now_ms)


def batch_archive(emu: HubSpotEmulator, request: Request, source: ObjectTypeDef,
                  target: ObjectTypeDef, now_ms: int) -> Response:
    for item in _inputs(request, CREATE_LIMIT):
        from_id = _id_of(item.get("from"))
        for to in item.get("to") or []:  # type: ignore[attr-defined]
            to_id = _id_of(to)
            if from_id.isdigit() and to_id.isdigit():
                emu.associations.unlink(source.name, int(from_id), target.name, int(to_id))
    return Response(status=204)


def put_default(emu: HubSpotEmulator, source: ObjectTypeDef, from_id: str,
                target: ObjectTypeDef, to_id: str, now_ms: int) -> Response:
    assoc_type = emu.associations.default_type(source.name, target.name)
    if assoc_type is None or not (_exists(emu, source, from_id) and _exists(emu, target, to_id)):
        raise validation_error(f"Cannot associate {source.name} {from_id} to {target.name} {to_id}")
    emu.associations.link(source.name, int(from_id), target.name, int(to_id), assoc_type)
    results = [{"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": {
        "associationCategory": assoc_type.category, "associationTypeId": assoc_type.type_id}}]
    return _batch(emu, results, [], 200, now_ms)


HANDLERS = {"create": batch_create, "associate/default": batch_default, "read": batch_read,
            "archive": batch_archive}
