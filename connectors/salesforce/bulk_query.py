"""Big initial and `--full` reads through a Bulk API 2.0 query job, streamed page by page.

A first read of a big org through REST is one call per 2,000 rows; a Bulk API 2.0 query job
is one create, a few status polls and one call per result page (up to `maxRecords` rows each).

- The job is created with `POST jobs/query` (operation `queryAll`: deleted rows come in the same
  read with `IsDeleted`, as in the REST change stream) and polled with `GET jobs/query/{id}`
  with exponential backoff until `JobComplete` (`Failed`/`Aborted` stop the read).
- Results come from `GET jobs/query/{id}/results?maxRecords=N[&locator=L]` following the
  `Sforce-Locator` header until it says "null". simple-salesforce's `sf.bulk2.<Obj>.query()`
  decodes each whole page into one string and polls inside one call, so this module uses the
  SDK's session, headers and `call_salesforce` (its error handling) and reads each response as
  a stream: `csv_lines` cuts the byte chunks into lines, `csv.reader` joins quoted newlines.
- CSV cells are all text, "" is null: `typed_fields` turns them into what the REST JSON gives
  for the mapped field kinds (bool, int, Decimal), so both reads make the same records.
- Bulk 2.0 takes no ORDER BY (it disables PK chunking), so rows come in no useful order. Pages
  of `unit_size` records are handed over without a cursor, and the last page carries the
  largest `(SystemModstamp, Id)` read: the cursor advances only once every row has committed;
  a read cut short starts again from nothing (rows already stored are found by their link hash
  and written again by nobody).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.util import call_salesforce

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.errors import compound_hint
from connectors.salesforce.soql import answer_spelling
from prm_sync.connector import CrmRecord, CrmRefusedMapping, CrmUnavailable, Cursor, EntityMapper, Page, capped_sleep

T = TypeVar("T")

#: result rows asked for per results call (Salesforce's own default page is far larger)
DEFAULT_MAX_RECORDS = 50_000
#: records handed to the engine per unit of work (the REST page size)
DEFAULT_UNIT_SIZE = 2_000
FIRST_POLL_S = 0.5
MAX_POLL_S = 10.0
#: a job still not done after this long is given up (exit 3) rather than holding the run lock forever
MAX_JOB_WAIT_S = 2 * 3600.0
DONE, FAILED = "JobComplete", ("Failed", "Aborted")


@dataclass(frozen=True)
class BulkQuerySettings:
    """When a first full read goes bulk (above `threshold` rows), how long before the first
    status poll, and how many rows per results call."""

    threshold: int = 10_000
    first_wait_s: float = FIRST_POLL_S
    max_records: int = DEFAULT_MAX_RECORDS
    unit_size: int = DEFAULT_UNIT_SIZE


class BulkQueryFailed(CrmUnavailable):
    """The query job ended Failed or Aborted (Salesforce's errorMessage is in the text): exit 3,
    the next run reads again."""


def create_job(client: SalesforceClient, soql: str) -> str:
    body = json.dumps({"operation": "queryAll", "query": soql, "contentType": "CSV",
                       "columnDelimiter": "COMMA", "lineEnding": "LF"})
    info = client.call(lambda sf: sf.restful("jobs/query", method="POST", data=body)) or {}
    return str(info["id"])


def wait_for_job(client: SalesforceClient, job_id: str, first_wait_s: float = FIRST_POLL_S,
                 max_wait_s: float = MAX_POLL_S, sleep: Callable[[float], None] = time.sleep, *,
                 age_s: float = 0.0) -> int:
    """Poll until JobComplete, waiting first_wait_s, then twice as long each time (capped); returns
    the number of polls. The run's deadline caps every wait. `age_s`: how long ago the job was
    created (a prepared read): the first poll waits only what is left of first_wait_s."""
    wait = capped_sleep(sleep)
    delay, polls, waited = first_wait_s, 0, 0.0
    first = max(0.0, first_wait_s - age_s)
    while True:
        if waited >= MAX_JOB_WAIT_S:
            raise BulkQueryFailed(f"Bulk API 2.0 query job {job_id} was not done after {waited:.0f} s of waiting; "
                                  "the next run asks again")
        pause = first if polls == 0 else delay
        wait(pause)
        waited += pause
        info = client.call(lambda sf: sf.restful(f"jobs/query/{job_id}")) or {}
        polls += 1
        state = str(info.get("state", ""))
        if state == DONE:
            return polls
        if state in FAILED:
            raise BulkQueryFailed(f"Bulk API 2.0 query job {job_id} ended {state}: "
                                  f"{info.get('errorMessage') or 'no message'}")
        delay = min(delay * 2, max_wait_s)


def csv_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 byte chunks -> text lines cut only at "\\n" (kept), for `csv.reader`; a line may end
    inside a quoted field, which the reader joins with the next one. Never holds more than one
    line and one chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    rest = ""
    for chunk in chunks:
        text = rest + decoder.decode(chunk)
        start = 0
        while (end := text.find("\n", start)) >= 0:
            yield text[start:end + 1]
            start = end + 1
        rest = text[start:]
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def csv_rows(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """CSV lines (header first) -> one dict per row; nothing is read ahead."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    for row in reader:
        if row:
            yield dict(zip(header, row, strict=False))


def csv_table(lines: Iterable[str]) -> tuple[list[str], Iterator[list[str]]]:
    """CSV lines (header first) -> the header and a stream of rows as lists of cells (empty
    lines skipped); nothing is read ahead past the header."""
    reader = csv.reader(lines)
    header = next(reader, None) or []
    return header, (row for row in reader if row)


def result_pages(client: SalesforceClient, job_id: str, max_records: int
                 ) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """Each result page as its header and a stream of rows: one call per page, following
    Sforce-Locator."""
    locator = ""
    while True:
        params: dict[str, Any] = {"maxRecords": max_records}
        if locator:
            params["locator"] = locator

        def open_page(sf: Salesforce, params: dict[str, Any] = params) -> requests.Response:
            headers = {**sf.headers, "Accept": "text/csv"}
            return call_salesforce(url=f"{sf.bulk2_url}query/{job_id}/results", method="GET",
                                   session=sf.session, headers=headers, params=params, stream=True)

        response = client.call(open_page)
        with closing(response):
            locator = response.headers.get("Sforce-Locator", "null")
            header, rows = csv_table(_guarded(csv_lines(response.iter_content(chunk_size=64 * 1024)), job_id))
            yield header, rows
        if not locator or locator == "null":
            return


def _guarded(rows: Iterator[T], job_id: str) -> Iterator[T]:
    """A connection lost in the middle of a page is the CRM being unreachable (exit 3), not a bug:
    nothing past the rows already committed is lost, as the cursor moves only at the end."""
    try:
        yield from rows
    except requests.RequestException as exc:
        raise CrmUnavailable(f"Salesforce: the Bulk API 2.0 query job {job_id} results broke off "
                             f"while being read ({type(exc).__name__}); the next run reads again") from exc


def _whole_or_decimal(text: str) -> int | Decimal:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else number


#: the mapping's CRM kinds whose REST JSON value is not a string (FieldKind values)
_READERS: dict[str, Callable[[str], Any]] = {
    "bool": lambda text: text.lower() == "true",
    "int": _whole_or_decimal,
    "decimal": Decimal,
}


def field_kinds(mapper: EntityMapper) -> dict[str, str]:
    """CRM field -> its kind as the mapping declares it (the REST JSON types of those fields)."""
    return {f.crm: str(f.crm_type) for f in mapper.pull_fields}


def typed_fields(row: Mapping[str, str], kinds: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row as the REST JSON would give it: "" -> None, flags/numbers typed by the mapping's
    kinds (text that does not read stays text: the mapper then names the bad value), and
    `Rel.Field` columns nested as `{"Rel": {"Field": ...}}` (None when all are empty)."""
    out: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for name, text in row.items():
        value = _cell(text, _READERS.get(kinds.get(name, "string")))
        if "." in name:
            rel, _, sub = name.partition(".")
            nested.setdefault(rel, {})[sub] = value
        else:
            out[name] = value
    for rel, values in nested.items():
        out[rel] = values if any(v is not None for v in values.values()) else None
    return out


_SKIPPED = frozenset({"attributes", "Id", "SystemModstamp", "IsDeleted"})


def row_reader(header: Sequence[str], kinds: Mapping[str, str], to_record: Callable[[Mapping[str, Any]], CrmRecord],
               parse_modstamp: Callable[[str], dt.datetime]) -> Callable[[list[str]], CrmRecord]:
    """A CSV result row (cells in `header`'s order) -> the CrmRecord that `to_record` makes of the
    REST JSON row: `typed_fields` and the record's fields in one pass, planned once per page (the
    read-ahead thread built three dicts per row, and holds the GIL the pull's main thread needs).
    A row whose cell count differs from the header's takes the general path."""
    plain: list[tuple[int, str, Callable[[str], Any] | None]] = []
    nested: dict[str, list[tuple[int, str, Callable[[str], Any] | None]]] = {}
    for index, name in enumerate(header):
        if name in _SKIPPED:
            continue
        reader = _READERS.get(kinds.get(name, "string"))
        if "." in name:
            rel, _, sub = name.partition(".")
            nested.setdefault(rel, []).append((index, sub, reader))
        else:
            plain.append((index, name, reader))
    at = {name: index for index, name in enumerate(header)}
    id_at, stamp_at, deleted_at = at.get("Id"), at.get("SystemModstamp"), at.get("IsDeleted")
    width = len(header)

    def general(row: list[str]) -> CrmRecord:
        cells = dict(zip(header, row, strict=False))
        fields = typed_fields(cells, kinds)
        fields["IsDeleted"] = cells.get("IsDeleted") == "true"
        return to_record(fields)

    if id_at is None or stamp_at is None or len(set(header)) != width:
        return general

    def read(row: list[str]) -> CrmRecord:
        if len(row) != width:
            return general(row)
        # a text column (most) is its cell, or None when empty: `_cell` without its call
        fields: dict[str, Any] = {name: _cell(row[index], reader) if reader is not None else row[index] or None
                                  for index, name, reader in plain}
        for rel, subs in nested.items():
            values = {sub: _cell(row[index], reader) for index, sub, reader in subs}
            fields[rel] = values if any(v is not None for v in values.values()) else None
        stamp = row[stamp_at]
        return CrmRecord(crm_id=row[id_at] or "None", modstamp=parse_modstamp(stamp if stamp else "None"),
                         fields=fields, deleted=deleted_at is not None and row[deleted_at] == "true")

    return read


def _cell(text: str, reader: Callable[[str], Any] | None) -> Any:
    """One CSV cell as the REST JSON would give it: "" -> None; typed by `reader`, or the text when
    it does not read."""
    if text == "":
        return None
    if reader is None:
        return text
    try:
        return reader(text)
    except (ArithmeticError, ValueError):
        return text


def read_job(client: SalesforceClient, mapper: EntityMapper, job_id: str, until: dt.datetime,
             to_record: Callable[[Mapping[str, Any]], CrmRecord], parse_modstamp: Callable[[str], dt.datetime], *,
             first_wait_s: float = FIRST_POLL_S, age_s: float = 0.0, max_records: int = DEFAULT_MAX_RECORDS,
             unit_size: int = DEFAULT_UNIT_SIZE) -> Iterator[Page]:
    """The rows of the query job `job_id` (made by `create_job` `age_s` seconds ago) as engine pages;
    only the last page carries the cursor (see module doc). `to_record` makes a record of a
    REST-shaped row, `parse_modstamp` reads its SystemModstamp: each CSV row becomes the record REST
    would give (`row_reader`)."""
    try:
        wait_for_job(client, job_id, first_wait_s, age_s=age_s)
    except BulkQueryFailed as exc:
        hint = compound_hint(str(exc))
        if not hint:
            raise
        # a job Salesforce failed for what its query selects: the mapping's to mend, not a next run's
        raise CrmRefusedMapping(f"{exc}{hint}", crm_object=mapper.object) from None
    kinds = field_kinds(mapper)
    highest: Cursor | None = None
    held: list[CrmRecord] | None = None
    batch: list[CrmRecord] = []
    for header, rows in result_pages(client, job_id, max_records):
        if rename := answer_spelling(mapper, header):
            header = [rename.get(name, name) for name in header]
        read = row_reader(header, kinds, to_record, parse_modstamp)
        for row in rows:
            record = read(row)
            if record.modstamp > until:
                continue
            if highest is None or (record.modstamp, record.crm_id) > (highest.modstamp, highest.record_id):
                highest = Cursor(record.modstamp, record.crm_id)
            batch.append(record)
            if len(batch) >= unit_size:
                if held is not None:
                    yield Page(records=held, cursor=None)
                held, batch = batch, []
    if batch:
        if held is not None:
            yield Page(records=held, cursor=None)
        held = batch
    if held:
        yield Page(records=held, cursor=highest)
