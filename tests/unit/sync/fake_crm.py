"""An in-memory CRM behind the Connector protocol: a fake of our own interface for engine unit tests.

It speaks the shipped HubSpot mapping's shapes (object types, EQ filters, associations) and
counts reads and writes so tests can assert "nothing written".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prm_sync.connector import (
    ApiUsage,
    Capabilities,
    CrmRecord,
    Cursor,
    Deletion,
    FieldInfo,
    FieldKind,
    Outcome,
    Page,
    PushRecord,
    UpsertResult,
)
from prm_sync.mapping import EntityMapper


@dataclass
class FakeRecord:
    object: str
    crm_id: str
    fields: dict[str, Any]
    modstamp: dt.datetime
    associations: dict[str, set[str]] = field(default_factory=dict)  # object type -> ids
    archived_at: dt.datetime | None = None


class FakeCrm:
    crm = "hubspot"
    capabilities = Capabilities()

    def __init__(self, clock: Callable[[], dt.datetime], page_size: int = 100) -> None:
        self.clock = clock
        self.page_size = page_size
        self.records: dict[str, FakeRecord] = {}
        self.ids = itertools.count(1000)
        self.reads = 0
        self.writes = 0
        self.reject: Callable[[str, dict[str, Any]], str | None] = lambda _obj, _fields: None

    # -- helpers for tests -------------------------------------------------------------------
    def create(self, obj: str, fields: dict[str, Any], associations: dict[str, set[str]] | None = None) -> str:
        crm_id = str(next(self.ids))
        self.records[crm_id] = FakeRecord(obj, crm_id, dict(fields), self.clock(), associations or {})
        return crm_id

    def modify(self, crm_id: str, **fields: Any) -> None:
        rec = self.records[crm_id]
        rec.fields.update(fields)
        rec.modstamp = self.clock()

    def archive(self, crm_id: str) -> None:
        self.records[crm_id].archived_at = self.clock()

    def live(self, obj: str) -> list[FakeRecord]:
        return [r for r in self.records.values() if r.object == obj and r.archived_at is None]

    # -- the Connector protocol ----------------------------------------------------------------
    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        return {f.crm: FieldInfo(name=f.crm, type="string", kind=FieldKind.STRING) for f in mapper.fields}

    def _matches(self, mapper: EntityMapper, rec: FakeRecord) -> bool:
        if rec.object != mapper.object:
            return False
        return all(str(rec.fields.get(f.property)) == str(f.value) for f in (mapper.filter or []))

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        def wanted(r: FakeRecord) -> bool:
            after = since is None or (r.modstamp, r.crm_id) >= (since.modstamp, since.record_id)
            return r.archived_at is None and self._matches(mapper, r) and r.modstamp <= until and after

        rows = sorted((r for r in self.records.values() if wanted(r)), key=lambda r: (r.modstamp, r.crm_id))
        self.reads += 1
        if not rows:
            yield Page([], None)
            return
        for start in range(0, len(rows), self.page_size):
            if start:
                self.reads += 1
            chunk = rows[start:start + self.page_size]
            records = [
                CrmRecord(r.crm_id, r.modstamp, dict(r.fields),
                          {ref.name: tuple(sorted(r.associations.get(ref.association, set())))
                           for ref in mapper.references if ref.association})
                for r in chunk
            ]
            yield Page(records, Cursor(chunk[-1].modstamp, chunk[-1].crm_id))

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        self.reads += 1
        for r in self.records.values():
            if r.archived_at is not None and r.object == mapper.object and (since is None or r.archived_at >= since):
                yield Deletion(r.crm_id, r.archived_at, r.fields.get(mapper.crm_key or ""))

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        self.writes += 1
        out = []
        now = self.clock()
        for push in records:
            problem = self.reject(mapper.object, dict(push.fields))
            if problem:
                out.append(UpsertResult(push.key, Outcome.REJECTED, push.crm_id, problem))
                continue
            target = self.records.get(push.crm_id) if push.crm_id else next(
                (r for r in self.live(mapper.object) if r.fields.get(mapper.crm_key or "") == push.key), None)
            if target is None:
                crm_id = str(next(self.ids))
                target = self.records[crm_id] = FakeRecord(mapper.object, crm_id, {}, now)
                outcome = Outcome.CREATED
            else:
                outcome = Outcome.UPDATED
            target.fields.update(push.fields)
            target.modstamp = now
            for ref in mapper.references:
                if ref.association and ref.name in push.associations and push.associations[ref.name]:
                    target.associations.setdefault(ref.association, set()).add(push.associations[ref.name])
            out.append(UpsertResult(push.key, outcome, target.crm_id))
        return out

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        self.writes += 1
        for crm_id in crm_ids:
            self.records[crm_id].archived_at = self.clock()
        return [UpsertResult(i, Outcome.DELETED, i) for i in crm_ids]

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.reads + self.writes)

    def close(self) -> None:
        pass
