"""Bulk API 2.0: ingest jobs (CSV in, results CSV out) and query jobs.

An ingest job is processed when it is closed (``PATCH {"state": "UploadComplete"}``): all its
rows are written as one DML call, so they share one ``SystemModstamp``.

A query job answers its create with ``UploadComplete`` at once (a bad query is refused then) and
takes its rows in the background, as Salesforce does while the job is queued and in progress
(``queryAll`` keeps deleted ones, with ``IsDeleted``). The job moves on one step with every API
request the org serves after its create, its own status polls and the client's other requests
alike (Salesforce works on a job while the client does other things): a status poll answers
``InProgress`` until ``emu.query_job_polls`` steps (2 by default, as a small job on Salesforce),
then ``JobComplete``. A job polled right after its create so completes at its 2nd poll; one
created ahead of its read (the connector prepares the next entity's job) at its 1st. Steps are
requests, never time, and the poll that completes the job first waits for its rows: the number
of polls never depends on the machine's speed. Results before that are refused.
``GET .../results?maxRecords=N&locator=L`` serves pages of CSV with every value quoted, "" for
null, ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` ("null" on the last page), streamed as it
is written (Salesforce sends a results page chunked: its first rows arrive before its last are
written). Aggregates (``COUNT()``) are refused, as there.
"""

from __future__ import annotations

import collections
import csv
import functools
import io
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.salesforce.emulator.errors import sf_error
from connectors.salesforce.emulator.soql import SoqlError
from connectors.salesforce.emulator.soql_compile import CompiledQuery, compile_query
from connectors.salesforce.emulator.store import MultipleMatches
from connectors.salesforce.emulator.values import FieldError, JsonParseError, csv_value, sf_datetime

if TYPE_CHECKING:
    from connectors.salesforce.emulator.app import SalesforceEmulator

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
RESULT_KINDS = {name.lower(): name for name in ("successfulResults", "failedResults", "unprocessedrecords")}


@dataclass
class Job:
    id: str
    kind: str                       # ingest | query
    info: dict[str, Any]
    chunks: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    #: a query job's result rows, each its CSV line (every value quoted, the job's line ending)
    query_rows: list[str] = field(default_factory=list)
    #: a query job's steps: API requests served since its create (see module doc)
    steps: int = 0
    #: a query job's rows are taken (set by the background worker)
    rows_ready: threading.Event = field(default_factory=threading.Event)


class Jobs:
    def __init__(self) -> None:
        self.items: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: collections.deque[Callable[[], None]] = collections.deque()
        self._working = False  # a worker thread is taking rows (it ends when none wait)

    def take_rows(self, work: Callable[[], None]) -> None:
        """Run a query job's `work` (taking its rows) on the emulator's one job worker, jobs in the
        order they were created. The emulator is one Python process: jobs taking their rows side
        by side would share its one interpreter lock, and the first job created, the one a client
        polls first, would be ready last. One at a time, it is ready as soon as its own rows are."""
        with self._lock:
            self._waiting.append(work)
            if self._working:
                return
            self._working = True
        threading.Thread(target=self._work, name="bulk-query-jobs", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._working = False
                    return
                work = self._waiting.popleft()
            work()

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}8d{next(self._ids):010d}AAA"

    def step(self) -> None:
        """One API request served: every query job not yet polled to its end moves on one step."""
        with self._lock:
            for job in self.items.values():
                if job.kind == "query" and job.info["state"] in ("UploadComplete", "InProgress"):
                    job.steps += 1


COMPOUND_REFUSED = "FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query"


def _job_error(message: str, status: int = 400) -> Response:
    return sf_error(status, "INVALIDJOB", message)


def route(emu: SalesforceEmulator, request: Request, version: str, kind: str,
          parts: list[str]) -> Response:
    method = request.method
    if not parts:
        if method == "POST":
            return _create(emu, request, version, kind)
        jobs = [j.info for j in emu.jobs.items.values() if j.kind == kind]
        return json_response({"done": True, "records": jobs, "nextRecordsUrl": None})
    job = emu.jobs.items.get(parts[0])
    if job is None or job.kind != kind:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    tail = parts[1:]
    if not tail:
        if method == "GET":
            if kind == "query":
                _advance_query(emu, job)
            return json_response(job.info)
        if method == "DELETE":
            emu.jobs.items.pop(job.id, None)
            return Response(status=204)
        if method == "PATCH":
            return _set_state(emu, request, job)
    elif tail == ["batches"] and method == "PUT" and kind == "ingest":
        if job.info["state"] != "Open":
            return _job_error("Job is not open for data upload", 409)
        job.chunks.append(request.get_data(as_text=True))
        return Response(status=201)
    elif method == "GET" and kind == "ingest" and tail[0].lower() in RESULT_KINDS:
        # Salesforce documents `unprocessedrecords`; simple-salesforce asks `unprocessedRecords`: both work
        return _results_csv(job, RESULT_KINDS[tail[0].lower()])
    elif method == "GET" and kind == "query" and tail == ["results"]:
        if job.info["state"] != "JobComplete":
            return _job_error(f"Job {job.id} is not complete: it is {job.info['state']}")
        return _query_results(request, job)
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def _create(emu: SalesforceEmulator, request: Request, version: str, kind: str) -> Response:
    body = request.get_json(silent=True, force=True) or {}
    operation = body.get("operation", "")
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF"):
        return _job_error("Invalid columnDelimiter or lineEnding")
    now = sf_datetime(emu.store.now())
    info: dict[str, Any] = {
        "operation": operation, "createdById": "0058d0000000001AAA", "createdDate": now,
        "systemModstamp": now, "concurrencyMode": "Parallel", "contentType": "CSV",
        "apiVersion": float(version), "lineEnding": line_ending,
        "columnDelimiter": delimiter, "numberRecordsProcessed": 0, "retries": 0,
        "totalProcessingTime": 0,
    }
    if kind == "query":
        return _create_query(emu, body, info)
    objdef = emu.schema.obj(str(body.get("object", "")))
    if objdef is None:
        return _job_error(f"Unable to find object: {body.get('object')}")
    if operation not in OPERATIONS:
        return _job_error(f"Invalid operation: {operation}")
    ext = body.get("externalIdFieldName")
    ext_def = objdef.field(str(ext)) if ext else None
    if operation == "upsert" and (ext_def is None or not ext_def.id_lookup):
        return _job_error(f"Invalid external id field: {ext}")
    job_id = emu.jobs.new_id("750")
    info.update(id=job_id, object=objdef.name, state="Open", externalIdFieldName=ext,
                numberRecordsFailed=0,
                contentUrl=f"services/data/v{version}/jobs/ingest/{job_id}/batches")
    emu.jobs.items[job_id] = Job(job_id, "ingest", info)
    return json_response(info)


def _set_state(emu: SalesforceEmulator, request: Request, job: Job) -> Response:
    state = (request.get_json(silent=True, force=True) or {}).get("state")
    if state == "Aborted":
        job.info["state"] = "Aborted"
        return json_response(job.info)
    if state != "UploadComplete" or job.info["state"] != "Open":
        return _job_error(f"Invalid state change to {state}", 409)
    job.info["state"] = "UploadComplete"
    answer = dict(job.info)
    _process(emu, job)
    return json_response(answer)


def _rows(job: Job) -> list[list[str]]:
    delimiter = DELIMITERS[job.info["columnDelimiter"]]
    rows: list[list[str]] = []
    for index, chunk in enumerate(job.chunks):
        parsed = list(csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter))
        if not parsed:
            continue
        if index == 0 or not job.header:
            job.header = parsed[0]
        rows.extend(parsed[1:])
    return [r for r in rows if r]


def _record(header: list[str], row: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, raw in zip(header, row, strict=False):
        if raw == "":
            continue
        value = None if raw == "#N/A" else raw
        if "." in name:
            rel, _, ext = name.partition(".")
            record[rel] = {ext: value}
        else:
            record[name] = value
    return record


def _process(emu: SalesforceEmulator, job: Job) -> None:
    obj, op = job.info["object"], job.info["operation"]
    ext = job.info.get("externalIdFieldName")
    ext_def = emu.schema.objects[obj].field(ext) if ext else None
    ext = ext_def.name if ext_def is not None else ext
    rows = _rows(job)
    store = emu.store
    with emu.lock:
        stamp = store.now()
        for row in rows:
            data = store.canonical_keys(obj, _record(job.header, row))
            try:
                if op == "insert":
                    rec, created = store.insert(obj, data, stamp), True
                elif op == "upsert":
                    try:
                        rec, created = store.upsert(obj, ext, data.get(ext), data, stamp)
                    except MultipleMatches as exc:
                        raise FieldError("DUPLICATE_EXTERNAL_ID",
                                         f"more than one record found: {exc.ids}", [ext]) from None
                elif op == "update":
                    rec, created = store.update(obj, str(data.get("Id", "")), data, stamp), False
                else:
                    rec, created = store.delete(obj, str(data.get("Id", "")), stamp), False
                job.successes.append([rec["Id"], "true" if created else "false", *row])
            except FieldError as exc:
                fields = ":".join(exc.fields)
                job.failures.append(["", f"{exc.status_code}:{exc.message}:{fields} --", *row])
            except JsonParseError as exc:
                job.failures.append(["", f"INVALID_TYPE_ON_FIELD_IN_RECORD:{exc} --", *row])
    job.info.update(state="JobComplete", numberRecordsProcessed=len(rows),
                    numberRecordsFailed=len(job.failures),
                    systemModstamp=sf_datetime(store.now()))


def _csv(header: list[str], rows: list[list[str]], line_ending: str = "LF",
         quoting: int = csv.QUOTE_MINIMAL) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end(line_ending), quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), status=200, content_type="text/csv")


#: result rows written per chunk of a streamed results page
STREAM_ROWS = 1_000


def csv_line(cells: list[str], end: str) -> str:
    """One CSV line, every value quoted (as `csv.QUOTE_ALL` writes it). The cells are joined
    first and quoted one by one only when one of them holds a quote: a query job writes a line per
    record, and the emulator shares the machine's cores with the client it serves."""
    body = '","'.join(cells)
    if body.count('"') != 2 * (len(cells) - 1):
        body = '","'.join(cell.replace('"', '""') for cell in cells)
    return f'"{body}"{end}'


def line_end(line_ending: str) -> str:
    return "\r\n" if line_ending == "CRLF" else "\n"


def _csv_stream(header: list[str], lines: list[str], line_ending: str) -> Iterator[str]:
    """A results page as CSV text: the header, then the job's lines in chunks of STREAM_ROWS."""
    yield csv_line(header, line_end(line_ending))
    for start in range(0, len(lines), STREAM_ROWS):
        yield "".join(lines[start:start + STREAM_ROWS])


def _results_csv(job: Job, which: str) -> Response:
    if which == "successfulResults":
        return _csv(["sf__Id", "sf__Created", *job.header], job.successes)
    if which == "failedResults":
        return _csv(["sf__Id", "sf__Error", *job.header], job.failures)
    return _csv(job.header, job.unprocessed)


def _create_query(emu: SalesforceEmulator, body: dict[str, Any], info: dict[str, Any]) -> Response:
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        return _job_error(f"Invalid operation: {operation}")
    soql = str(body.get("query", ""))
    try:
        compiled = compile_query(soql, emu.schema, emu.store.lookup)
    except SoqlError as exc:
        return sf_error(400, "INVALIDJOB", exc.message)
    if compiled.query.count_only:
        return sf_error(400, "INVALIDJOB", "Aggregate queries are not supported by Bulk API 2.0")
    compound = any(column.compound for column in compiled.columns)
    if compound and emu.compound_refused_at == "create":
        return sf_error(400, "INVALIDJOB", COMPOUND_REFUSED)
    job_id = emu.jobs.new_id("750")
    info.update(id=job_id, object=compiled.obj.name, state="UploadComplete", numberRecordsProcessed=0)
    job = Job(job_id, "query", info, header=[".".join(c.path) for c in compiled.columns])
    emu.jobs.items[job_id] = job
    answer = dict(info)
    if compound:
        info.update(state="Failed", errorMessage=COMPOUND_REFUSED)
        job.rows_ready.set()
        return json_response(answer)
    emu.jobs.take_rows(functools.partial(_take_rows, emu, job, compiled, operation == "queryAll"))
    return json_response(answer)


def _take_rows(emu: SalesforceEmulator, job: Job, compiled: CompiledQuery, all_rows: bool) -> None:
    """The job's rows as CSV cells. The matching records are copied under the store's lock (one
    consistent snapshot); sorting them and writing their cells happens after, without it: the org
    goes on answering other calls while a job works, as Salesforce does (a first load's next
    entity's REST page no longer waits for this job's CSV)."""
    try:
        with emu.lock:
            rows = [dict(r) for r in emu.store.records[compiled.obj.name].values()
                    if (all_rows or not r["IsDeleted"])
                    and (compiled.predicate is None or compiled.predicate(r))]
        if compiled.sort is not None:
            rows = compiled.sort(rows)
        if compiled.query.limit is not None:
            rows = rows[:compiled.query.limit]
        end = line_end(job.info["lineEnding"])
        fields = [c.field for c in compiled.columns]
        if None in fields:  # a relationship's field: its getter finds the related record
            getters = [c.getter for c in compiled.columns]
            job.query_rows = [csv_line([csv_value(get(r)) for get in getters], end) for r in rows]
        else:  # the record's own fields only: read straight from it
            job.query_rows = [csv_line([v if v.__class__ is str else csv_value(v) for v in map(r.get, fields)], end)
                              for r in rows]
    except Exception as exc:  # the job fails, as on Salesforce; its status poll says why
        job.info.update(state="Failed", errorMessage=f"{type(exc).__name__}: {exc}")
    finally:
        job.rows_ready.set()


def _advance_query(emu: SalesforceEmulator, job: Job) -> None:
    """One status poll (itself a step, counted by `Jobs.step`): UploadComplete -> InProgress -> ... ->
    JobComplete once the job has taken `emu.query_job_polls` steps."""
    if job.info["state"] not in ("UploadComplete", "InProgress"):
        return
    if job.steps >= emu.query_job_polls:
        job.rows_ready.wait()
        if job.info["state"] == "Failed":
            return
        job.info.update(state="JobComplete", numberRecordsProcessed=len(job.query_rows))
    else:
        job.info["state"] = "InProgress"


def _query_results(request: Request, job: Job) -> Response:
    start = int(request.args.get("locator") or 0) if (request.args.get("locator") or "0") \
        .isdigit() else 0
    max_records = int(request.args.get("maxRecords") or 50000)
    page = job.query_rows[start:start + max_records]
    end = start + len(page)
    response = Response(_csv_stream(job.header, page, job.info["lineEnding"]), status=200, content_type="text/csv")
    response.headers["Sforce-NumberOfRecords"] = str(len(page))
    response.headers["Sforce-Locator"] = str(end) if end < len(job.query_rows) else "null"
    return response
