"""REST routes: query / queryAll with cursors, sObject rows, describe, limits."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.salesforce.emulator import describe
from connectors.salesforce.emulator.errors import not_found, query_error, sf_error
from connectors.salesforce.emulator.soql import SoqlError
from connectors.salesforce.emulator.soql_compile import CompiledQuery, compile_conditions, compile_query
from connectors.salesforce.emulator.store import MultipleMatches, Record
from connectors.salesforce.emulator.values import (
    FieldError,
    JsonParseError,
    out_value,
    parse_datetime,
    sf_datetime,
)

if TYPE_CHECKING:
    from connectors.salesforce.emulator.app import SalesforceEmulator

MAX_CURSORS = 200


@dataclass
class Cursor:
    compiled: CompiledQuery
    rows: list[Record]
    batch: int
    endpoint: str


class Cursors:
    """Query results kept for ``nextRecordsUrl`` (no re-running), least recently used out."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Cursor] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, cursor: Cursor) -> str:
        with self._lock:
            key = f"01g8d{next(self._ids):010d}AAA"
            self._items[key] = cursor
            while len(self._items) > MAX_CURSORS:
                self._items.popitem(last=False)
            return key

    def get(self, key: str) -> Cursor | None:
        with self._lock:
            return self._items.get(key)


def batch_size(request: Request, default: int) -> int:
    options = request.headers.get("Sforce-Query-Options", "")
    for part in options.split(","):
        name, _, value = part.partition("=")
        if name.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(max(int(value), 200), 2000)
    return default


def run_query(emu: SalesforceEmulator, request: Request, version: str, endpoint: str) -> Response:
    soql = request.args.get("q", "")
    include_deleted = endpoint == "queryAll"
    try:
        compiled = compile_query(soql, emu.schema, emu.store.lookup)
    except SoqlError as exc:
        return query_error(soql, exc.message, exc.error_code, exc.pos)
    query = compiled.query
    with emu.lock:
        ordered = emu.modstamp_order.candidates(emu.store, compiled.obj.name, query)
        if ordered is None:
            candidates: Iterable[Record] = emu.store.records[compiled.obj.name].values()
            predicate = compiled.predicate
        else:
            candidates = ordered[0]
            predicate = compile_conditions(ordered[1], emu.schema, compiled.obj, emu.store.lookup)
        rows = [r for r in candidates if (include_deleted or not r["IsDeleted"])
                and (predicate is None or predicate(r))]
    if compiled.sort is not None and ordered is None:
        rows = compiled.sort(rows)
    if query.offset:
        rows = rows[query.offset:]
    if query.limit is not None:
        rows = rows[:query.limit]
    if query.count_only:
        return json_response({"totalSize": len(rows), "done": True, "records": []})
    cursor = Cursor(compiled, rows, batch_size(request, emu.page_size), endpoint)
    return _page(emu, cursor, None, 0, version)


def query_more(emu: SalesforceEmulator, locator: str, version: str) -> Response:
    key, _, offset = locator.partition("-")
    cursor = emu.cursors.get(key)
    if cursor is None or not offset.isdigit():
        return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(emu, cursor, key, int(offset), version)


def _page(emu: SalesforceEmulator, cursor: Cursor, key: str | None, offset: int,
          version: str) -> Response:
    url_base = f"/services/data/v{version}"
    end = offset + cursor.batch
    page = cursor.rows[offset:end]
    render = cursor.compiled.render_json
    done = end >= len(cursor.rows)
    head = f'{{"totalSize":{len(cursor.rows)},"done":{"true" if done else "false"}'
    if not done:
        key = key or emu.cursors.add(cursor)
        head += f',"nextRecordsUrl":"{url_base}/{cursor.endpoint}/{key}-{end}"'
    text = head + ',"records":[' + ",".join([render(r, url_base) for r in page]) + "]}"
    return Response(text, status=200, content_type="application/json;charset=UTF-8")


# ----- sObject rows ----------------------------------------------------------------------
def full_row(record: Record, obj: str, version: str,
             fields: list[str] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"attributes": {
        "type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{record['Id']}"}}
    names = fields if fields is not None else list(record)
    for name in names:
        row[name] = out_value(record.get(name))
    return row


def _field_list(emu: SalesforceEmulator, obj: str, text: str | None) -> list[str] | None:
    if not text:
        return None
    objdef = emu.schema.objects[obj]
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in objdef.fields]
    if unknown:
        raise FieldError("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type "
                                          f"{obj}")
    return names


def _write_error(exc: FieldError | JsonParseError) -> Response:
    if isinstance(exc, JsonParseError):
        return sf_error(400, "JSON_PARSER_ERROR", str(exc))
    return sf_error(400, exc.status_code, exc.message, exc.fields)


def sobjects(emu: SalesforceEmulator, request: Request, version: str,
             parts: list[str]) -> Response:
    method = request.method
    if not parts:
        return json_response(describe.describe_global(emu.schema, version))
    objdef = emu.schema.obj(parts[0])
    if objdef is None:
        return not_found()
    obj = objdef.name
    rest = parts[1:]
    if not rest:
        if method == "GET":
            return json_response(describe.basic_info(objdef, version))
        if method == "POST":
            return _create(emu, request, obj)
        return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")
    if rest == ["describe"] and method == "GET":
        return json_response(describe.describe_object(objdef, version))
    if rest[0] in ("deleted", "updated") and len(rest) == 1 and method == "GET":
        return _changed(emu, request, obj, rest[0])
    if len(rest) == 1:
        return _by_id(emu, request, obj, rest[0], version)
    if len(rest) == 2:
        return _by_external_id(emu, request, obj, rest[0], rest[1], version)
    return not_found()


def _json_body(request: Request) -> dict[str, Any] | None:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else None


def _create(emu: SalesforceEmulator, request: Request, obj: str) -> Response:
    body = _json_body(request)
    if body is None:
        return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
    with emu.lock:
        try:
            record = emu.store.insert(obj, body, emu.store.now())
        except (FieldError, JsonParseError) as exc:
            return _write_error(exc)
    return json_response({"id": record["Id"], "success": True, "errors": []}, 201)


def _by_id(emu: SalesforceEmulator, request: Request, obj: str, record_id: str,
           version: str) -> Response:
    method = request.method
    with emu.lock:
        record = emu.store.get(obj, record_id, include_deleted=True)
        if record is None:
            return not_found()
        if method == "GET":
            if record["IsDeleted"]:
                return not_found()
            try:
                fields = _field_list(emu, obj, request.args.get("fields"))
            except FieldError as exc:
                return _write_error(exc)
            return json_response(full_row(record, obj, version, fields))
        try:
            if method == "PATCH":
                body = _json_body(request)
                if body is None:
                    return sf_error(400, "JSON_PARSER_ERROR", "The request body is not JSON")
                emu.store.update(obj, record["Id"], body, emu.store.now())
            elif method == "DELETE":
                emu.store.delete(obj, record["Id"], emu.store.now())
            else:
                return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")
        except FieldError as exc:
            if exc.status_code == "ENTITY_IS_DELETED":
                return sf_error(404, "ENTITY_IS_DELETED", exc.message, [])
            return _write_error(exc)
        except JsonParseError as exc:
            return _write_error(exc)
    return Response(status=204)


def _by_external_id(emu: SalesforceEmulator, request: Request, obj: str, field: str,
                    value: str, version: str) -> Response:
    objdef = emu.schema.objects[obj]
    fdef = objdef.field(field)
    if fdef is None or not fdef.id_lookup:
        return not_found(f"Provided external ID field does not exist or is not accessible: "
                         f"{field}")
    url_base = f"/services/data/v{version}/sobjects/{obj}"
    method = request.method
    with emu.lock:
        if method == "PATCH":
            body = _json_body(request)
            if body is None:
                return sf_error(400, "JSON_PARSER_ERROR", "The request body is not JSON")
            try:
                record, created = emu.store.upsert(obj, fdef.name, value, body, emu.store.now())
            except MultipleMatches as exc:
                return json_response([f"{url_base}/{rid}" for rid in exc.ids], 300)
            except (FieldError, JsonParseError) as exc:
                return _write_error(exc)
            result = {"id": record["Id"], "success": True, "errors": [], "created": created}
            return json_response(result, 201 if created else 200)
        ids = emu.store.find_by(obj, fdef.name, value)
        if len(ids) > 1:
            return json_response([f"{url_base}/{rid}" for rid in ids], 300)
        if not ids:
            return not_found()
        if method == "GET":
            return json_response(full_row(emu.store.records[obj][ids[0]], obj, version))
        if method == "DELETE":
            emu.store.delete(obj, ids[0], emu.store.now())
            return Response(status=204)
    return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")


def _changed(emu: SalesforceEmulator, request: Request, obj: str, kind: str) -> Response:
    try:
        start = parse_datetime(request.args.get("start", ""))
        end = parse_datetime(request.args.get("end", ""))
    except ValueError:
        return sf_error(400, "INVALID_PARAMETER_VALUE", "start and end must be dateTimes")
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    with emu.lock:
        rows = [r for r in emu.store.records[obj].values()
                if start <= r["SystemModstamp"] <= end + dt.timedelta(minutes=1)
                and r["IsDeleted"] == (kind == "deleted")]
    latest = sf_datetime(end)
    if kind == "updated":
        return json_response({"ids": [r["Id"] for r in rows], "latestDateCovered": latest})
    return json_response({
        "deletedRecords": [{"id": r["Id"], "deletedDate": sf_datetime(r["SystemModstamp"])}
                           for r in rows],
        "earliestDateAvailable": sf_datetime(start), "latestDateCovered": latest})


def limits(emu: SalesforceEmulator) -> Response:
    return json_response(describe.limits(emu.daily_api_limit, emu.api_used))
