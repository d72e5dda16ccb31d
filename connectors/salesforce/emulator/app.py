"""``SalesforceEmulator``: the offline Salesforce REST/Bulk 2.0/login emulator (HTTPS).

Python API on top of the kit's: ``store`` (records), ``schema``, ``clock`` (settable callable
returning an aware UTC datetime), ``expire_session(token|None)``, ``login_domain``,
``page_size``, ``daily_api_limit`` / ``api_used``, ``rate_limit``. Extra admin endpoints:
``POST /__admin__/sessions/expire {"session_id": optional}``,
``POST /__admin__/api-usage {"used": n, "limit": m}``,
``POST /__admin__/org {"empty": true}`` (an untouched org for ``crm setup``; see ``reset_org``).
"""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import Emulator, Fault, json_response
from connectors.salesforce.emulator import auth, bulk2, composite, rest, tooling
from connectors.salesforce.emulator.errors import not_found, sf_error
from connectors.salesforce.emulator.generate import generate_org
from connectors.salesforce.emulator.modstamp_order import ModstampOrder
from connectors.salesforce.emulator.schema import Schema, default_schema, empty_schema
from connectors.salesforce.emulator.store import Clock, Store, default_clock

DEFAULT_VERSION = "62.0"
_DATA = re.compile(r"^/services/data/v(\d+\.\d)(?:/(.*))?$")
_SOAP = re.compile(r"/services/Soap/u/(\d+\.\d)")
_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
_FAULT_CODES = {
    400: ("INVALID_FIELD", "Injected bad request"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}


class SalesforceEmulator(Emulator):
    name = "salesforce"

    def __init__(
        self,
        schema: Schema | None = None,
        *,
        tls: bool = True,
        tls_dir: Path | None = None,
        page_size: int = 2000,
        daily_api_limit: int = 100_000,
        rate_limit: tuple[int, float] | None = None,
        auth_config: auth.AuthConfig | None = None,
        clock: Clock = default_clock,
        api_version: str = DEFAULT_VERSION,
        enforce_fls: bool = False,
    ) -> None:
        super().__init__(tls=tls, tls_dir=tls_dir)
        self.schema = schema if schema is not None else default_schema()
        self.store = Store(self.schema, clock)
        self.page_size = page_size
        self.daily_api_limit = daily_api_limit
        self.api_used = 0
        self.rate_limit = rate_limit
        self.api_version = api_version
        self.sessions = auth.Sessions(auth_config or auth.AuthConfig())
        self.cursors = rest.Cursors()
        self.modstamp_order = ModstampOrder()
        self.jobs = bulk2.Jobs()
        #: status polls a Bulk API 2.0 query job takes to reach JobComplete (InProgress before)
        self.query_job_polls = 2
        # where a Bulk API 2.0 query selecting compound data (BillingAddress) is refused: "create" (400
        # at the job's create) or "job" (the job is made, then ends Failed with the message); which
        # one Salesforce does is not in its published references, so both are served
        self.compound_refused_at = "create"
        self._recent: collections.deque[float] = collections.deque()
        self._usage_lock = threading.Lock()
        #: metadata, permission sets and field-level security (connectors/salesforce/emulator/tooling.py)
        self.setup = tooling.OrgSetup(enforce_fls=enforce_fls)

    @classmethod
    def empty(cls, **kwargs: Any) -> SalesforceEmulator:
        """An org untouched by prm-sync (standard objects and fields only) where field-level
        security applies to what is created through the API: what `crm setup` starts from."""
        return cls(schema=empty_schema(), enforce_fls=True, **kwargs)

    # ----- Python API ---------------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        return self.store.clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self.store.clock = value

    @property
    def session_id(self) -> str:
        """The fixed session id (valid until expired) for ``Salesforce(session_id=...)``."""
        return self.sessions.config.fixed_session_id or ""

    @property
    def instance(self) -> str:
        """``host:port`` for ``Salesforce(instance=...)`` / ``instance_url``."""
        return self.base_url.split("://", 1)[1]

    @property
    def login_domain(self) -> str:
        """``domain=`` value that makes simple-salesforce log in here (see auth module)."""
        return f"{self.instance}?"

    def expire_session(self, token: str | None = None) -> int:
        return self.sessions.expire(token)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return self.store.dump()

    def load(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.store.load(state)

    def reset_org(self, *, empty: bool = False, enforce_fls: bool | None = None, can_customize: bool = True,
                  can_manage_permissions: bool = True) -> None:
        """A new org without records: `empty` as Salesforce hands it over (standard objects and fields
        only, field-level security for what the API creates: what `crm setup` starts from), else the
        default org. Admin API: POST /__admin__/org {"empty": true}."""
        with self.lock:
            self.schema = empty_schema() if empty else default_schema()
            self.store = Store(self.schema, self.store.clock)
            self.setup = tooling.OrgSetup(enforce_fls=empty if enforce_fls is None else bool(enforce_fls),
                                          can_customize=can_customize,
                                          can_manage_permissions=can_manage_permissions)
            self.cursors = rest.Cursors()
            self.modstamp_order = ModstampOrder()
            self.jobs = bulk2.Jobs()

    @property
    def write_calls(self) -> int:
        """API calls received that could change the org: POST/PATCH/PUT/DELETE under /services/data
        (a refused or faulted one too; not a login, not a collections retrieve, which reads by POST)."""
        with self._counter_lock:
            return sum(n for key, n in self.counters.items()
                       if key.split(" ", 1)[0] in ("POST", "PATCH", "PUT", "DELETE")
                       and "/services/data/" in key and not _RETRIEVE.search(key))

    def org_state(self) -> str:
        """Records, schema and setup metadata as one JSON text: equal before and after a call
        that must not change the org (e.g. `crm setup --dry-run`)."""
        import json

        with self.lock:
            return json.dumps({
                "records": self.store.dump(),
                "schema": {n: {f: dataclasses.asdict(d) for f, d in o.fields.items()}
                           for n, o in sorted(self.schema.objects.items())},
                "setup": self.setup.state(),
            }, sort_keys=True, default=str)

    def generate(self, n: int, seed: int = 0) -> None:
        with self.lock:
            generate_org(self.store, n, seed)

    def records(self, obj: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.store.all_records(obj)
                    if include_deleted or not r["IsDeleted"]]

    def _setup_route(self, request: Request, version: str, parts: list[str]) -> Response | None:
        """PermissionSet & co. (REST sObjects that live outside the record store)."""
        method = request.method
        head = parts[0] if parts else ""
        if head == "query" and method == "GET" and len(parts) == 1:
            soql = request.args.get("q", "")
            found = _FROM.search(soql)
            kind = tooling.setup_kind(found.group(1)) if found else None
            return tooling.query_setup_object(self, kind, soql, version) if kind else None
        if head == "sobjects" and len(parts) == 2 and method == "POST":
            kind = tooling.setup_kind(parts[1])
            return tooling.create_one(self, kind, request) if kind else None
        if parts == ["composite", "sobjects"] and method in ("POST", "PATCH"):
            body = request.get_json(silent=True, force=True)
            records = _setup_records(body)
            if records is None:
                return None
            if len(records) > composite.MAX_RECORDS:
                return sf_error(400, "EXCEEDED_ID_LIMIT",
                                "record limit reached. cannot submit more than 200 records into this call")
            all_or_none = body.get("allOrNone") in (True, "true")
            return tooling.write_collection(self, records, all_or_none, update=method == "PATCH")
        return None

    # ----- kit hooks ----------------------------------------------------------------------
    def error_response(self, status: int, fault: Fault) -> Response:
        code, message = _FAULT_CODES.get(
            status, ("UNKNOWN_EXCEPTION",
                     "An unexpected error occurred. Please include this ErrorId if you contact "
                     "support: 1234567890-12345 (-1234567890)"))
        return self._with_usage(sf_error(status, code, message))

    def endpoint_key(self, method: str, path: str) -> str:
        out: list[str] = []
        for part in path.rstrip("/").split("/"):
            if len(out) >= 3 and out[-3] == "sobjects":
                out.append("{value}")
            elif len(out) > 1 and out[-1] in ("query", "queryAll") and out[-2][:1] == "v":
                out.append("{cursor}")
            elif _ID.match(part) and any(ch.isdigit() for ch in part):
                out.append("{id}")
            else:
                out.append(part)
        return f"{method} {'/'.join(out) or '/'}"

    def admin_route(self, request: Request, subpath: str) -> Response | None:
        body = request.get_json(silent=True) or {}
        if subpath == "sessions/expire" and request.method == "POST":
            return json_response({"expired": self.expire_session(body.get("session_id"))})
        if subpath == "org" and request.method == "POST":
            self.reset_org(empty=bool(body.get("empty", False)),
                           enforce_fls=body.get("enforce_fls") if "enforce_fls" in body else None,
                           can_customize=bool(body.get("can_customize", True)),
                           can_manage_permissions=bool(body.get("can_manage_permissions", True)))
            return json_response({"ok": True, "objects": sorted(self.schema.objects)})
        if subpath == "api-usage" and request.method == "POST":
            self.api_used = int(body.get("used", self.api_used))
            self.daily_api_limit = int(body.get("limit", self.daily_api_limit))
            return json_response({"used": self.api_used, "limit": self.daily_api_limit})
        return None

    # ----- dispatch -----------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path in ("/", ""):
            return self._login_trick(request)
        soap = _SOAP.search(path)
        if soap and request.method == "POST":
            return auth.soap_login(request, self.sessions, self.base_url, soap.group(1))
        if path.rstrip("/") == "/services/oauth2/token" and request.method == "POST":
            return auth.oauth_token(request, self.sessions, self.base_url)
        if path.rstrip("/") == "/services/data":
            return json_response([{"label": "Emulator", "url": f"/services/data/v{v}",
                                   "version": v} for v in ("61.0", "62.0", "63.0")])
        if path.rstrip("/") == "/services/oauth2/userinfo" and request.method == "GET":
            if not self.sessions.check(request):
                return auth.invalid_session()
            return tooling.userinfo(self)
        match = _DATA.match(path)
        if match is None:
            return not_found()
        if not self.sessions.check(request):
            return auth.invalid_session()
        refused = self._count_usage()
        if refused is not None:
            return self._with_usage(refused)
        self.jobs.step()  # query jobs move on while the org serves requests (bulk2.py)
        return self._with_usage(self._route(request, match.group(1), match.group(2) or ""))

    def _login_trick(self, request: Request) -> Response:
        query = request.query_string.decode()
        version = _SOAP.search(query)
        if version or "xml" in (request.content_type or "") or request.headers.get("SOAPAction"):
            return auth.soap_login(request, self.sessions, self.base_url,
                                   version.group(1) if version else self.api_version)
        return auth.oauth_token(request, self.sessions, self.base_url)

    def _count_usage(self) -> Response | None:
        with self._usage_lock:
            self.api_used += 1
            if self.api_used > self.daily_api_limit:
                return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            if self.rate_limit is not None:
                max_calls, window = self.rate_limit
                now = time.monotonic()
                while self._recent and self._recent[0] <= now - window:
                    self._recent.popleft()
                if len(self._recent) >= max_calls:
                    return sf_error(403, "REQUEST_LIMIT_EXCEEDED",
                                    "ConcurrentPerOrgLongTxn Limit exceeded.")
                self._recent.append(now)
        return None

    def _with_usage(self, response: Response) -> Response:
        response.headers["Sforce-Limit-Info"] = (
            f"api-usage={min(self.api_used, self.daily_api_limit)}/{self.daily_api_limit}")
        return response

    def _route(self, request: Request, version: str, rest_path: str) -> Response:
        parts = [p for p in rest_path.split("/") if p]
        head = parts[0] if parts else ""
        method = request.method
        if head == "tooling":
            return tooling.tooling(self, request, version, parts[1:])
        setup_route = self._setup_route(request, version, parts)
        if setup_route is not None:
            return setup_route
        if head in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return rest.query_more(self, parts[1], version)
            return rest.run_query(self, request, version, head)
        if head == "sobjects":
            return rest.sobjects(self, request, version, parts[1:])
        if parts[:2] == ["composite", "sobjects"]:
            return composite.collections(self, request, version, parts[2:])
        if head == "limits" and method == "GET":
            return rest.limits(self)
        if head == "jobs" and len(parts) >= 2 and parts[1] in ("ingest", "query"):
            return bulk2.route(self, request, version, parts[1], parts[2:])
        if not parts and method == "GET":
            return json_response({"sobjects": f"/services/data/v{version}/sobjects",
                                  "query": f"/services/data/v{version}/query",
                                  "limits": f"/services/data/v{version}/limits"})
        return not_found()


_RETRIEVE = re.compile(r"^POST .*/composite/sobjects/[^/]+$")
_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)


def _setup_records(body: Any) -> list[Any] | None:
    """The records of a collections create when every one is a setup sObject (else None)."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list) or not body["records"]:
        return None
    records: list[Any] = body["records"]
    for record in records:
        attrs = record.get("attributes") if isinstance(record, dict) else None
        if not isinstance(attrs, dict) or tooling.setup_kind(str(attrs.get("type"))) is None:
            return None
    return records


def serve(port: int = 8443, seed_file: Path | str | None = None, generate_n: int | None = None,
          host: str = "127.0.0.1", tls_dir: Path | None = None) -> None:
    """Blocking sandbox server (``prm-sync sandbox --crm salesforce``)."""
    import json
    import sys

    emulator = SalesforceEmulator(tls_dir=tls_dir)
    if seed_file is not None:
        emulator.load(json.loads(Path(seed_file).read_text()))
    if generate_n:
        emulator.generate(generate_n)
    url = emulator.start(host, port)
    print(f"salesforce emulator on {url} (CA: {emulator.ca_path}, session id: "
          f"{emulator.session_id}, login domain: {emulator.login_domain})", file=sys.stderr)
    emulator.serve_forever(host, port)
