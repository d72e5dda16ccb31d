"""The records, pages, cursors and results a connector exchanges with the sync engine.

Everything here is in the PRM's vocabulary: records of CRM field -> wire value, cursors and
outcomes. A connector speaks its CRM's wire formats inside and these types at its edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from prm_sync.domain.fields import FieldKind


@dataclass(frozen=True, order=True)
class Cursor:
    """Position in a CRM's change stream: (modified timestamp, record id), compared in that order."""

    modstamp: dt.datetime
    record_id: str = ""

    def __post_init__(self) -> None:
        if self.modstamp.tzinfo is None:
            raise ValueError("cursor timestamps must be timezone-aware")


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """One CRM record as read: its id, its modified time, and CRM field -> wire value. (Slots: a
    first load reads them by the hundred thousand.)

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
    """What became of one record a connector was asked to write or delete."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"              # deleted (Salesforce) / archived (HubSpot)
    ALREADY_GONE = "already_gone"    # asked to delete a record the CRM no longer has: done all the same
    INVALID = "invalid"      # caught before sending (missing key, value the CRM cannot take)
    REJECTED = "rejected"    # refused by the CRM, with its message


#: the outcomes that mean "the CRM now holds what was asked"
DONE: frozenset[Outcome] = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED, Outcome.ALREADY_GONE})


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
        return self.outcome in DONE


@dataclass(frozen=True)
class FieldInfo:
    """A CRM field as the CRM describes it (for `check --online` and `init --online`)."""

    name: str
    type: str                       # the CRM's own type word (string, picklist, enumeration, date, ...)
    kind: FieldKind                 # the closest PRM value kind (text-like CRM types: STRING)
    label: str = ""
    createable: bool = True
    updateable: bool = True
    required: bool = False          # must be given on create (no default, not nillable)
    unique_key: bool = False        # usable as an upsert key (external id / unique property)
    options: tuple[str, ...] = ()   # picklist / enumeration values
    reference_to: tuple[str, ...] = ()
    # A compound field (Salesforce's BillingAddress): one read-only structure made of other fields,
    # its parts (BillingStreet, BillingCity, ...), which are what a mapping can read and write.
    compound: bool = False
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiUsage:
    calls: int                      # API calls this connector made since it was built
    used_today: int | None = None   # as the CRM reports it
    daily_limit: int | None = None


def float_refused(value: float) -> str:
    """The one wire rule for floats, for every connector: never sent (a float would round money and
    counts); the mapping hands connectors Decimal, int, bool, str, date and datetime only."""
    return f"{value!r} is a float; money and numbers must be Decimal"
