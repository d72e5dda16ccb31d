"""The Connector contract: what the sync engine needs from a CRM, in the PRM's vocabulary.

A connector reads changed records of one mapped entity since a compound cursor, reads deletions,
upserts batches by the entity's `crm_key`, and reports API usage. It speaks CRM wire formats
inside; here everything is records of CRM field -> value, cursors and outcomes.

Errors a connector raises (besides returning per-record outcomes):

    CrmError
    ├── TransientCrmError     429 / 5xx / connection drop / timeout: retried by prm_sync.sync.retry
    ├── MissingCrmField       the CRM lacks a field the mapping names (INVALID_FIELD,
    │                         PROPERTY_DOESNT_EXIST): a mapping problem, exit 2 at the mapping line
    ├── CrmUnavailable        (prm_sync.errors) unreachable after retries, or auth failed: exit 3
    └── BudgetExhausted       (prm_sync.errors) the CRM's or our daily limit: stop cleanly, resume later
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from prm_sync.mapping import EntityMapper


class CrmError(Exception):
    """Base of errors raised by connectors."""


class TransientCrmError(CrmError):
    """Worth retrying: rate limited, server error, dropped connection, timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class MissingCrmField(CrmError):
    """The CRM says a field the mapping names does not exist on `crm_object` (found mid-run)."""

    def __init__(self, message: str, *, crm_object: str = "", field: str = "") -> None:
        super().__init__(message)
        self.crm_object = crm_object
        self.field = field


@dataclass(frozen=True, order=True)
class Cursor:
    """Position in a CRM's change stream: (modified timestamp, record id), compared in that order."""

    modstamp: dt.datetime
    record_id: str = ""

    def __post_init__(self) -> None:
        if self.modstamp.tzinfo is None:
            raise ValueError("cursor timestamps must be timezone-aware")


@dataclass(frozen=True)
class CrmRecord:
    """One CRM record as read: its id, its modified time, and CRM field -> wire value.

    `associations` holds, for each mapped association reference (HubSpot), the CRM ids of the
    associated records of the target type (may be empty).
    """

    crm_id: str
    modstamp: dt.datetime
    fields: Mapping[str, Any]
    associations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    deleted: bool = False  # the change stream says it was deleted (Salesforce queryAll IsDeleted)


@dataclass(frozen=True)
class Page:
    """A page of changes, in (modstamp, id) order, and the cursor just past its last record."""

    records: Sequence[CrmRecord]
    cursor: Cursor | None


@dataclass(frozen=True)
class Deletion:
    """A record that left the CRM (Salesforce: deleted; HubSpot: archived)."""

    crm_id: str
    deleted_at: dt.datetime
    key: str | None = None  # the crm_key value (PRM id) when the CRM still tells it


@dataclass(frozen=True)
class PushRecord:
    """One record to write, with CRM field -> neutral value (the key field included).

    `crm_id` None: upsert by the entity's `crm_key` (= `key`, the PRM id); a retry after a crash
    finds the record by its key, so it is never created twice.
    `crm_id` given: update THAT CRM record by its CRM id (this is how the PRM id is written back
    to a record created in the CRM, which has no key yet; an upsert by key would duplicate it).
    A batch may mix both kinds; the connector splits it as its API requires.
    `associations` maps a mapped association reference name to the target's CRM id (HubSpot);
    None means "no association wanted".
    """

    key: str
    fields: Mapping[str, Any]
    crm_id: str | None = None
    associations: Mapping[str, str | None] = field(default_factory=dict)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    INVALID = "invalid"      # caught before sending (missing key, value the CRM cannot take)
    REJECTED = "rejected"    # refused by the CRM, with its message


@dataclass(frozen=True)
class UpsertResult:
    key: str
    outcome: Outcome
    crm_id: str | None = None
    message: str | None = None
    # Where the written version sits in the change stream, just past it, when the CRM's write
    # answer tells its modified time (HubSpot `updatedAt`; Salesforce collections do not).
    position: Cursor | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.CREATED, Outcome.UPDATED)


@dataclass(frozen=True)
class FieldInfo:
    """A CRM field as the CRM describes it (for `check --online` and `init --online`)."""

    name: str
    type: str                       # the CRM's own type word (string, picklist, enumeration, date, ...)
    kind: str                       # the closest PRM value type: string|int|decimal|bool|date|datetime|...
    label: str = ""
    createable: bool = True
    updateable: bool = True
    required: bool = False          # must be given on create (no default, not nillable)
    unique_key: bool = False        # usable as an upsert key (external id / unique property)
    options: tuple[str, ...] = ()   # picklist / enumeration values
    reference_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiUsage:
    calls: int                      # API calls this connector made since it was built
    used_today: int | None = None   # as the CRM reports it
    daily_limit: int | None = None


class SettledRechecks(Protocol):
    """A connector (with ``rechecks_settled_windows = True``) whose change read can also re-read
    one *settled* time window in the same requests (HubSpot: one more filter group of a search).

    The lookback exists because a CRM's change index lags its writes by up to `lookback`. With
    this, the engine re-reads each stretch of time once, when it has settled (older than the
    lookback), instead of re-reading the whole lookback window on every run; and it may move
    its cursor past prm-sync's own writes (`UpsertResult.position`), which the settled re-read
    covers should anyone else have written in between.
    """

    rechecks_settled_windows: bool

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime, *,
                     settled: tuple[dt.datetime, dt.datetime] | None = None) -> Iterator[Page]:
        """As Connector.read_changes, plus every record with settled[0] <= modstamp < settled[1],
        all in one (modstamp, id) ordered stream."""
        ...


@runtime_checkable
class Connector(Protocol):
    crm: str

    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        """The fields of the mapped object, by name."""
        ...

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        """Records matching the mapping's filter with since <= (modstamp, id) and modstamp <= until,
        in (modstamp, id) order, page by page. `since=None` reads everything."""
        ...

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        """Records of the mapped object deleted / archived at or after `since`."""
        ...

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        """Create or update by `crm_key`, at the API's largest batch size; one result per record, in
        input order. Per-record failures are results, never exceptions."""
        ...

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        """Delete (Salesforce) / archive (HubSpot) records; one result per id, in input order."""
        ...

    def usage(self) -> ApiUsage:
        ...

    def close(self) -> None:
        ...
