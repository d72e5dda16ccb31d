"""Record store: per object type a dict of records, unique-value indexes and a write version.

The store does no validation (routes validate whole batches first); it keeps the server-side
properties (hs_object_id, createdate, the modified date, deal calculated properties) right.
Archiving keeps the record (with ``archived_ms``) and does not change its modified date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from connectors.hubspot.emulator.schema import ObjectTypeDef, PortalSchema
from connectors.hubspot.emulator.values import iso_ms


@dataclass(slots=True)
class Record:
    id: int
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    archived_ms: int | None = None

    @property
    def archived(self) -> bool:
        return self.archived_ms is not None

    def snapshot(self) -> Record:
        return Record(
            self.id, dict(self.properties), self.created_ms, self.updated_ms, self.archived_ms
        )


@dataclass
class TypeTable:
    """All records of one object type."""

    object_type: ObjectTypeDef
    records: dict[int, Record] = field(default_factory=dict)
    unique: dict[str, dict[str, int]] = field(default_factory=dict)  # prop -> value -> id
    version: int = 0

    def __post_init__(self) -> None:
        self.unique_names = tuple(self.object_type.unique_properties)

    def refresh_unique(self) -> None:
        """After properties were created: index the unique ones (existing records hold no value yet)."""
        self.unique_names = tuple(self.object_type.unique_properties)
        for record in self.records.values():
            self._index(record)

    def active(self) -> Iterator[Record]:
        return (r for r in self.records.values() if r.archived_ms is None)

    def find_unique(self, prop: str, value: str) -> Record | None:
        record_id = self.unique.get(prop, {}).get(value)
        return None if record_id is None else self.records.get(record_id)

    def _index(self, record: Record, old: dict[str, str] | None = None) -> None:
        for prop in self.unique_names:
            index = self.unique.setdefault(prop, {})
            if old is not None and prop in old and index.get(old[prop]) == record.id:
                del index[old[prop]]
            value = record.properties.get(prop)
            if value is not None and record.archived_ms is None:
                index[value] = record.id


def derive_calculated(object_type: ObjectTypeDef, properties: dict[str, str], schema: PortalSchema) -> None:
    """Deals: hs_is_closed_won / hs_is_closed follow dealstage (its pipeline stage's metadata)."""
    if object_type.name != "deals" or "hs_is_closed" not in object_type.properties:
        return
    stage = properties.get("dealstage")
    properties["hs_is_closed_won"] = "true" if stage in schema.won_stages else "false"
    properties["hs_is_closed"] = "true" if stage in schema.closed_stages else "false"


class RecordStore:
    """Records of every object type of a portal. Callers hold the emulator lock."""

    def __init__(self, schema: PortalSchema, first_id: int = 1001) -> None:
        self.schema = schema
        self.tables: dict[str, TypeTable] = {
            name: TypeTable(object_type) for name, object_type in schema.object_types.items()
        }
        self._next_id = first_id

    def add_type(self, object_type: ObjectTypeDef) -> None:
        """A custom object type created through the schemas API."""
        self.tables[object_type.name] = TypeTable(object_type)

    def table(self, object_type: ObjectTypeDef) -> TypeTable:
        return self.tables[object_type.name]

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def create(
        self, object_type: ObjectTypeDef, values: dict[str, str | None], now_ms: int
    ) -> Record:
        record_id = self.next_id()
        stamp = iso_ms(now_ms)
        properties = {k: v for k, v in values.items() if v is not None}
        properties["hs_object_id"] = str(record_id)
        properties["createdate"] = stamp
        properties[object_type.modified_property] = stamp
        if object_type.name == "contacts":
            properties["hs_lastmodifieddate"] = stamp
        derive_calculated(object_type, properties, self.schema)
        record = Record(record_id, properties, now_ms, now_ms)
        table = self.table(object_type)
        table.records[record_id] = record
        table._index(record)
        table.version += 1
        return record

    def update(
        self, object_type: ObjectTypeDef, record: Record, values: dict[str, str | None],
        now_ms: int,
    ) -> Record:
        """Apply values; the modified date moves even when nothing changed (as in HubSpot)."""
        old = dict(record.properties)
        for name, value in values.items():
            if value is None:
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        stamp = iso_ms(now_ms)
        record.updated_ms = now_ms
        record.properties[object_type.modified_property] = stamp
        if object_type.name == "contacts":
            record.properties["hs_lastmodifieddate"] = stamp
        derive_calculated(object_type, record.properties, self.schema)
        table = self.table(object_type)
        table._index(record, old)
        table.version += 1
        return record

    def archive(self, object_type: ObjectTypeDef, record: Record, now_ms: int) -> None:
        if record.archived_ms is not None:
            return
        record.archived_ms = now_ms
        table = self.table(object_type)
        for prop in object_type.unique_properties:
            value = record.properties.get(prop)
            if value is not None and table.unique.get(prop, {}).get(value) == record.id:
                del table.unique[prop][value]
        table.version += 1

    def add_loaded(self, object_type: ObjectTypeDef, record: Record) -> None:
        """Insert a record as-is (seed file, generator); keeps the id counter ahead."""
        table = self.table(object_type)
        table.records[record.id] = record
        table._index(record)
        table.version += 1
        self._next_id = max(self._next_id, record.id + 1)

    # ---- dump / load -------------------------------------------------------------------
    def dump(self) -> dict[str, list[dict[str, object]]]:
        return {
            name: [
                {
                    "id": r.id, "properties": r.properties, "createdMs": r.created_ms,
                    "updatedMs": r.updated_ms, "archivedMs": r.archived_ms,
                }
                for r in table.records.values()
            ]
            for name, table in self.tables.items()
        }

    def load(self, data: dict[str, list[dict[str, object]]]) -> None:
        for name, rows in data.items():
            object_type = self.schema.resolve(name)
            if object_type is None:
                raise ValueError(f"unknown object type in seed: {name}")
            for row in rows:
                archived = row.get("archivedMs")
                self.add_loaded(object_type, Record(
                    int(row["id"]),  # type: ignore[call-overload]
                    {str(k): str(v) for k, v in dict(row["properties"]).items()},  # type: ignore[call-overload]
                    int(row["createdMs"]),  # type: ignore[call-overload]
                    int(row["updatedMs"]),  # type: ignore[call-overload]
                    None if archived is None else int(archived),  # type: ignore[call-overload]
                ))
