"""Reading changes (CRM search) and archived records (the archived sweep).

HubSpot search sorts by ONE property and pages at most 10,000 results per query, and many
records share a millisecond (every record of one batch write does). So:

* the window query filters ``modified >= since`` (or, from a compound cursor (T, id):
  ``modified = T AND hs_object_id >= id`` OR ``modified > T``) and ``modified <= until``,
  AND the mapping's filters, sorted ascending by the modified date;
* records sharing the last timestamp seen are held back until a later timestamp shows up,
  then released sorted by id, so that output is in (modstamp, id) order whatever order
  HubSpot gives ties in;
* at the 10,000-result cap the window restarts at the held-back timestamp (``>= T``);
* as soon as a page shows a tie group (a full page's worth of records sharing one timestamp,
  with more to come) the group is read instead by a tie query ``modified = T AND
  hs_object_id >= id`` sorted by hs_object_id (restarting at the last id past its own cap),
  then the window goes on with ``modified > T`` -- unless the window's ``total`` shows the
  group was its end. So the group costs at most one page read twice (2,000 records in one
  millisecond: 11 search calls, the minimum being 10). Any number of records in one
  millisecond comes through, none twice.

Records are handed out in Pages of up to 1,000 (five search pages), so that one v4
association read covers a whole Page. A Page's cursor is (last modstamp, last id + 1): just
past its last record. Cursor ids are zero-padded to 20 digits so that Cursor's own ordering
(text) matches HubSpot's numeric ids; ``parse_cursor_id`` accepts padded or plain ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.errors import HubSpotMissingProperty, HubSpotRequestError
from prm_sync.connector import CrmRecord, CrmRefusedMapping, Cursor, Deletion, Page

SEARCH_LIMIT = 200
MAX_RESULTS = 10_000
PAGE_RECORDS = 1_000
TIE_SWITCH = SEARCH_LIMIT      # records of one timestamp that make it a tie group
ARCHIVED_LIMIT = 100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_ms(moment: dt.datetime, *, ceil: bool = False) -> int:
    delta = moment.astimezone(dt.UTC) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return -(-micros // 1000) if ceil else micros // 1000


def from_ms(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)


def parse_time(text: str) -> dt.datetime:
    if text.lstrip("-").isdigit():
        return from_ms(int(text))
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def cursor_id(record_id: int) -> str:
    return f"{record_id:020d}"


def parse_cursor_id(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


@dataclass(frozen=True)
class Hit:
    id: int
    ms: int
    properties: dict[str, Any]


Filter = dict[str, Any]


def mapping_filters(spec: Any) -> list[Filter]:
    """The mapping's HubSpot filters (validated HubSpotFilter items) as search filter objects."""
    out: list[Filter] = []
    for item in spec or []:
        one: Filter = {"propertyName": item.property, "operator": item.operator}
        if item.value is not None:
            one["value"] = _text(item.value)
        if item.high_value is not None:
            one["highValue"] = _text(item.high_value)
        if item.values is not None:
            one["values"] = [_text(v) for v in item.values]
        out.append(one)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ChangeReader:
    """One read_changes call: window queries, tie queries, Page assembly."""

    def __init__(self, client: HubSpotClient, object_type: str, modified: str, properties: list[str],
                 filters: list[Filter], associate: Callable[[Sequence[Hit]], dict[int, dict[str, tuple[str, ...]]]]
                 ) -> None:
        self.client = client
        self.object_type = object_type
        self.modified = modified
        self.properties = properties
        self.filters = filters
        self.associate = associate

    # ---- public ---------------------------------------------------------------------------
    def pages(self, since: Cursor | None, until: dt.datetime,
              settled: tuple[dt.datetime, dt.datetime] | None = None) -> Iterator[Page]:
        """Changes after `since`, plus (when given and since is not None) every record with
        settled[0] <= modified < settled[1]: one more filter group of the same searches."""
        batch: list[Hit] = []
        for hit in self._hits(since, until, settled):
            batch.append(hit)
            if len(batch) >= PAGE_RECORDS:
                yield self._page(batch)
                batch = []
        if batch:
            yield self._page(batch)

    # ---- search ---------------------------------------------------------------------------
    def _search(self, groups: list[list[Filter]], sort: str, after: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [*group, *self.filters]} for group in groups],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self.properties,
            "limit": SEARCH_LIMIT,
        }
        if after is not None:
            body["after"] = after
        try:
            return self.client.call(self.client.search_api.do_search_with_http_info, self.object_type, body) or {}
        except HubSpotRequestError as exc:
            if isinstance(exc, HubSpotMissingProperty) or exc.status != 400:
                raise
            # the search is built from the mapping (its filter, properties): retrying cannot help
            raise CrmRefusedMapping(f"HubSpot refused the search for {self.object_type}: {exc}",
                                    crm_object=self.object_type) from None

    def _parse(self, answer: dict[str, Any]) -> list[Hit]:
        hits = []
        for row in answer.get("results") or []:
            props = dict(row.get("properties") or {})
            stamp = props.get(self.modified) or row.get("updatedAt")
            hits.append(Hit(int(row["id"]), to_ms(parse_time(str(stamp))), props))
        return hits

    @staticmethod
    def _next_after(answer: dict[str, Any]) -> str | None:
        nxt = ((answer.get("paging") or {}).get("next") or {}).get("after")
        return None if nxt in (None, "") else str(nxt)

    def _hits(self, since: Cursor | None, until: dt.datetime,
              settled: tuple[dt.datetime, dt.datetime] | None = None) -> Iterator[Hit]:
        until_ms = to_ms(until)
        forward: tuple[int, int] | None = None   # (T, id): the cursor, inclusive
        window: tuple[int, int] | None = None    # [start, end) ms: the settled re-read
        floor: int | None = None                 # every record modified before it is read
        if since is not None:
            since_ms = to_ms(since.modstamp, ceil=True)
            since_id = parse_cursor_id(since.record_id) if since_ms == to_ms(since.modstamp) else 0
            forward = (since_ms, since_id) if since_ms <= until_ms else None
            if settled is not None:
                start, end = to_ms(settled[0], ceil=True), min(to_ms(settled[1], ceil=True), until_ms + 1)
                window = (start, end) if start < end else None
            if forward is None and window is None:
                return                           # the cursor is past `until` and nothing settled
            floor = min(x for x in (since_ms, window[0] if window else None) if x is not None)
        while True:
            groups = self._window_groups(floor, forward, window, until_ms)
            if not groups:
                return
            held: list[Hit] = []
            after: str | None = None
            total: int | None = None             # the window's size, from its first answer
            released = 0                         # records of this window handed out so far
            while True:
                answer = self._search(groups, self.modified, after)
                if total is None and isinstance(answer.get("total"), int):
                    total = answer["total"]
                for hit in self._parse(answer):
                    if held and hit.ms != held[0].ms:
                        yield from sorted(held, key=lambda h: h.id)
                        released += len(held)
                        held = []
                    held.append(hit)
                after = self._next_after(answer)
                if after is not None and len(held) >= TIE_SWITCH:
                    stamp = held[0].ms           # a full page of one timestamp: read the group by id
                    tied = 0
                    for hit in self._tie(stamp, self._first_id(stamp, forward, window)):
                        tied += 1
                        yield hit
                    if total is not None and released + tied >= total:
                        return                   # the group ended the window: nothing after it
                    floor = stamp + 1
                    break
                if after is None:
                    yield from sorted(held, key=lambda h: h.id)
                    return
                if int(after) >= MAX_RESULTS:
                    floor = held[0].ms           # re-read this timestamp whole, in a new window
                    break

    def _window_groups(self, floor: int | None, forward: tuple[int, int] | None,
                       window: tuple[int, int] | None, until_ms: int) -> list[list[Filter]]:
        """Filter groups (OR'ed) of what is left to read: from the cursor up to `until`, and the
        settled window, both above `floor`."""
        upper = {"propertyName": self.modified, "operator": "LTE", "value": str(until_ms)}
        if forward is None and window is None:  # a read from the start
            if floor is None:
                return [[upper]]
            return [[{"propertyName": self.modified, "operator": "GTE", "value": str(floor)}, upper]]
        assert floor is not None
        groups: list[list[Filter]] = []
        if window is not None and max(window[0], floor) < window[1]:
            groups.append([{"propertyName": self.modified, "operator": "GTE", "value": str(max(window[0], floor))},
                           {"propertyName": self.modified, "operator": "LT", "value": str(window[1])}])
        if forward is not None:
            stamp, first_id = max(forward, (floor, 0))
            if stamp > until_ms:
                return groups
            if first_id > 0:
                groups.append([{"propertyName": self.modified, "operator": "EQ", "value": str(stamp)},
                               {"propertyName": "hs_object_id", "operator": "GTE", "value": str(first_id)}])
                groups.append([{"propertyName": self.modified, "operator": "GT", "value": str(stamp)}, upper])
            else:
                groups.append([{"propertyName": self.modified, "operator": "GTE", "value": str(stamp)}, upper])
        return groups

    @staticmethod
    def _first_id(stamp: int, forward: tuple[int, int] | None, window: tuple[int, int] | None) -> int:
        """The smallest id still wanted at `stamp`: the cursor's id at its own timestamp, unless
        the settled window wants the whole timestamp."""
        if window is not None and window[0] <= stamp < window[1]:
            return 0
        return forward[1] if forward is not None and forward[0] == stamp else 0

    def _tie(self, stamp: int, from_id: int) -> Iterator[Hit]:
        """Every record modified at exactly `stamp` with id >= from_id, by id."""
        while True:
            groups = [[{"propertyName": self.modified, "operator": "EQ", "value": str(stamp)},
                       {"propertyName": "hs_object_id", "operator": "GTE", "value": str(from_id)}]]
            after: str | None = None
            last_id = from_id - 1
            while True:
                answer = self._search(groups, "hs_object_id", after)
                for hit in self._parse(answer):
                    last_id = hit.id
                    yield hit
                after = self._next_after(answer)
                if after is None:
                    return
                if int(after) >= MAX_RESULTS:
                    from_id = last_id + 1
                    break

    # ---- pages ----------------------------------------------------------------------------
    def _page(self, hits: list[Hit]) -> Page:
        linked = self.associate(hits)
        records = [
            CrmRecord(crm_id=str(h.id), modstamp=from_ms(h.ms), fields=h.properties,
                      associations=linked.get(h.id, {}))
            for h in hits
        ]
        last = hits[-1]
        return Page(records=records, cursor=Cursor(from_ms(last.ms), cursor_id(last.id + 1)))


def archived_since(client: HubSpotClient, object_type: str, key: str | None,
                   since: dt.datetime | None) -> Iterator[Deletion]:
    """The archived sweep: every archived record (HubSpot lists them by id, 100 a page),
    kept when archived at or after `since` (archiving does not touch the modified date)."""
    after: str | None = None
    properties = [key] if key else []
    while True:
        kwargs: dict[str, Any] = {"limit": ARCHIVED_LIMIT, "archived": True}
        if properties:
            kwargs["properties"] = properties
        if after is not None:
            kwargs["after"] = after
        answer = client.call(client.basic_api.get_page_with_http_info, object_type, **kwargs) or {}
        for row in answer.get("results") or []:
            stamp = row.get("archivedAt") or row.get("updatedAt")
            archived_at = parse_time(str(stamp))
            if since is None or archived_at >= since:
                value = (row.get("properties") or {}).get(key) if key else None
                yield Deletion(crm_id=str(row["id"]), deleted_at=archived_at,
                               key=str(value) if value not in (None, "") else None)
        nxt = ((answer.get("paging") or {}).get("next") or {}).get("after")
        if not nxt:
            return
        after = str(nxt)
