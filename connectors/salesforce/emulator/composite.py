"""sObject Collections: ``composite/sobjects`` create / update / upsert / delete / retrieve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.salesforce.emulator.errors import not_found, sf_error
from connectors.salesforce.emulator.rest import full_row
from connectors.salesforce.emulator.store import MultipleMatches
from connectors.salesforce.emulator.values import FieldError, JsonParseError

if TYPE_CHECKING:
    from connectors.salesforce.emulator.app import SalesforceEmulator

MAX_RECORDS = 200
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
               "using AllOrNone header",
    "fields": [],
}


def _too_many() -> Response:
    return sf_error(400, "EXCEEDED_ID_LIMIT",
                    "record limit reached. cannot submit more than 200 records into this call")


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def collections(emu: SalesforceEmulator, request: Request, version: str,
                parts: list[str]) -> Response:
    method = request.method
    if method == "DELETE":
        return _delete(emu, request)
    if method == "GET" or (method == "POST" and len(parts) == 1):
        return _retrieve(emu, request, version, parts)
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return sf_error(400, "JSON_PARSER_ERROR", "Expected a body with a records array")
    records: list[Any] = body["records"]
    if len(records) > MAX_RECORDS:
        return _too_many()
    all_or_none = _truthy(body.get("allOrNone", False))
    url_obj = emu.schema.obj(parts[0]) if parts else None
    if parts and url_obj is None:
        return not_found()
    if method == "POST" and not parts:
        return _write(emu, records, all_or_none, "create", None, None)
    if method == "PATCH" and len(parts) == 2:
        assert url_obj is not None
        ext = url_obj.field(parts[1])
        if ext is None or not ext.id_lookup:
            return not_found(f"Provided external ID field does not exist or is not "
                             f"accessible: {parts[1]}")
        return _write(emu, records, all_or_none, "upsert", url_obj.name, ext.name)
    if method == "PATCH":
        return _write(emu, records, all_or_none, "update",
                      url_obj.name if url_obj else None, None)
    return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")


def _record_object(emu: SalesforceEmulator, record: dict[str, Any],
                   default: str | None) -> str:
    attrs = record.get("attributes")
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if name is None and default is None and isinstance(record.get("Id"), str):
        found = emu.schema.by_prefix(record["Id"][:3])
        name = found.name if found else None
    name = name or default
    objdef = emu.schema.obj(name) if name else None
    if objdef is None:
        raise FieldError("INVALID_TYPE", "sObject type must be specified and supported"
                         if name is None else f"sObject type '{name}' is not supported.")
    return objdef.name


def _one(emu: SalesforceEmulator, record: Any, op: str, obj: str | None,
         ext_field: str | None, stamp: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise FieldError("JSON_PARSER_ERROR", "record must be a JSON object")
    name = _record_object(emu, record, obj)
    store = emu.store
    record = store.canonical_keys(name, record)
    if op == "create":
        created = store.insert(name, record, stamp)
        return {"id": created["Id"], "success": True, "errors": []}
    if op == "update":
        rid = record.get("Id")
        if not isinstance(rid, str) or store.get(name, rid, include_deleted=True) is None:
            raise FieldError("MALFORMED_ID" if not rid else "INVALID_CROSS_REFERENCE_KEY",
                             "invalid cross reference id" if rid else "Id not specified",
                             ["Id"] if not rid else [])
        updated = store.update(name, rid, record, stamp)
        return {"id": updated["Id"], "success": True, "errors": []}
    assert ext_field is not None
    value = record.get(ext_field)
    if value in (None, ""):
        raise FieldError("MISSING_ARGUMENT", f"{ext_field} not specified", [ext_field])
    try:
        saved, created_flag = store.upsert(name, ext_field, value, record, stamp)
    except MultipleMatches as exc:
        raise FieldError("DUPLICATE_EXTERNAL_ID",
                         f"{ext_field}: more than one record found for external id field: "
                         f"{exc.ids}", [ext_field]) from None
    return {"id": saved["Id"], "success": True, "errors": [], "created": created_flag}


def _write(emu: SalesforceEmulator, records: list[Any], all_or_none: bool, op: str,
           obj: str | None, ext_field: str | None) -> Response:
    results: list[dict[str, Any]] = []
    with emu.lock:
        stamp = emu.store.now()
        with emu.store.journal() as journal:
            try:
                for record in records:
                    try:
                        results.append(_one(emu, record, op, obj, ext_field, stamp))
                    except FieldError as exc:
                        rid = record.get("Id") if isinstance(record, dict) and op == "update" \
                            else None
                        failed: dict[str, Any] = {"id": rid, "success": False,
                                                  "errors": [exc.as_result()]}
                        if op == "upsert":
                            failed["created"] = False
                        results.append(failed)
            except JsonParseError as exc:
                emu.store.rollback(journal)
                return sf_error(400, "JSON_PARSER_ERROR", str(exc))
            if all_or_none and any(not r["success"] for r in results):
                emu.store.rollback(journal)
                for index, result in enumerate(results):
                    if result["success"]:
                        results[index] = {"id": None, "success": False,
                                          "errors": [dict(ROLLED_BACK)]}
                        if op == "upsert":
                            results[index]["created"] = False
    return json_response(results)


def _delete(emu: SalesforceEmulator, request: Request) -> Response:
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if not ids:
        return sf_error(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(ids) > MAX_RECORDS:
        return _too_many()
    all_or_none = _truthy(request.args.get("allOrNone", "false"))
    results: list[dict[str, Any]] = []
    with emu.lock:
        stamp = emu.store.now()
        with emu.store.journal() as journal:
            for rid in ids:
                objdef = emu.schema.by_prefix(rid[:3])
                try:
                    if objdef is None or emu.store.get(objdef.name, rid, True) is None:
                        raise FieldError("INVALID_CROSS_REFERENCE_KEY",
                                         "invalid cross reference id")
                    deleted = emu.store.delete(objdef.name, rid, stamp)
                    results.append({"id": deleted["Id"], "success": True, "errors": []})
                except FieldError as exc:
                    results.append({"id": rid, "success": False, "errors": [exc.as_result()]})
            if all_or_none and any(not r["success"] for r in results):
                emu.store.rollback(journal)
                for index, result in enumerate(results):
                    if result["success"]:
                        results[index] = {"id": result["id"], "success": False,
                                          "errors": [dict(ROLLED_BACK)]}
    return json_response(results)


def _retrieve(emu: SalesforceEmulator, request: Request, version: str,
              parts: list[str]) -> Response:
    objdef = emu.schema.obj(parts[0]) if parts else None
    if objdef is None:
        return not_found()
    if request.method == "POST":
        body = request.get_json(silent=True, force=True) or {}
        ids, fields = list(body.get("ids") or []), list(body.get("fields") or [])
    else:
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        fields = [f for f in request.args.get("fields", "").split(",") if f]
    if len(ids) > 2000 or (request.method == "GET" and len(ids) > 800):
        return _too_many()
    unknown = [f for f in fields if f not in objdef.fields]
    if not fields or unknown:
        name = unknown[0] if unknown else "fields"
        return sf_error(400, "INVALID_FIELD",
                        f"No such column '{name}' on sobject of type {objdef.name}")
    with emu.lock:
        rows = [emu.store.get(objdef.name, rid) for rid in ids]
    return json_response([full_row(r, objdef.name, version, fields) if r else None
                          for r in rows])
