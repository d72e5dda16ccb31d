"""The prm-sync connector of MemCRM: the Connector protocol over the JSON state file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from memcrm.settings import MemSettings
from memcrm.store import State
from prm_sync.connector import (
    ApiUsage,
    Capabilities,
    CrmRecord,
    CrmUnavailable,
    Cursor,
    DailyBudget,
    Deletion,
    EntityMapper,
    FieldInfo,
    FieldKind,
    Outcome,
    Page,
    PushRecord,
    RetryPolicy,
    TransientCrmError,
    UpsertResult,
)

T = TypeVar("T")
BATCH = 100       # MemCRM's API takes at most 100 records a call
PAGE = 100
#: MemCRM's own schema: object -> field -> (kind, picklist values)
SCHEMA: dict[str, dict[str, tuple[FieldKind, tuple[str, ...]]]] = {
    "partners": {
        "kind": (FieldKind.STRING, ()), "prm_id": (FieldKind.STRING, ()), "name": (FieldKind.STRING, ()),
        "tier": (FieldKind.STRING, ("registered", "silver", "gold", "platinum")),
        "status": (FieldKind.STRING, ("prospect", "onboarding", "active", "suspended", "terminated")),
        "phone": (FieldKind.STRING, ()), "website": (FieldKind.URL, ()), "joined": (FieldKind.DATE, ()),
    },
    "registrations": {
        "kind": (FieldKind.STRING, ()), "prm_id": (FieldKind.STRING, ()), "company": (FieldKind.STRING, ()),
        "last_name": (FieldKind.STRING, ()), "email": (FieldKind.EMAIL, ()),
        "status": (FieldKind.STRING, ("submitted", "approved", "rejected", "converted", "won", "lost", "expired")),
        "partner_ref": (FieldKind.STRING, ()),
    },
}


class MemConnector:
    crm = "memcrm"
    capabilities = Capabilities()

    def __init__(self, settings: MemSettings, *, retry: RetryPolicy, daily_api_budget: int | None) -> None:
        self.settings = settings
        self.retry = retry
        self.budget = DailyBudget("MemCRM", configured=daily_api_budget)

    # -- one API call: budget, faults, credentials, retries ----------------------------------------
    def _call(self, work: Callable[[State], T], *, write: bool = False) -> T:
        def attempt() -> T:
            self.budget.before_call()
            state = State(Path(self.settings.state_file))
            state.calls += 1
            state.save()
            if state.down:
                raise TransientCrmError("MemCRM answered HTTP 503", status=503)
            if state.api_key != self.settings.api_key:
                raise CrmUnavailable("MemCRM refused the API key (check crm.memcrm.api_key)")
            result = work(state)
            if write:
                state.save()
            return result

        try:
            return self.retry.call(attempt)
        except TransientCrmError as exc:
            raise CrmUnavailable(f"MemCRM unreachable after {self.retry.attempts} attempts: {exc}") from exc

    @staticmethod
    def _selected(mapper: EntityMapper, record: dict[str, Any]) -> bool:
        if mapper.filter is None:
            return True
        name, _, value = str(mapper.filter).partition("=")
        return str(record["fields"].get(name.strip())) == value.strip()

    # -- the Connector protocol -----------------------------------------------------------------------
    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        def work(_state: State) -> dict[str, FieldInfo]:
            return {name: FieldInfo(name=name, type=kind.value, kind=kind, options=options,
                                    unique_key=name == "prm_id")
                    for name, (kind, options) in SCHEMA.get(mapper.object, {}).items()}
        return self._call(work)

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        position = (since.modstamp, since.record_id) if since else None
        while True:
            def work(state: State, after: tuple[dt.datetime, str] | None = position) -> list[dict[str, Any]]:
                rows = sorted(
                    (r for r in state.table(mapper.object).values()
                     if r["archived_at"] is None and self._selected(mapper, r)
                     and dt.datetime.fromisoformat(r["modstamp"]) <= until
                     and (after is None or (dt.datetime.fromisoformat(r["modstamp"]), r["id"]) >= after)),
                    key=lambda r: (r["modstamp"], r["id"]))
                return rows[:PAGE + 1]
            rows = self._call(work)
            page, more = rows[:PAGE], len(rows) > PAGE
            records = [CrmRecord(crm_id=r["id"], modstamp=dt.datetime.fromisoformat(r["modstamp"]),
                                 fields=dict(r["fields"])) for r in page]
            cursor = Cursor(records[-1].modstamp, records[-1].crm_id) if records else since
            yield Page(records, cursor)
            if not more:
                return
            nxt = rows[PAGE]
            position = (dt.datetime.fromisoformat(nxt["modstamp"]), nxt["id"])

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        def work(state: State) -> list[Deletion]:
            gone = [r for r in state.table(mapper.object).values() if r["archived_at"] is not None
                    and (since is None or dt.datetime.fromisoformat(r["archived_at"]) >= since)]
            return [Deletion(r["id"], dt.datetime.fromisoformat(r["archived_at"]),
                             r["fields"].get(mapper.crm_key) if mapper.crm_key else None) for r in gone]
        yield from self._call(work)

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        out: list[UpsertResult] = []
        for start in range(0, len(records), BATCH):
            chunk = records[start:start + BATCH]
            out += self._call(lambda state, c=chunk: [self._write(state, mapper, r) for r in c], write=True)
        return out

    def _write(self, state: State, mapper: EntityMapper, push: PushRecord) -> UpsertResult:
        schema = SCHEMA.get(mapper.object, {})
        for name, value in push.fields.items():
            if name not in schema:
                return UpsertResult(push.key, Outcome.REJECTED, push.crm_id, f"no field '{name}' on {mapper.object}")
            options = schema[name][1]
            if options and value is not None and value not in options:
                return UpsertResult(push.key, Outcome.REJECTED, push.crm_id,
                                    f"{name}: '{value}' is not one of {', '.join(options)}")
        fields = {k: v for k, v in push.fields.items()}
        table = state.table(mapper.object)
        if push.crm_id is not None:
            target = table.get(push.crm_id)
            if target is None or target["archived_at"] is not None:
                return UpsertResult(push.key, Outcome.REJECTED, push.crm_id, f"no record {push.crm_id}")
            state.update(mapper.object, push.crm_id, fields)
            return UpsertResult(push.key, Outcome.UPDATED, push.crm_id)
        key = mapper.crm_key or "prm_id"
        found = next((r for r in table.values() if r["archived_at"] is None and r["fields"].get(key) == push.key),
                     None)
        if found is not None:
            state.update(mapper.object, found["id"], fields)
            return UpsertResult(push.key, Outcome.UPDATED, found["id"])
        created = state.create(mapper.object, fields)
        return UpsertResult(push.key, Outcome.CREATED, created["id"])

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        out: list[UpsertResult] = []
        for start in range(0, len(crm_ids), BATCH):
            chunk = crm_ids[start:start + BATCH]
            out += self._call(lambda state, c=chunk: [self._archive(state, mapper, i) for i in c], write=True)
        return out

    @staticmethod
    def _archive(state: State, mapper: EntityMapper, crm_id: str) -> UpsertResult:
        if not (crm_id.startswith("M") and crm_id[1:].isdigit()):
            return UpsertResult(crm_id, Outcome.INVALID, None, f"'{crm_id}' is not a MemCRM id")
        record = state.table(mapper.object).get(crm_id)
        if record is None or record["archived_at"] is not None:
            return UpsertResult(crm_id, Outcome.ALREADY_GONE, crm_id)
        record["archived_at"] = record["modstamp"] = state.tick()
        return UpsertResult(crm_id, Outcome.DELETED, crm_id)

    def usage(self) -> ApiUsage:
        return self.budget.usage()

    def close(self) -> None:
        pass
