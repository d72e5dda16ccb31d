"""Batch upsert by the unique `crm_key` property (idProperty), 100 a call; batch update by id for
records the CRM already has (PushRecord.crm_id); archive.

HubSpot fails a whole batch with 400 when one input is invalid (bad option, number, date, a
unique-value clash). The batch is then split to isolate the bad record(s): when HubSpot names
the input (``context.inputIndex``) that one is sent alone, otherwise the batch is bisected.
The others land; the bad one is REJECTED with HubSpot's own message. Results of a batch do not
come back in input order: they are matched by the key property.

Associations of pushed records (PushRecord.associations: reference name -> target CRM id) are
written after the upsert with v4 batch create, only where missing: records just created have
none; for updated ones the current associations are read first (one call per 1,000), and an
association to another target of the same type is archived (the reference changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from connectors.hubspot import associations
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.contact_adoption import CONTACTS, find_existing_contacts
from connectors.hubspot.errors import HubSpotMissingProperty, HubSpotRequestError, error_message
from connectors.hubspot.objects import ObjectTypes
from connectors.hubspot.pull import cursor_id, from_ms, parse_time, to_ms
from prm_sync.connector import (
    Cursor,
    EntityMapper,
    Outcome,
    PushRecord,
    UpsertResult,
    float_refused,
    format_datetime,
    format_decimal,
)

BATCH = 100


class NotSendable(ValueError):
    """A value HubSpot cannot be sent exactly (caught before any call: INVALID)."""


def wire_value(value: Any) -> str:
    """A neutral value as HubSpot's property text. None clears the property ("")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NotSendable(f"{value} is not a finite number")
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        raise NotSendable(float_refused(value))
    raise NotSendable(f"cannot send a {type(value).__name__} value")


@dataclass
class _Item:
    index: int
    record: PushRecord
    properties: dict[str, str]


class Pusher:
    def __init__(self, client: HubSpotClient, types: ObjectTypes, mapper: EntityMapper) -> None:
        self.client = client
        self.types = types
        self.mapper = mapper
        self.object_type = types.path_name(mapper.object)

    # ---- upsert ---------------------------------------------------------------------------
    def upsert(self, records: Sequence[PushRecord]) -> list[UpsertResult]:
        results: list[UpsertResult | None] = [None] * len(records)
        items: list[_Item] = []
        for index, record in enumerate(records):
            problem, properties = self._prepare(record)
            if problem is not None:
                results[index] = UpsertResult(record.key, Outcome.INVALID, record.crm_id, problem)
            else:
                items.append(_Item(index, record, properties))
        adopted: set[str] = set()
        if self.object_type == CONTACTS:  # one contact per email: adopt the existing one (contact_adoption)
            adoption = find_existing_contacts(self.client, str(self.mapper.crm_key),
                                              [(item.index, item.record) for item in items])
            for item in items:
                if item.index in adoption.refused:
                    results[item.index] = UpsertResult(item.record.key, Outcome.REJECTED, None,
                                                       adoption.refused[item.index])
                elif item.index in adoption.adopt:
                    item.record = replace(item.record, crm_id=adoption.adopt[item.index])
                    adopted.add(adoption.adopt[item.index])
            items = [item for item in items if item.index not in adoption.refused]
            records = [replace(r, crm_id=adoption.adopt[i]) if i in adoption.adopt else r
                       for i, r in enumerate(records)]
        # A record the CRM already has (crm_id known) is updated by its id: that is how the PRM key is
        # written back to records created in HubSpot, which an upsert by key would duplicate.
        for by_id in (False, True):
            group = [item for item in items if bool(item.record.crm_id) is by_id]
            for batch in self._batches(group):
                for item, result in self._send(batch, by_id):
                    results[item.index] = result
        self._associate(records, results, adopted)
        return [r for r in results if r is not None]

    def _prepare(self, record: PushRecord) -> tuple[str | None, dict[str, str]]:
        key_name = self.mapper.crm_key
        if not key_name:
            return f"the mapping of {self.mapper.entity.value} has no crm_key to upsert by", {}
        if not record.key or not str(record.key).strip():
            return f"missing key ({key_name})", {}
        properties: dict[str, str] = {}
        for name, value in record.fields.items():
            if name == key_name:
                continue
            try:
                properties[name] = wire_value(value)
            except NotSendable as exc:
                return f"{name}: {exc}", {}
        for ref in self._association_refs():
            target = record.associations.get(ref.name)
            if target is not None and not str(target).isdigit():
                return f"{ref.name}: {target!r} is not a HubSpot record id", {}
        return None, properties

    @staticmethod
    def _batches(items: list[_Item]) -> list[list[_Item]]:
        """Up to 100 a batch, never the same key twice in one (HubSpot refuses duplicates)."""
        batches: list[list[_Item]] = []
        current: list[_Item] = []
        keys: set[str] = set()
        for item in items:
            if len(current) >= BATCH or item.record.key in keys:
                batches.append(current)
                current, keys = [], set()
            current.append(item)
            keys.add(item.record.key)
        if current:
            batches.append(current)
        return batches

    def _send(self, batch: list[_Item], by_id: bool = False) -> list[tuple[_Item, UpsertResult]]:
        key_name = str(self.mapper.crm_key)
        try:
            if by_id:
                body = {"inputs": [{"id": str(item.record.crm_id),
                                    "properties": {**item.properties, key_name: item.record.key}} for item in batch]}
                answer = self.client.call(self.client.batch_api.update_with_http_info, self.object_type, body) or {}
            else:
                body = {"inputs": [
                    {"idProperty": key_name, "id": item.record.key, "properties": item.properties} for item in batch
                ]}
                answer = self.client.call(self.client.batch_api.upsert_with_http_info, self.object_type, body) or {}
        except HubSpotMissingProperty as exc:   # every record would fail: the mapping is wrong
            raise HubSpotMissingProperty(f"{self.mapper.object} has no field {exc.field} in the CRM "
                                         "(PROPERTY_DOESNT_EXIST)", status=exc.status, body=exc.body,
                                         crm_object=self.mapper.object, field=exc.field) from None
        except HubSpotRequestError as exc:
            return self._split(batch, exc, by_id)
        by_key = {str((row.get("properties") or {}).get(key_name)): row for row in answer.get("results") or []}
        rows_by_id = {str(row.get("id")): row for row in answer.get("results") or []}
        errors = answer.get("errors") or []
        out = []
        for item in batch:
            by_crm_id = rows_by_id.get(str(item.record.crm_id)) if item.record.crm_id else None
            row = by_crm_id or by_key.get(item.record.key)
            if row is None:
                message = "; ".join(str(e.get("message")) for e in errors if e.get("message"))
                out.append((item, UpsertResult(item.record.key, Outcome.REJECTED, item.record.crm_id,
                                               message or "HubSpot returned no result for this record")))
            else:
                outcome = Outcome.CREATED if row.get("new") and not item.record.crm_id else Outcome.UPDATED
                out.append((item, UpsertResult(item.record.key, outcome, str(row["id"]), position=_position(row))))
        return out

    def _split(self, batch: list[_Item], exc: HubSpotRequestError, by_id: bool = False,
               ) -> list[tuple[_Item, UpsertResult]]:
        if len(batch) == 1:
            item = batch[0]
            message = error_message(exc.body, exc.status) if exc.body else str(exc)
            return [(item, UpsertResult(item.record.key, Outcome.REJECTED, item.record.crm_id, message))]
        named = _input_index(exc.body, len(batch))
        if named is not None:
            parts = [[batch[named]], batch[:named] + batch[named + 1:]]
        else:
            middle = len(batch) // 2
            parts = [batch[:middle], batch[middle:]]
        return [pair for part in parts for pair in self._send(part, by_id)]

    # ---- associations ---------------------------------------------------------------------
    def _association_refs(self) -> list[Any]:
        return [r for r in self.mapper.references if r.association is not None and r.push]

    def _associate(self, records: Sequence[PushRecord], results: list[UpsertResult | None],
                   adopted: frozenset[str] | set[str] = frozenset()) -> None:
        """Write missing associations; `adopted` records (contacts found by email) keep the ones they
        have: the partner association is added beside them, nothing is read or archived."""
        for ref in self._association_refs():
            target_type = self.types.path_name(str(ref.association))
            category, type_id = self.types.association_type(self.mapper.object, str(ref.association),
                                                            ref.association_type)
            wanted: dict[str, tuple[int, str]] = {}
            updated: list[str] = []
            for index, (record, result) in enumerate(zip(records, results, strict=True)):
                target = record.associations.get(ref.name)
                if result is None or not result.ok or result.crm_id is None or target is None:
                    continue
                wanted[result.crm_id] = (index, str(target))
                if result.outcome == Outcome.UPDATED and result.crm_id not in adopted:
                    updated.append(result.crm_id)
            if not wanted:
                continue
            current = associations.read_targets(self.client, self.object_type, target_type, updated, type_id) \
                if updated else {}
            create = [(crm_id, t) for crm_id, (_, t) in wanted.items() if t not in current.get(crm_id, ())]
            stale = [(crm_id, old) for crm_id, (_, t) in wanted.items() if t not in current.get(crm_id, ())
                     for old in current.get(crm_id, ())]
            if stale:
                associations.archive(self.client, self.object_type, target_type, stale)
            failed = associations.create(self.client, self.object_type, target_type, create, category, type_id) \
                if create else {}
            for crm_id, message in failed.items():
                index, target = wanted[crm_id]
                results[index] = UpsertResult(records[index].key, Outcome.REJECTED, crm_id,
                                              f"{ref.name} -> {target}: {message}")

    # ---- archive ----------------------------------------------------------------------------
    def archive(self, crm_ids: Sequence[str]) -> list[UpsertResult]:
        results: list[UpsertResult] = []
        valid = [i for i in crm_ids if str(i).isdigit()]
        for start in range(0, len(valid), BATCH):
            chunk = valid[start:start + BATCH]
            self.client.call(self.client.batch_api.archive_with_http_info, self.object_type,
                             {"inputs": [{"id": i} for i in chunk]})
        for crm_id in crm_ids:
            if str(crm_id).isdigit():
                results.append(UpsertResult(str(crm_id), Outcome.DELETED, str(crm_id), "archived"))
            else:
                results.append(UpsertResult(str(crm_id), Outcome.INVALID, None, "not a HubSpot record id"))
        return results


def _input_index(body: Any, size: int) -> int | None:
    """The input HubSpot names as invalid (errors[].context.inputIndex), when it does."""
    for error in (body or {}).get("errors") or []:
        for raw in ((error.get("context") or {}).get("inputIndex") or []):
            if str(raw).isdigit() and int(raw) < size:
                return int(raw)
    return None


def _position(row: dict[str, Any]) -> Cursor | None:
    """Just past the written version in the change stream, from the answer's ``updatedAt``."""
    stamp = row.get("updatedAt") or (row.get("properties") or {}).get("hs_lastmodifieddate")
    if not stamp:
        return None
    return Cursor(from_ms(to_ms(parse_time(str(stamp)))), cursor_id(int(row["id"]) + 1))
