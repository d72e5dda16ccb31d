"""Reading the change stream: queryAll since a compound cursor, page by page (2,000 rows a page).

A first full read above a threshold goes through a Bulk API 2.0 query job instead
(connectors.salesforce.bulk_query), with the same records and the same cursor at its end. The
calls that decide this can be made ahead of the read (`prepare_changes`, the connector contract's
PreparedReads): the engine then creates the next entity's job while it applies this one.

Deleted rows come in the same query (queryAll + IsDeleted) as CrmRecord(deleted=True); a deleted
row keeps its values, so it still matches the mapping's filter. The query itself is bounded by the
compound cursor (connectors.salesforce.soql); rows outside since <= (modstamp, id), modstamp <=
until are also dropped here, as a guard. The cursor's own record is read again (inclusive bound);
the engine dedupes it by its link hash.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.salesforce.bulk_query import BulkQuerySettings, create_job, read_job
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.errors import SalesforceRequestError, refused_query
from connectors.salesforce.soql import answer_spelling, bulk_changes_query, changes_query, deletions_query
from prm_sync.connector import CrmRecord, CrmUnavailable, Cursor, Deletion, EntityMapper, Page

_SKIPPED = frozenset({"attributes", "Id", "SystemModstamp", "IsDeleted"})


def parse_sf_datetime(text: str) -> dt.datetime:
    """`2026-11-26T21:27:33.000+0000` (or with Z) -> aware UTC datetime."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _first_page(client: SalesforceClient, soql: str) -> Mapping[str, Any]:
    return client.call(lambda sf: sf.query(soql, include_deleted=True))


def _pages(client: SalesforceClient, soql: str, first: Mapping[str, Any] | None = None
           ) -> Iterator[list[Mapping[str, Any]]]:
    """Raw query pages through queryAll and nextRecordsUrl; one API call each."""
    result = first if first is not None else _first_page(client, soql)
    while True:
        yield result["records"]
        next_url = result.get("nextRecordsUrl")
        if result.get("done", True) or not next_url:
            return
        result = _more(client, str(next_url))


def to_record(row: Mapping[str, Any]) -> CrmRecord:
    return CrmRecord(
        crm_id=str(row["Id"]),
        modstamp=parse_sf_datetime(str(row["SystemModstamp"])),
        fields={k: v for k, v in row.items() if k not in _SKIPPED},
        deleted=bool(row.get("IsDeleted")),
    )


#: Salesforce dropped a REST query's cursor (`nextRecordsUrl`) after 15 minutes unused before API
#: 56.0 (since: 2 days): a prepared first page older than this, with more pages behind it, is asked
#: again (one call more) instead; a cursor lost anyway is read on by `_rest_pages`
QUERY_LOCATOR_KEEP_S = 10 * 60.0


@dataclass
class PreparedRead:
    """`read_changes`' deciding work done (`prepare_changes`): the first REST page is in hand and,
    when its `totalSize` chose Bulk, the query job is created (Salesforce takes its rows meanwhile).
    `pages()` reads the rest, once."""

    client: SalesforceClient
    mapper: EntityMapper
    since: Cursor | None
    until: dt.datetime
    bulk: BulkQuerySettings | None
    soql: str
    first: Mapping[str, Any] | None       # the REST path's first page
    job_id: str | None                    # the Bulk path's query job
    at: float                             # when the first page came or the job was created (clock)
    prepared: bool                        # made ahead of its read (else: at the start of read_changes)
    clock: Callable[[], float] = time.monotonic
    expected: int | None = None           # the first page's totalSize: the records the read holds
    _read: bool = False

    def pages(self) -> Iterator[Page]:
        if self._read:
            raise RuntimeError("a prepared read is read once")
        self._read = True
        age = self.clock() - self.at if self.prepared else 0.0
        if self.job_id is not None:
            assert self.bulk is not None
            yield from read_job(self.client, self.mapper, self.job_id, self.until, to_record, parse_sf_datetime,
                                first_wait_s=self.bulk.first_wait_s, age_s=age, max_records=self.bulk.max_records,
                                unit_size=self.bulk.unit_size)
            return
        first = self.first
        if first is not None and age > QUERY_LOCATOR_KEEP_S and not first.get("done", True):
            first = None  # its query locator may have expired: read the query again from its start
        yield from _rest_pages(self.client, self.mapper, self.soql, first, self.since, self.until)


def prepare_changes(client: SalesforceClient, mapper: EntityMapper, since: Cursor | None, until: dt.datetime,
                    bulk: BulkQuerySettings | None = None, *, prepared: bool = True,
                    clock: Callable[[], float] = time.monotonic) -> PreparedRead:
    """The calls that decide how the change stream is read: the first REST page and, for a first
    full read (no cursor: initial or --full) whose first page says (`totalSize`, the COUNT() of the
    same query) it holds more than `bulk.threshold` rows, the Bulk API 2.0 query job's create."""
    soql = changes_query(mapper, since, until)
    with _refused_as_mapping(mapper):
        first = _first_page(client, soql)
    expected = int(first.get("totalSize") or 0)
    if since is None and bulk is not None and expected > bulk.threshold:
        with _refused_as_mapping(mapper):
            job_id = create_job(client, bulk_changes_query(mapper, until))
        return PreparedRead(client, mapper, since, until, bulk, soql, None, job_id, clock(), prepared, clock,
                            expected=expected)
    return PreparedRead(client, mapper, since, until, bulk, soql, first, None, clock(), prepared, clock,
                        expected=expected)


@contextmanager
def _refused_as_mapping(mapper: EntityMapper) -> Iterator[None]:
    """The query (built from the mapping) refused as a whole: a mapping problem, not a CRM outage."""
    try:
        yield
    except SalesforceRequestError as exc:
        refused = refused_query(exc, mapper.object)
        if refused is None:
            raise
        raise refused from None


def read_changes(client: SalesforceClient, mapper: EntityMapper, since: Cursor | None,
                 until: dt.datetime, bulk: BulkQuerySettings | None = None) -> Iterator[Page]:
    """The change stream since the cursor. A first full read above `bulk.threshold` rows goes through
    a Bulk API 2.0 query job instead (`prepare_changes`): the first REST page is the whole price of
    asking, and a small read pays nothing extra."""
    yield from prepare_changes(client, mapper, since, until, bulk, prepared=False).pages()


#: `nextRecordsUrl` refused: Salesforce no longer has the query's cursor (since API 56.0 a cursor
#: lasts 2 days; before, a user kept 10, the oldest released for an 11th, each 15 minutes unused)
LOST_LOCATOR = "INVALID_QUERY_LOCATOR"
#: lost cursors in a row (no page handed over between them) before the read gives up
MAX_LOST_LOCATORS = 3


def _rest_pages(client: SalesforceClient, mapper: EntityMapper, soql: str, first: Mapping[str, Any] | None,
                since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
    """The change stream's pages, each past the one before. When Salesforce drops the query's
    cursor between two pages (LOST_LOCATOR), the query is asked again from the last page handed
    over (its cursor, strictly after it): the ORDER BY (SystemModstamp, Id) makes that the exact
    rest, as a next run would read it."""
    floor, strict = since, False
    lost = 0  # cursors lost since the last page handed over: a few, then the error stands
    while True:
        try:
            for rows in _pages(client, soql, first):
                records = []
                bound = None if floor is None else (floor.modstamp, floor.record_id)
                for row in _as_mapped(mapper, rows):
                    record = to_record(row)
                    if bound is not None and ((key := (record.modstamp, record.crm_id)) < bound
                                              or (strict and key == bound)):
                        continue
                    if record.modstamp > until:
                        continue
                    records.append(record)
                if records:
                    last = records[-1]
                    floor, strict, lost = Cursor(last.modstamp, last.crm_id), True, 0
                    yield Page(records=records, cursor=floor)
            return
        except SalesforceRequestError as exc:
            lost += 1
            _read_again_or_raise(exc, lost, mapper)
            soql, first = changes_query(mapper, floor, until), None


def read_deletions(client: SalesforceClient, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
    """Rows deleted since `since`. A query cursor lost mid-way (LOST_LOCATOR) reads the query
    again, skipping the deletions already handed over (each comes once), up to
    MAX_LOST_LOCATORS times."""
    handed: set[str] = set()
    lost = 0
    while True:
        try:
            for rows in _pages(client, deletions_query(mapper, since)):
                for row in _as_mapped(mapper, rows):
                    deleted_at = parse_sf_datetime(str(row["SystemModstamp"]))
                    crm_id = str(row["Id"])
                    if (since is not None and deleted_at < since) or crm_id in handed:
                        continue
                    handed.add(crm_id)
                    key = row.get(mapper.crm_key) if mapper.crm_key else None
                    yield Deletion(crm_id=crm_id, deleted_at=deleted_at, key=str(key) if key else None)
            return
        except SalesforceRequestError as exc:
            lost += 1
            _read_again_or_raise(exc, lost, mapper)


def _read_again_or_raise(exc: SalesforceRequestError, lost: int, mapper: EntityMapper) -> None:
    """Returns when the read may ask its query again: `exc` is a lost cursor (LOST_LOCATOR), the
    `lost`-th in a row, at most MAX_LOST_LOCATORS. Else raises `exc`, or CrmUnavailable (exit 3)."""
    if exc.error_code != LOST_LOCATOR:
        raise exc
    if lost > MAX_LOST_LOCATORS:
        raise CrmUnavailable(f"Salesforce lost the query's cursor {lost} times in a row reading {mapper.object}; "
                             "the next run reads again") from exc


def _as_mapped(mapper: EntityMapper, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A page's rows with their fields named as the mapping spells them (`answer_spelling`: the
    rows as they are when it spells them as the org does, the usual case)."""
    if rows and (rename := answer_spelling(mapper, rows[0])):
        return [{rename.get(k, k): v for k, v in row.items()} for row in rows]
    return rows


def _more(client: SalesforceClient, url: str) -> Any:
    """The next page of a query (`nextRecordsUrl`)."""
    return client.call(lambda sf: sf.query_more(url, identifier_is_url=True))
