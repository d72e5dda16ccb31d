"""/crm/v3/objects/{objectType}/batch/{read,create,update,upsert,archive}.

As in HubSpot: at most 100 inputs (400 otherwise); one invalid input (unknown property,
bad option / number / date, read-only property, unique-value clash) fails the WHOLE batch
with 400 and nothing is written, for create, update and upsert alike; ids that do not exist
(read, update) give a 207 with ``errors`` while the others succeed. Results come back in a
deterministic shuffled order, never input order.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.errors import (
    batch_limit_error,
    invalid_properties,
    standard_error,
    validation_error,
)
from connectors.hubspot.emulator.objects_api import (
    find_record,
    record_json,
    unique_conflicts,
    validate_or_raise,
)
from connectors.hubspot.emulator.records import Record
from connectors.hubspot.emulator.schema import ObjectTypeDef
from connectors.hubspot.emulator.values import iso_ms

if TYPE_CHECKING:
    from connectors.hubspot.emulator.emulator import HubSpotEmulator

BATCH_LIMIT = 100


def _inputs(request: Request) -> tuple[dict[str, object], list[dict[str, object]]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("Invalid input JSON: expected an object with an 'inputs' list")
    inputs = body["inputs"]
    if len(inputs) > BATCH_LIMIT:
        raise batch_limit_error(BATCH_LIMIT)
    if not all(isinstance(item, dict) for item in inputs):
        raise validation_error("Invalid input JSON: each input must be an object")
    return body, inputs


def _shuffled(emu: HubSpotEmulator, items: list[dict[str, object]]) -> list[dict[str, object]]:
    emu.batch_sequence += 1
    shuffled = list(items)
    random.Random(emu.batch_sequence * 7919 + len(items)).shuffle(shuffled)
    if len(shuffled) > 1 and shuffled == items:
        shuffled.reverse()
    return shuffled


def _answer(
    emu: HubSpotEmulator, results: list[dict[str, object]], errors: list[dict[str, object]],
    started_ms: int, ok_status: int,
) -> Response:
    body: dict[str, object] = {
        "status": "COMPLETE",
        "results": _shuffled(emu, results),
        "startedAt": iso_ms(started_ms),
        "completedAt": iso_ms(emu.now_ms()),
    }
    if errors:
        body["errors"] = errors
        body["numErrors"] = len(errors)
        return json_response(body, 207)
    return json_response(body, ok_status)


def _duplicate_ids(refs: list[str]) -> None:
    counts = Counter(refs)
    dupes = sorted(ref for ref, n in counts.items() if n > 1)
    if dupes:
        raise validation_error(
            f"Duplicate IDs found in batch input: [{', '.join(dupes)}]. IDs must be unique"
        )


def _not_found(object_type: ObjectTypeDef, missing: list[str]) -> dict[str, object]:
    label = object_type.singular_label.upper().replace(" ", "_")
    return standard_error(
        f"Could not get some {label} objects, they may be deleted or not exist. "
        "Check that ids are valid.",
        "OBJECT_NOT_FOUND", {"ids": missing},
    )


def read(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
         now_ms: int) -> Response:
    body, inputs = _inputs(request)
    table = emu.store.table(object_type)
    id_property = body.get("idProperty")
    archived = request.args.get("archived", "false").lower() == "true"
    names = list(body.get("properties") or []) or None  # type: ignore[call-overload]
    if id_property:  # reading by a unique property answers that property too
        names = [*(names or object_type.default_properties), str(id_property)]
    results, missing = [], []
    for item in inputs:
        ref = str(item.get("id"))
        record = find_record(emu, table, ref, str(id_property) if id_property else None)
        if record is None or record.archived != archived:
            missing.append(ref)
        else:
            results.append(record_json(object_type, record, names))  # type: ignore[arg-type]
    errors = [_not_found(object_type, missing)] if missing else []
    return _answer(emu, results, errors, now_ms, 200)


def create(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
           now_ms: int) -> Response:
    _, inputs = _inputs(request)
    table = emu.store.table(object_type)
    planned: list[tuple[Record | None, dict[str, str | None]]] = [
        (None, validate_or_raise(object_type, item.get("properties"), index))
        for index, item in enumerate(inputs)
    ]
    _raise_conflicts(table, planned)
    links = [emu.parse_create_associations(object_type, item.get("associations"))
             for item in inputs]
    created = []
    for (_, values), item_links in zip(planned, links, strict=True):
        record = emu.store.create(object_type, values, now_ms)
        emu.apply_create_associations(object_type, record, item_links)
        created.append(record)
    emu.changed(object_type, created, now_ms)
    results = [record_json(object_type, r, list(r.properties)) for r in created]
    return _answer(emu, results, [], now_ms, 201)


def _raise_conflicts(table: object, planned: list[tuple[Record | None, dict[str, str | None]]]
                     ) -> None:
    conflicts = unique_conflicts(table, planned)  # type: ignore[arg-type]
    if conflicts:
        index, _ = conflicts[0]
        raise invalid_properties([p for _, p in conflicts], index)


def update(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
           now_ms: int) -> Response:
    body, inputs = _inputs(request)
    table = emu.store.table(object_type)
    id_property = body.get("idProperty")
    refs = [str(item.get("id")) for item in inputs]
    _duplicate_ids(refs)
    values = [validate_or_raise(object_type, item.get("properties"), index)
              for index, item in enumerate(inputs)]
    planned: list[tuple[Record | None, dict[str, str | None]]] = []
    missing: list[str] = []
    for ref, clean in zip(refs, values, strict=True):
        record = find_record(emu, table, ref, str(id_property) if id_property else None)
        if record is None or record.archived:
            missing.append(ref)
        else:
            planned.append((record, clean))
    _raise_conflicts(table, planned)
    updated = [emu.store.update(object_type, r, v, now_ms) for r, v in planned if r]
    emu.changed(object_type, updated, now_ms)
    results = [record_json(object_type, r, list(r.properties)) for r in updated]
    errors = [_not_found(object_type, missing)] if missing else []
    return _answer(emu, results, errors, now_ms, 200)


def upsert(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
           now_ms: int) -> Response:
    _, inputs = _inputs(request)
    table = emu.store.table(object_type)
    planned: list[tuple[Record | None, dict[str, str | None]]] = []
    refs: list[str] = []
    for index, item in enumerate(inputs):
        id_property = str(item.get("idProperty") or "")
        if id_property not in object_type.unique_properties:
            raise validation_error(
                f"{id_property or 'idProperty'} is not a unique property of "
                f"{object_type.name}; upsert needs a property with hasUniqueValue=true"
            )
        ref = str(item.get("id") or "")
        if not ref:
            raise validation_error(f"Input {index} has no id value for {id_property}")
        refs.append(ref)
        clean = validate_or_raise(object_type, item.get("properties"), index)
        clean[id_property] = ref
        planned.append((table.find_unique(id_property, ref), clean))
    _duplicate_ids(refs)
    _raise_conflicts(table, planned)
    results = []
    written = []
    for existing, clean in planned:
        if existing is None:
            record = emu.store.create(object_type, clean, now_ms)
        else:
            record = emu.store.update(object_type, existing, clean, now_ms)
        written.append(record)
        results.append(
            record_json(object_type, record, list(record.properties)) | {"new": existing is None}
        )
    emu.changed(object_type, written, now_ms)
    return _answer(emu, results, [], now_ms, 200)


def archive(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
            now_ms: int) -> Response:
    _, inputs = _inputs(request)
    table = emu.store.table(object_type)
    archived = []
    for item in inputs:
        ref = str(item.get("id"))
        record = table.records.get(int(ref)) if ref.isdigit() else None
        if record is not None and not record.archived:
            emu.store.archive(object_type, record, now_ms)
            archived.append(record)
    emu.changed(object_type, archived, now_ms)
    return Response(status=204)


HANDLERS = {"read": read, "create": create, "update": update, "upsert": upsert,
            "archive": archive}
