"""Reading the change stream: queryAll since a compound cursor, page by page (2,000 rows a page).

A first full read above a threshold goes through a Bulk API 2.0 query job instead
(connectors.salesforce.bulk_query), with the same records and the same cursor at its end.

Deleted rows come in the same query (queryAll + IsDeleted) as CrmRecord(deleted=True); a deleted
row keeps its values, so it still matches the mapping's filter. The query itself is bounded by the
compound cursor (connectors.salesforce.soql); rows outside since <= (modstamp, id), modstamp <=
until are also dropped here, as a guard. The cursor's own record is read again (inclusive bound);
the engine dedupes it by its link hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.salesforce.bulk_query import BulkQuerySettings, read_bulk
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.soql import bulk_changes_query, changes_query, deletions_query
from prm_sync.connector import CrmRecord, Cursor, Deletion, EntityMapper, Page

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


def read_changes(client: SalesforceClient, mapper: EntityMapper, since: Cursor | None,
                 until: dt.datetime, bulk: BulkQuerySettings | None = None) -> Iterator[Page]:
    """The change stream since the cursor. A first full read (no cursor: initial or --full) whose
    first REST page says (`totalSize`, the COUNT() of the same query) it holds more than
    `bulk.threshold` rows goes through a Bulk API 2.0 query job instead: that first page is the
    whole price of asking, and a small read pays nothing extra."""
    soql = changes_query(mapper, since, until)
    first = _first_page(client, soql)
    if since is None and bulk is not None and int(first.get("totalSize") or 0) > bulk.threshold:
        yield from read_bulk(client, mapper, bulk_changes_query(mapper, until), until, to_record, parse_sf_datetime,
                             first_wait_s=bulk.first_wait_s, max_records=bulk.max_records,
                             unit_size=bulk.unit_size)
        return
    for rows in _pages(client, soql, first):
        records = []
        for row in rows:
            record = to_record(row)
            if since is not None and (record.modstamp, record.crm_id) < (since.modstamp, since.record_id):
                continue
            if record.modstamp > until:
                continue
            records.append(record)
        if records:
            last = records[-1]
            yield Page(records=records, cursor=Cursor(last.modstamp, last.crm_id))


def read_deletions(client: SalesforceClient, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
    for rows in _pages(client, deletions_query(mapper, since)):
        for row in rows:
            deleted_at = parse_sf_datetime(str(row["SystemModstamp"]))
            if since is not None and deleted_at < since:
                continue
            key = row.get(mapper.crm_key) if mapper.crm_key else None
            yield Deletion(crm_id=str(row["Id"]), deleted_at=deleted_at, key=str(key) if key else None)


def _more(client: SalesforceClient, url: str) -> Any:
    """The next page of a query (`nextRecordsUrl`)."""
    return client.call(lambda sf: sf.query_more(url, identifier_is_url=True))
