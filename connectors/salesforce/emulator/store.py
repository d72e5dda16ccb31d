"""Record store of the Salesforce emulator: typed records, ids, unique indexes, modstamps.

Every write takes the ``stamp`` of its DML call (one per request), so all rows written by one
call share one ``SystemModstamp``. ``journal()`` records before-images so an ``allOrNone``
request can be rolled back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from connectors.salesforce.emulator.schema import NUMBER_TYPES, FieldDef, ObjectDef, Schema
from connectors.salesforce.emulator.values import (
    FieldError,
    coerce,
    make_id,
    out_value,
    parse_datetime,
    to_id18,
)

Record = dict[str, Any]
Clock = Callable[[], dt.datetime]
FIRST_ID_NUMBER = 9_000_000_000
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}


def default_clock() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class MultipleMatches(Exception):
    def __init__(self, ids: list[str]):
        super().__init__(f"{len(ids)} records match")
        self.ids = ids


class Store:
    def __init__(self, schema: Schema, clock: Clock = default_clock) -> None:
        self.schema = schema
        self.clock = clock
        self.records: dict[str, dict[str, Record]] = {name: {} for name in schema.objects}
        self.next_number: dict[str, int] = dict.fromkeys(schema.objects, FIRST_ID_NUMBER)
        self.autonumber: dict[str, int] = dict.fromkeys(schema.objects, 0)
        self._unique: dict[str, dict[str, dict[str, str]]] = {}
        self._journal: list[tuple[str, str, Record | None]] | None = None
        #: per object, bumped on every change of its rows (keeps derived orderings honest)
        self.version: dict[str, int] = dict.fromkeys(schema.objects, 0)
        self._rebuild_indexes()

    # ----- reading ------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """One DML stamp: the clock, truncated to milliseconds, in UTC."""
        now = self.clock().astimezone(dt.UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def obj(self, name: str) -> ObjectDef | None:
        return self.schema.obj(name)

    def get(self, obj: str, record_id: str, include_deleted: bool = False) -> Record | None:
        record = self.records.get(obj, {}).get(to_id18(record_id))
        if record is None or (record["IsDeleted"] and not include_deleted):
            return None
        return record

    def lookup(self, obj: str, record_id: Any) -> Record | None:
        return self.get(obj, record_id) if isinstance(record_id, str) else None

    def canonical_keys(self, obj: str, data: dict[str, Any]) -> dict[str, Any]:
        """`data` with each field named as the org spells it (API names are case-insensitive)."""
        objdef = self.schema.objects[obj]
        out: dict[str, Any] = {}
        for key, value in data.items():
            fdef = objdef.field(key) if key != "attributes" else None
            out[fdef.name if fdef is not None else key] = value
        return out

    def find_by(self, obj: str, field: str, value: Any) -> list[str]:
        """Ids of live rows whose ``field`` equals ``value`` (case-insensitive for text)."""
        if value is None:
            return []
        index = self._unique.get(obj, {}).get(field)
        if index is not None:
            found = index.get(str(value).casefold())
            return [found] if found else []
        wanted = str(value).casefold()
        return [
            rid
            for rid, r in self.records[obj].items()
            if not r["IsDeleted"] and r.get(field) is not None and str(r[field]).casefold() == wanted
        ]

    def all_records(self, obj: str) -> list[Record]:
        return list(self.records[obj].values())

    # ----- journal (allOrNone) -------------------------------------------------------------
    @contextlib.contextmanager
    def journal(self) -> Iterator[list[tuple[str, str, Record | None]]]:
        entries: list[tuple[str, str, Record | None]] = []
        outer, self._journal = self._journal, entries
        try:
            yield entries
        finally:
            self._journal = outer
            if outer is not None:
                outer.extend(entries)

    def rollback(self, entries: list[tuple[str, str, Record | None]]) -> None:
        for obj, rid, before in reversed(entries):
            current = self.records[obj].get(rid)
            if current is not None:
                self._unindex(obj, current)
            if before is None:
                self.records[obj].pop(rid, None)
            else:
                self.records[obj][rid] = before
                self.index(obj, before)

    def _remember(self, obj: str, rid: str, before: Record | None) -> None:
        if self._journal is not None:
            self._journal.append((obj, rid, dict(before) if before is not None else None))

    def add_object(self, name: str) -> None:
        """Make room for the rows of an object created after start (Tooling API CustomObject)."""
        self.records.setdefault(name, {})
        self.next_number.setdefault(name, FIRST_ID_NUMBER)
        self.autonumber.setdefault(name, 0)
        self.version.setdefault(name, 0)

    # ----- indexes ------------------------------------------------------------------------
    def _unique_fields(self, obj: str) -> list[str]:
        return [f.name for f in self.schema.objects[obj].fields.values() if f.unique]

    def _rebuild_indexes(self) -> None:
        for name in self.schema.objects:
            self.version[name] = self.version.get(name, 0) + 1
        self._unique = {name: {f: {} for f in self._unique_fields(name)} for name in self.schema.objects}
        for name, rows in self.records.items():
            if name not in self._unique:
                continue    # a custom object the user may not see (field-level security: emulator/tooling.py)
            for record in rows.values():
                self.index(name, record)

    def index(self, obj: str, record: Record) -> None:
        self.version[obj] += 1
        if record["IsDeleted"]:
            return
        for field, index in self._unique[obj].items():
            value = record.get(field)
            if value is not None:
                index[str(value).casefold()] = record["Id"]

    def _unindex(self, obj: str, record: Record) -> None:
        self.version[obj] += 1
        for field, index in self._unique[obj].items():
            value = record.get(field)
            if value is not None and index.get(str(value).casefold()) == record["Id"]:
                del index[str(value).casefold()]

    # ----- validation -----------------------------------------------------------------------
    def prepare(self, objdef: ObjectDef, data: dict[str, Any], creating: bool) -> Record:
        """Validate written fields -> typed values. Raises FieldError / JsonParseError."""
        values: Record = {}
        for key, raw in data.items():
            if key == "attributes":
                continue
            fdef = objdef.field(key)
            if fdef is None and isinstance(raw, dict):
                fdef = objdef.relationship(key)
                if fdef is not None:
                    values[fdef.name] = self._resolve_foreign(fdef, raw)
                    continue
            if fdef is None:
                raise FieldError("INVALID_FIELD", f"No such column '{key}' on sobject of type {objdef.name}", [key])
            allowed = fdef.createable if creating else fdef.updateable
            if not allowed:
                raise FieldError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fdef.name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.",
                    [fdef.name],
                )
            value = coerce(fdef, raw)
            if fdef.type == "reference" and value is not None:
                self._check_reference(fdef, value)
            values[fdef.name] = value
        return values

    def _check_reference(self, fdef: FieldDef, value: str) -> None:
        prefixes = {self.schema.objects[o].key_prefix for o in fdef.reference_to if o in self.schema.objects}
        if prefixes and value[:3] not in prefixes:
            raise FieldError(
                "FIELD_INTEGRITY_EXCEPTION", f"{fdef.label}: id value of incorrect type: {value}", [fdef.name]
            )

    def _resolve_foreign(self, fdef: FieldDef, ref: dict[str, Any]) -> str:
        target = fdef.reference_to[0]
        keys = [k for k in ref if k != "attributes"]
        if len(keys) != 1:
            raise FieldError("INVALID_FIELD", f"Invalid foreign key reference for {fdef.name}", [fdef.name])
        ids = self.find_by(target, keys[0], ref[keys[0]])
        if len(ids) != 1:
            raise FieldError(
                "INVALID_FIELD",
                f"Foreign key external ID: {ref[keys[0]]} not found for field {keys[0]} in entity {target}",
                [fdef.name],
            )
        return ids[0]

    def _check_required(self, objdef: ObjectDef, record: Record) -> None:
        missing = [
            f.name for f in objdef.fields.values() if not f.nillable and f.createable and record.get(f.name) is None
        ]
        if missing:
            raise FieldError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)

    def _check_unique(self, obj: str, record: Record) -> None:
        for field, index in self._unique[obj].items():
            value = record.get(field)
            if value is None:
                continue
            owner = index.get(str(value).casefold())
            if owner is not None and owner != record["Id"]:
                raise FieldError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field} duplicates value on record with id: {owner}",
                    [field],
                )

    @staticmethod
    def _derive(objdef: ObjectDef, record: Record) -> None:
        if objdef.name in ("Lead", "Contact") and "Name" in objdef.fields:
            parts = (record.get("FirstName"), record.get("LastName"))
            record["Name"] = " ".join(p for p in parts if p) or None
        if objdef.name == "Opportunity" and "StageName" in objdef.fields:
            stage = record.get("StageName")
            record["IsClosed"] = stage in CLOSED_STAGES
            record["IsWon"] = CLOSED_STAGES.get(stage, False)

    # ----- writing ------------------------------------------------------------------------
    def insert(self, obj: str, data: dict[str, Any], stamp: dt.datetime) -> Record:
        objdef = self.schema.objects[obj]
        if "Id" in data:
            raise FieldError("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"])
        values = self.prepare(objdef, data, creating=True)
        record: Record = {}
        for fdef in objdef.fields.values():
            if fdef.default_value is not None:
                record[fdef.name] = fdef.default_value
            elif fdef.type == "boolean":
                record[fdef.name] = False
        record.update(values)
        number = self.next_number[obj]
        record.update(
            Id=make_id(objdef.key_prefix, number),
            IsDeleted=False,
            CreatedDate=stamp,
            LastModifiedDate=stamp,
            SystemModstamp=stamp,
        )
        if objdef.autonumber_format and record.get("Name") is None:
            self.autonumber[obj] += 1
            record["Name"] = objdef.autonumber_format.format(self.autonumber[obj])
        self._derive(objdef, record)
        self._check_required(objdef, record)
        self._check_unique(obj, record)
        self.next_number[obj] = number + 1
        self._remember(obj, record["Id"], None)
        self.records[obj][record["Id"]] = record
        self.index(obj, record)
        return record

    def update(self, obj: str, record_id: str, data: dict[str, Any], stamp: dt.datetime) -> Record:
        objdef = self.schema.objects[obj]
        current = self.get(obj, record_id, include_deleted=True)
        if current is None:
            raise FieldError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if current["IsDeleted"]:
            raise FieldError("ENTITY_IS_DELETED", "entity is deleted")
        values = self.prepare(objdef, {k: v for k, v in data.items() if k != "Id"}, creating=False)
        updated = {**current, **values, "LastModifiedDate": stamp, "SystemModstamp": stamp}
        self._derive(objdef, updated)
        self._check_required(objdef, updated)
        self._check_unique(obj, updated)
        self._remember(obj, current["Id"], current)
        self._unindex(obj, current)
        self.records[obj][current["Id"]] = updated
        self.index(obj, updated)
        return updated

    def upsert(
        self, obj: str, ext_field: str, ext_value: Any, data: dict[str, Any], stamp: dt.datetime
    ) -> tuple[Record, bool]:
        """Returns (record, created). Raises MultipleMatches when several rows match."""
        ids = self.find_by(obj, ext_field, ext_value)
        if len(ids) > 1:
            raise MultipleMatches(ids)
        body = {k: v for k, v in data.items() if k != ext_field or ids}
        if ids:
            return self.update(obj, ids[0], body, stamp), False
        if ext_field != "Id":
            body[ext_field] = ext_value
        return self.insert(obj, body, stamp), True

    def delete(self, obj: str, record_id: str, stamp: dt.datetime) -> Record:
        current = self.get(obj, record_id, include_deleted=True)
        if current is None:
            raise FieldError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if current["IsDeleted"]:
            raise FieldError("ENTITY_IS_DELETED", "entity is deleted")
        self._remember(obj, current["Id"], current)
        self._unindex(obj, current)
        deleted = {**current, "IsDeleted": True, "SystemModstamp": stamp}
        self.records[obj][current["Id"]] = deleted
        return deleted

    # ----- dump / load ----------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        objects = {}
        for name, rows in self.records.items():
            objects[name] = [{k: _dump_value(v) for k, v in r.items()} for r in rows.values()]
        return {
            "format": "prm-sync-salesforce-emulator/1",
            "objects": objects,
            "next_number": dict(self.next_number),
            "autonumber": dict(self.autonumber),
        }

    def load(self, state: dict[str, Any]) -> None:
        names = set(self.records) | set(self.schema.objects)
        self.records = {name: {} for name in names}
        self.next_number = dict.fromkeys(names, FIRST_ID_NUMBER)
        self.autonumber = dict.fromkeys(names, 0)
        for name, rows in state.get("objects", {}).items():
            objdef = self.schema.objects[name]
            for row in rows:
                record = {k: _load_value(objdef.fields.get(k), v) for k, v in row.items()}
                self.records[name][record["Id"]] = record
            self.next_number[name] = FIRST_ID_NUMBER + len(rows)
        self.next_number.update(state.get("next_number", {}))
        self.autonumber.update(state.get("autonumber", {}))
        self._rebuild_indexes()


def _dump_value(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else out_value(value)


def _load_value(fdef: FieldDef | None, value: Any) -> Any:
    if value is None or fdef is None:
        return value
    if fdef.type == "datetime":
        return parse_datetime(value)
    if fdef.type == "date":
        return dt.date.fromisoformat(value)
    if fdef.type in NUMBER_TYPES:
        return Decimal(str(value))
    return value
