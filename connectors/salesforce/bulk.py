"""Bulk API 2.0 for groups above `bulk_threshold`: one ingest job (upsert by key, or update by Id).

The job's failed and unprocessed rows are read back and matched to the input by the key column
(the crm_key value, or Id for updates): failed rows are REJECTED with Salesforce's `sf__Error`
(`STATUS_CODE:message:fields --`, given as `STATUS_CODE: message:fields`), unprocessed rows are
REJECTED too. Upsert by key and update by Id are idempotent, so a job retried after a transient
error does no harm (a row created by the first attempt is then reported as updated).
"""

from __future__ import annotations

import collections
import csv
import io
from collections.abc import Sequence
from typing import Any

from simple_salesforce import Salesforce

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.push import Item
from connectors.salesforce.wire import csv_value
from prm_sync.connector import EntityMapper, Outcome, UpsertResult

JOB_CALLS = 5     # create, upload, close, poll, final status: what one job costs at least


def _rows(items: Sequence[Item]) -> list[dict[str, str]]:
    columns = list(dict.fromkeys(k for item in items for k in item.payload if k != "attributes"))
    return [{c: csv_value(item.payload[c]) if c in item.payload else "" for c in columns} for item in items]


def _error_text(raw: str) -> str:
    text = raw.strip().removesuffix("--").strip()
    code, sep, rest = text.partition(":")
    return f"{code}: {rest}" if sep else text


def _read_csv(text: str | None) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text or "")))


def bulk_write(client: SalesforceClient, mapper: EntityMapper, items: Sequence[Item], by_key: bool,
               wait_s: float) -> list[UpsertResult]:
    obj = mapper.object
    key_column = str(mapper.crm_key) if by_key else "Id"
    rows = _rows(items)

    def run_job(sf: Salesforce) -> list[dict[str, Any]]:
        handler = getattr(sf.bulk2, obj)
        if by_key:
            return handler.upsert(records=rows, external_id_field=key_column, wait=wait_s)
        return handler.update(records=rows, wait=wait_s)

    jobs = client.call(run_job, cost=JOB_CALLS)
    waiting: dict[str, collections.deque[Item]] = collections.defaultdict(collections.deque)
    for item in items:
        waiting[str(item.payload.get(key_column, ""))].append(item)
    results: dict[int, UpsertResult] = {}

    def settle(row: dict[str, str], outcome: Outcome, crm_id: str | None = None, message: str | None = None) -> None:
        queue = waiting.get(row.get(key_column, ""))
        if queue:
            item = queue.popleft()
            results[item.index] = UpsertResult(key=item.key, outcome=outcome, crm_id=crm_id or item.crm_id,
                                               message=message)

    def results_csv(job_id: str, which: str) -> list[dict[str, str]]:
        return _read_csv(client.call(lambda sf: getattr(getattr(sf.bulk2, obj), which)(job_id)))

    for job in jobs:
        job_id = str(job["job_id"])
        for row in results_csv(job_id, "get_successful_records"):
            created = row.get("sf__Created") == "true"
            settle(row, Outcome.CREATED if created else Outcome.UPDATED, crm_id=row.get("sf__Id") or None)
        for row in results_csv(job_id, "get_failed_records"):
            settle(row, Outcome.REJECTED, message=_error_text(row.get("sf__Error", "")))
        for row in results_csv(job_id, "get_unprocessed_records"):
            settle(row, Outcome.REJECTED, message="not processed by the Bulk API 2.0 job")
    return [results.get(item.index) or UpsertResult(
        key=item.key, outcome=Outcome.REJECTED, crm_id=item.crm_id,
        message="no result for this record from the Bulk API 2.0 job") for item in items]
