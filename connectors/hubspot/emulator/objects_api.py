"""/crm/v3/objects/{objectType}: basic get / list / create / update / archive, and search."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.errors import (
    invalid_properties,
    not_found,
    validation_error,
)
from connectors.hubspot.emulator.records import Record, TypeTable
from connectors.hubspot.emulator.schema import ObjectTypeDef
from connectors.hubspot.emulator.search import SearchError, compile_search, page_of
from connectors.hubspot.emulator.values import ValueProblem, iso_ms, validate_input

if TYPE_CHECKING:
    from connectors.hubspot.emulator.emulator import HubSpotEmulator

LIST_PAGE_MAX = 100


def record_json(
    object_type: ObjectTypeDef, record: Record, names: list[str] | None
) -> dict[str, object]:
    """A record as HubSpot answers it: requested (or default) properties plus system ones."""
    props = record.properties
    wanted = object_type.default_properties if names is None else names
    known = object_type.properties
    out = {name: props.get(name) for name in wanted if name in known}
    for name in object_type.system_properties:
        out[name] = props.get(name)
    body: dict[str, object] = {
        "id": str(record.id),
        "properties": out,
        "createdAt": iso_ms(record.created_ms),
        "updatedAt": iso_ms(record.updated_ms),
        "archived": record.archived_ms is not None,
    }
    if record.archived_ms is not None:
        body["archivedAt"] = iso_ms(record.archived_ms)
    return body


def requested_properties(request: Request) -> list[str] | None:
    """``properties`` query values, repeated (the SDK) and/or comma separated."""
    raw = request.args.getlist("properties")
    if not raw:
        return None
    return [name for item in raw for name in item.split(",") if name]


def flag(request: Request, name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def unique_conflicts(
    table: TypeTable, planned: list[tuple[Record | None, dict[str, str | None]]]
) -> list[tuple[int, ValueProblem]]:
    """Unique-value clashes with stored records or inside the batch: (input index, problem)."""
    object_type = table.object_type
    seen: dict[tuple[str, str], int] = {}
    problems: list[tuple[int, ValueProblem]] = []
    for index, (record, values) in enumerate(planned):
        for prop in object_type.unique_properties:
            value = values.get(prop)
            if value is None:
                continue
            holder = table.find_unique(prop, value)
            clash_id = seen.get((prop, value))
            if (holder is not None and (record is None or holder.id != record.id)) or (
                clash_id is not None and clash_id != (record.id if record else -1 - index)
            ):
                problems.append((index, ValueProblem(
                    prop, "CONFLICTING_UNIQUE_VALUE",
                    f'A {object_type.singular_label.lower()} with {prop} "{value}" already '
                    f"exists{f' (id {holder.id})' if holder else ' in this batch'}.",
                )))
            seen[(prop, value)] = record.id if record else -1 - index
    return problems


def validate_or_raise(
    object_type: ObjectTypeDef, properties: object, index: int | None = None
) -> dict[str, str | None]:
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise validation_error("properties must be an object of property name to value")
    clean, problems = validate_input(object_type, properties)
    if problems:
        raise invalid_properties(problems, index)
    return clean


def find_record(
    emu: HubSpotEmulator, table: TypeTable, ref: str, id_property: str | None
) -> Record | None:
    if id_property and id_property != "hs_object_id":
        if id_property not in table.object_type.unique_properties:
            raise validation_error(f"{id_property} is not a unique property")
        return table.find_unique(id_property, ref)
    return table.records.get(int(ref)) if ref.isdigit() else None


# ---- handlers ---------------------------------------------------------------------------
def get_one(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
            object_id: str) -> Response:
    table = emu.store.table(object_type)
    record = find_record(emu, table, object_id, request.args.get("idProperty"))
    archived = flag(request, "archived")
    if record is None or record.archived != archived:
        raise not_found()
    body = record_json(object_type, record, requested_properties(request))
    wanted = request.args.getlist("associations")
    if wanted:
        body["associations"] = emu.v3_associations(object_type, record, wanted)
    return json_response(body)


def list_page(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef) -> Response:
    table = emu.store.table(object_type)
    limit = max(1, min(int(request.args.get("limit", 10)), LIST_PAGE_MAX))
    archived = flag(request, "archived")
    ids = emu.sorted_ids(table)
    after = request.args.get("after")
    start = bisect.bisect_left(ids, int(after)) if after and after.isdigit() else 0
    names = requested_properties(request)
    results: list[dict[str, object]] = []
    position = start
    while position < len(ids) and len(results) < limit:
        record = table.records[ids[position]]
        position += 1
        if record.archived == archived:
            results.append(record_json(object_type, record, names))
    while position < len(ids) and table.records[ids[position]].archived != archived:
        position += 1
    body: dict[str, object] = {"results": results}
    if position < len(ids):
        next_after = str(ids[position])
        link = f"{emu.base_url}{request.path}?after={next_after}"
        body["paging"] = {"next": {"after": next_after, "link": link}}
    return json_response(body)


def create_one(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
               now_ms: int) -> Response:
    body = request.get_json(silent=True) or {}
    clean = validate_or_raise(object_type, body.get("properties"))
    table = emu.store.table(object_type)
    conflicts = unique_conflicts(table, [(None, clean)])
    if conflicts:
        raise invalid_properties([p for _, p in conflicts])
    links = emu.parse_create_associations(object_type, body.get("associations"))
    record = emu.store.create(object_type, clean, now_ms)
    emu.apply_create_associations(object_type, record, links)
    emu.changed(object_type, [record], now_ms)
    return json_response(record_json(object_type, record, list(record.properties)), 201)


def update_one(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
               object_id: str, now_ms: int) -> Response:
    table = emu.store.table(object_type)
    record = find_record(emu, table, object_id, request.args.get("idProperty"))
    if record is None or record.archived:
        raise not_found()
    body = request.get_json(silent=True) or {}
    clean = validate_or_raise(object_type, body.get("properties"))
    conflicts = unique_conflicts(table, [(record, clean)])
    if conflicts:
        raise invalid_properties([p for _, p in conflicts])
    emu.store.update(object_type, record, clean, now_ms)
    emu.changed(object_type, [record], now_ms)
    return json_response(record_json(object_type, record, list(record.properties)))


def archive_one(emu: HubSpotEmulator, object_type: ObjectTypeDef, object_id: str,
                now_ms: int) -> Response:
    table = emu.store.table(object_type)
    record = table.records.get(int(object_id)) if object_id.isdigit() else None
    if record is not None and not record.archived:
        emu.store.archive(object_type, record, now_ms)
        emu.changed(object_type, [record], now_ms)
    return Response(status=204)


def search(emu: HubSpotEmulator, request: Request, object_type: ObjectTypeDef,
           now_ms: int) -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: the search body must be an object")
    try:
        compiled = compile_search(object_type, body, emu.search_limits)
    except SearchError as exc:
        raise validation_error(str(exc)) from None
    ordered = emu.search_results(object_type, compiled, now_ms)
    page, next_after = page_of(compiled, ordered, emu.search_limits.max_results)
    names = compiled.properties
    answer: dict[str, object] = {
        "total": len(ordered),
        "results": [record_json(object_type, r, names) for r in page],
    }
    if next_after is not None:
        answer["paging"] = {"next": {"after": next_after}}
    return json_response(answer)
