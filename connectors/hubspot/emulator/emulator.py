"""The HubSpot CRM emulator: state, auth, rate limits, search cache and index lag, routing.

Python API (besides the kit's ``inject``, ``calls``, ``start``...)::

    emu = HubSpotEmulator(token="test-token", clock=lambda: fixed_datetime)
    emu.rate_limits = RateLimits(per_interval=10)      # or emu.configure_rate_limits(...)
    emu.set_search_lag(500)                            # writes show in search 500 ms later
    emu.generate(100, seed=1); emu.dump(); emu.load(state)

Every request is served under ``self.lock``; all records written by one request share its
millisecond (``now_ms`` is read once per request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import Emulator, Fault, json_response
from connectors.hubspot.emulator import assoc_api, batch_api, meta_api, objects_api, setup_api
from connectors.hubspot.emulator.associations import AssociationStore, AssociationType, default_association_types
from connectors.hubspot.emulator.errors import (
    HubSpotError,
    error_body,
    injected_error,
    not_found,
    unauthorized,
    validation_error,
)
from connectors.hubspot.emulator.generate import generate_portal
from connectors.hubspot.emulator.ratelimit import RateLimiter, RateLimits
from connectors.hubspot.emulator.records import Record, RecordStore, TypeTable
from connectors.hubspot.emulator.schema import (
    ObjectTypeDef,
    PortalSchema,
    default_portal_schema,
    empty_portal_schema,
)
from connectors.hubspot.emulator.search import CompiledSearch, SearchLimits, run_search

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_URLS = Map([
    Rule("/crm/v3/objects/<otype>", endpoint="objects"),
    Rule("/crm/v3/objects/<otype>/search", endpoint="search"),
    Rule("/crm/v3/objects/<otype>/batch/<op>", endpoint="batch"),
    Rule("/crm/v3/objects/<otype>/<oid>", endpoint="object"),
    Rule("/crm/v3/properties/<otype>", endpoint="properties"),
    Rule("/crm/v3/properties/<otype>/groups", endpoint="groups"),
    Rule("/crm/v3/properties/<otype>/batch/create", endpoint="properties_create"),
    Rule("/crm/v3/pipelines/<otype>", endpoint="pipelines"),
    Rule("/crm/v3/pipelines/<otype>/<pipeline_id>/stages", endpoint="stages"),
    Rule("/crm/v3/properties/<otype>/<name>", endpoint="property"),
    Rule("/crm-object-schemas/v3/schemas", endpoint="schemas"),
    Rule("/crm-object-schemas/v3/schemas/<otype>", endpoint="schema"),
    Rule("/crm/v4/associations/<otype>/<to>/batch/<path:op>", endpoint="assoc_batch"),
    Rule("/crm/v4/objects/<otype>/<oid>/associations/default/<to>/<to_id>",
         endpoint="assoc_default"),
], strict_slashes=False, merge_slashes=False)


class HubSpotEmulator(Emulator):
    name = "hubspot"

    def __init__(
        self,
        *,
        token: str | None = "test-token",
        schema: PortalSchema | None = None,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        search_lag_ms: int = 0,
        tls: bool = False,
        **kit_options: Any,
    ) -> None:
        super().__init__(tls=tls, **kit_options)
        self.tokens: set[str] = {token} if token else set()
        self.schema = schema or default_portal_schema()
        if not self.schema.association_types:
            self.schema.association_types = [t for t in default_association_types()
                                             if {t.from_type, t.to_type} <= set(self.schema.object_types)]
        self.clock: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(dt.UTC))
        self.limiter = RateLimiter(rate_limits)
        self.search_limits = SearchLimits()
        self.batch_sequence = 0
        self.search_lag_ms = 0
        self._reset_state()
        self.set_search_lag(search_lag_ms)

    # ---- state ----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.store = RecordStore(self.schema)
        self.associations = AssociationStore(self.schema.association_types)
        self._search_cache: dict[tuple[str, str], tuple[int, list[Record]]] = {}
        self._sorted_ids: dict[str, tuple[int, list[int]]] = {}
        self._index: dict[str, dict[int, Record]] = {}
        self._index_version: dict[str, int] = {}
        self._pending: list[tuple[int, str, Record]] = []

    @property
    def rate_limits(self) -> RateLimits:
        return self.limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        with self.lock:
            self.limiter.configure(limits)

    def now_ms(self) -> int:
        return (self.clock() - _EPOCH) // dt.timedelta(milliseconds=1)

    def set_search_lag(self, lag_ms: int) -> None:
        """Changes become visible to search ``lag_ms`` after they are written (0 = at once)."""
        with self.lock:
            self.search_lag_ms = max(0, int(lag_ms))
            self._rebuild_index()

    def _rebuild_index(self) -> None:
        self._pending.clear()
        self._search_cache.clear()
        if not self.search_lag_ms:
            self._index.clear()
            return
        for name, table in self.store.tables.items():
            self._index[name] = {i: r.snapshot() for i, r in table.records.items()}
            self._index_version[name] = self._index_version.get(name, 0) + 1

    def changed(self, object_type: ObjectTypeDef, records: list[Record], now_ms: int,
                lag_ms: int | None = None) -> None:
        """Called after every write: queue the new versions for the lagging search index.
        `lag_ms` overrides the lag for this write (HubSpot's lag varies write by write)."""
        if self.search_lag_ms and records:
            due = now_ms + (self.search_lag_ms if lag_ms is None else max(0, lag_ms))
            self._pending.extend((due, object_type.name, r.snapshot()) for r in records)

    def _flush_index(self, now_ms: int) -> None:
        if not self._pending:
            return
        keep = []
        for due, name, snapshot in self._pending:
            if due <= now_ms:
                self._index[name][snapshot.id] = snapshot
                self._index_version[name] += 1
            else:
                keep.append((due, name, snapshot))
        self._pending = keep

    def search_results(self, object_type: ObjectTypeDef, search: CompiledSearch,
                       now_ms: int) -> list[Record]:
        """All matches, sorted; cached per query body until the next visible write."""
        name = object_type.name
        if self.search_lag_ms:
            self._flush_index(now_ms)
            source, version = self._index[name].values(), self._index_version[name]
        else:
            table = self.store.table(object_type)
            source, version = table.records.values(), table.version
        key = (name, search.cache_key)
        cached = self._search_cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        ordered = run_search(object_type, search, source)
        if len(self._search_cache) > 64:
            self._search_cache.clear()
        self._search_cache[key] = (version, ordered)
        return ordered

    def sorted_ids(self, table: TypeTable) -> list[int]:
        name = table.object_type.name
        cached = self._sorted_ids.get(name)
        if cached is None or cached[0] != table.version:
            cached = (table.version, sorted(table.records))
            self._sorted_ids[name] = cached
        return cached[1]

    # ---- associations given on create, and v3 "associations=" on get ------------------
    def parse_create_associations(
        self, object_type: ObjectTypeDef, raw: object
    ) -> list[tuple[ObjectTypeDef, int, AssociationType]]:
        links = []
        for item in raw or []:  # type: ignore[attr-defined]
            to_id = str((item.get("to") or {}).get("id"))
            for spec in item.get("types") or []:
                type_id = int(spec.get("associationTypeId", -1))
                match = [t for t in self.associations.types
                         if t.from_type == object_type.name and t.type_id == type_id]
                target = self.schema.object_types.get(match[0].to_type) if match else None
                record = self.store.table(target).records.get(int(to_id)) if (
                    target and to_id.isdigit()) else None
                if target is None or record is None or record.archived:
                    raise validation_error(
                        f"Invalid association: type {type_id} to object {to_id}"
                    )
                links.append((target, record.id, match[0]))
        return links

    def apply_create_associations(
        self, object_type: ObjectTypeDef, record: Record,
        links: list[tuple[ObjectTypeDef, int, AssociationType]],
    ) -> None:
        for target, to_id, assoc_type in links:
            self.associations.link(object_type.name, record.id, target.name, to_id, assoc_type)

    def v3_associations(self, object_type: ObjectTypeDef, record: Record,
                        wanted: list[str]) -> dict[str, object]:
        out: dict[str, object] = {}
        for ref in (n for item in wanted for n in item.split(",") if n):
            target = self.schema.resolve(ref)
            if target is None:
                continue
            targets = self.associations.targets(object_type.name, record.id, target.name)
            if targets:
                out[target.name] = {"results": [
                    {"id": str(to_id), "type": f"{object_type.singular_label.lower()}_to_"
                     f"{target.singular_label.lower().replace(' ', '_')}"}
                    for to_id in sorted(targets)
                ]}
        return out

    # ---- HTTP ---------------------------------------------------------------------------
    def _type(self, ref: str) -> ObjectTypeDef:
        object_type = self.schema.resolve(ref)
        if object_type is None:
            raise HubSpotError(400, error_body(
                f"Unable to infer object type from: {ref}", "VALIDATION_ERROR"))
        return object_type

    def dispatch(self, request: Request) -> Response:
        with self.lock:
            now_ms = self.now_ms()
            auth = request.headers.get("Authorization", "")
            if self.tokens and auth.removeprefix("Bearer ").strip() not in self.tokens:
                return unauthorized().response()
            verdict = self.limiter.check(now_ms, request.path.endswith("/search"))
            if verdict.refusal is not None:
                response = json_response(verdict.refusal, 429)
            else:
                try:
                    response = self._route(request, now_ms)
                except HubSpotError as exc:
                    response = exc.response()
            response.headers.update(verdict.headers)
            return response

    def _route(self, request: Request, now_ms: int) -> Response:
        try:
            endpoint, args = _URLS.bind("emulator").match(request.path, method=request.method)
        except HTTPException:
            raise not_found(f"No route for {request.method} {request.path}") from None
        method = request.method
        if endpoint == "schemas" and method == "GET":
            return meta_api.list_schemas(self)
        if endpoint == "schema" and method == "GET":
            return meta_api.get_schema(self, args["otype"])
        if endpoint == "schemas" and method == "POST":
            return setup_api.create_schema(self, request)
        object_type = self._type(args["otype"])
        if endpoint == "objects":
            if method == "GET":
                return objects_api.list_page(self, request, object_type)
            if method == "POST":
                return objects_api.create_one(self, request, object_type, now_ms)
        elif endpoint == "object":
            oid = args["oid"]
            if method == "GET":
                return objects_api.get_one(self, request, object_type, oid)
            if method == "PATCH":
                return objects_api.update_one(self, request, object_type, oid, now_ms)
            if method == "DELETE":
                return objects_api.archive_one(self, object_type, oid, now_ms)
        elif endpoint == "search" and method == "POST":
            return objects_api.search(self, request, object_type, now_ms)
        elif endpoint == "batch" and method == "POST" and args["op"] in batch_api.HANDLERS:
            return batch_api.HANDLERS[args["op"]](self, request, object_type, now_ms)
        elif endpoint == "properties" and method == "GET":
            return meta_api.list_properties(self, object_type)
        elif endpoint == "groups" and method in ("GET", "POST"):
            return (setup_api.list_groups(self, object_type) if method == "GET"
                    else setup_api.create_group(self, request, object_type))
        elif endpoint == "properties_create" and method == "POST":
            return setup_api.batch_create_properties(self, request, object_type)
        elif endpoint == "pipelines" and method in ("GET", "POST"):
            return (setup_api.list_pipelines(self, object_type) if method == "GET"
                    else setup_api.create_pipeline(self, request, object_type))
        elif endpoint == "stages" and method == "POST":
            return setup_api.create_stage(self, request, object_type, args["pipeline_id"])
        elif endpoint == "property" and method == "GET":
            return meta_api.get_property(self, object_type, args["name"])
        elif endpoint == "assoc_batch" and method == "POST" and args["op"] in assoc_api.HANDLERS:
            target = self._type(args["to"])
            return assoc_api.HANDLERS[args["op"]](self, request, object_type, target, now_ms)
        elif endpoint == "assoc_default" and method == "PUT":
            return assoc_api.put_default(self, object_type, args["oid"],
                                         self._type(args["to"]), args["to_id"], now_ms)
        raise not_found(f"No route for {method} {request.path}")

    def endpoint_key(self, method: str, path: str) -> str:
        """``POST /crm/v3/objects/companies/batch/upsert``; ids -> {id}, values -> {value}."""
        parts = path.split("/")
        for index, part in enumerate(parts):
            if part.isdigit():
                parts[index] = "{id}"
                continue
            resolved = self.schema.resolve(part) if index in (4, 5) else None
            if resolved is not None:
                parts[index] = resolved.name
        if len(parts) == 6 and parts[1:4] == ["crm", "v3", "objects"] and parts[5] not in (
            "search", "batch", "{id}"
        ):
            parts[5] = "{value}"
        return f"{method} {'/'.join(parts)}"

    def write_calls(self) -> int:
        """Calls that could change the portal (records or metadata): every one but GETs, searches
        and batch reads."""
        with self._counter_lock:
            return sum(n for key, n in self.counters.items() if not key.startswith("GET ")
                       and not key.endswith("/search") and "/batch/read" not in key)

    def error_response(self, status: int, fault: Fault) -> Response:
        return json_response(injected_error(status), status)

    # ---- dump / load / generate -------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "portalId": self.schema.portal_id,
                "objects": self.store.dump(),
                "associations": self.associations.dump(),
            }

    def load(self, state: dict[str, Any]) -> None:
        with self.lock:
            self._reset_state()
            self.store.load(state.get("objects", {}))
            self.associations.load(state.get("associations", []))
            self._rebuild_index()

    def generate(self, n: int, seed: int = 0) -> None:
        with self.lock:
            generate_portal(self.store, self.associations, n, seed, self.now_ms())
            self._rebuild_index()

    def reset_portal(self, *, empty: bool = False, tier: str = "enterprise", honour_requested_ids: bool = False
                     ) -> None:
        """A new portal, without records: `empty` as HubSpot hands it over (nothing prm-sync needs, for
        `crm setup`), `tier` ("enterprise" has custom objects), `honour_requested_ids` (see PortalSchema).
        Admin API: POST /__admin__/portal {"empty": true, "tier": "professional"}."""
        build = empty_portal_schema if empty else default_portal_schema
        with self.lock:
            self.schema = build(self.schema.portal_id, tier=tier, honour_requested_ids=honour_requested_ids)
            self._reset_state()
            self._rebuild_index()

    def admin_route(self, request: Request, subpath: str) -> Response | None:
        body = request.get_json(silent=True) or {}
        if (request.method, subpath) == ("POST", "ratelimits"):
            self.rate_limits = RateLimits(**body)
            return json_response({"ok": True})
        if (request.method, subpath) == ("POST", "portal"):
            self.reset_portal(empty=bool(body.get("empty", False)), tier=str(body.get("tier", "enterprise")),
                              honour_requested_ids=bool(body.get("honour_requested_ids", False)))
            return json_response({"ok": True})
        if (request.method, subpath) == ("POST", "search-lag"):
            self.set_search_lag(int(body.get("ms", 0)))
            return json_response({"ok": True})
        return None
