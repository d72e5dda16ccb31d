"""The Connector protocol: what the sync engine needs from a CRM, and what a connector declares it can do.

A connector reads changed records of one mapped entity since a compound cursor, reads deletions,
upserts batches by the entity's `crm_key`, deletes, and reports API usage. The engine never probes
a connector for optional behaviour: what differs between CRMs is declared in `capabilities`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prm_sync.connector.types import ApiUsage, Cursor, Deletion, FieldInfo, Page, PushRecord, UpsertResult
from prm_sync.mapping import EntityMapper

#: the engine's push batch: rows read from the store and handed to `upsert` at a time (the
#: connector splits it into API-sized calls)
DEFAULT_PUSH_BATCH = 1000


@dataclass(frozen=True)
class Capabilities:
    """What a connector declares about itself (defaults: the plainest CRM).

    `change_stream_has_deletions`: `read_changes` reports deleted records itself (`CrmRecord.deleted`,
    e.g. Salesforce queryAll), so the periodic deletion sweep is needed only with --full.
    `rechecks_settled_windows`: the connector is also a `SettledRechecks` (see there).
    `sets_up_crm`: the connector is also a `CrmSetup` (prm_sync.connector.setup): `crm setup` can
    create what the mapping needs in the CRM.
    `push_batch_size`: how many records the engine may hand to one `upsert` call (never below
    DEFAULT_PUSH_BATCH); a connector with a bulk API takes bigger batches and splits them itself.
    `prepares_reads`: the connector is also a `PreparedReads` (see there): the engine may start a
    first read's server-side work (a Salesforce Bulk API 2.0 query job) before it reads it.
    """

    change_stream_has_deletions: bool = False
    push_batch_size: int = DEFAULT_PUSH_BATCH
    rechecks_settled_windows: bool = False   # implements SettledRechecks.read_changes(..., settled=...)
    sets_up_crm: bool = False                # implements prm_sync.connector.setup.CrmSetup (`crm setup`)
    prepares_reads: bool = False             # implements PreparedReads.prepare_changes


@runtime_checkable
class Connector(Protocol):
    crm: str
    capabilities: Capabilities

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
        """Create or update by `crm_key` (or by `crm_id` when given), at the API's largest batch size;
        one result per record, in input order. Per-record failures are results, never exceptions."""
        ...

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        """Delete (Salesforce) / archive (HubSpot) records; one result per id, in input order:
        DELETED, ALREADY_GONE (the CRM no longer had it), INVALID or REJECTED."""
        ...

    def usage(self) -> ApiUsage:
        ...

    def close(self) -> None:
        ...


class SettledRechecks(Protocol):
    """A connector (declaring ``capabilities.rechecks_settled_windows``) whose change read can also
    re-read one *settled* time window in the same requests (HubSpot: one more filter group of a search).

    The lookback exists because a CRM's change index lags its writes by up to `lookback`. With
    this, the engine re-reads each stretch of time once, when it has settled (older than the
    lookback), instead of re-reading the whole lookback window on every run; and it may move
    its cursor past prm-sync's own writes (`UpsertResult.position`), which the settled re-read
    covers should anyone else have written in between.
    """

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime, *,
                     settled: tuple[dt.datetime, dt.datetime] | None = None) -> Iterator[Page]:
        """As Connector.read_changes, plus every record with settled[0] <= modstamp < settled[1],
        all in one (modstamp, id) ordered stream."""
        ...


class PreparedChanges(Protocol):
    """A change read whose deciding work is done (see PreparedReads); read it once.

    `expected`: how many records the CRM counted for the read while preparing it (Salesforce: the
    first REST page's `totalSize`), or None when it did not say. Only a hint (records may change
    before they are read): the engine starts what a big first load needs before the first page."""

    expected: int | None

    def pages(self) -> Iterator[Page]:
        """The pages `read_changes(mapper, since, until)` would give for the arguments it was prepared
        with: the same records, pages and cursors, in no more API calls than that read makes."""
        ...


class PreparedReads(Protocol):
    """A connector (declaring ``capabilities.prepares_reads``) whose change read can be started
    ahead of being read: the engine prepares the next entity's first read before it pulls the
    current one, so work the CRM does on its own (a Salesforce Bulk API 2.0 query job) runs while
    the store applies the current entity.

    The contract stays one read at a time: `prepare_changes` makes its calls at once, on the
    caller's thread, and returns; no call of it is in flight afterwards, and the prepared read is
    read later like any other (`PreparedChanges.pages`), while nothing else reads. A prepared read
    holds no open connection or thread: one never read (the run stopped first) is just dropped,
    and whatever the CRM holds for it (a finished query job) expires there by itself.
    """

    def prepare_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> PreparedChanges:
        """Do the calls `read_changes(mapper, since, until)` makes to decide how it reads (and start
        what runs by itself on the CRM's side); the rest is read from the returned object."""
        ...
