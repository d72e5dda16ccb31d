"""v4 associations: batch read (<= 1,000 ids a call), batch create and archive (100 a call)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from connectors.hubspot.client import HubSpotClient

READ_BATCH = 1000
WRITE_BATCH = 100


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_targets(client: HubSpotClient, from_type: str, to_type: str, ids: Sequence[str],
                 type_id: int | None) -> dict[str, tuple[str, ...]]:
    """from id -> associated ids of `to_type` (of `type_id` when given), sorted numerically.

    Records without associations are simply absent (HubSpot lists them as 207 errors).
    """
    found: dict[str, tuple[str, ...]] = {}
    for chunk in _chunks(ids, READ_BATCH):
        body = {"inputs": [{"id": record_id} for record_id in chunk]}
        answer = client.call(client.associations_api.get_page_with_http_info, from_type, to_type, body) or {}
        for row in answer.get("results") or []:
            targets = [
                str(target["toObjectId"]) for target in row.get("to") or []
                if type_id is None or any(
                    int(spec.get("typeId", -1)) == type_id for spec in target.get("associationTypes") or [])
            ]
            found[str(row["from"]["id"])] = tuple(sorted(set(targets), key=int))
    return found


def create(client: HubSpotClient, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]],
           category: str, type_id: int) -> dict[str, str]:
    """Create associations; from id -> HubSpot's message for each pair that failed."""
    failed: dict[str, str] = {}
    for chunk in _chunks(pairs, WRITE_BATCH):
        body = {"inputs": [
            {"from": {"id": a}, "to": {"id": b},
             "types": [{"associationCategory": category, "associationTypeId": type_id}]}
            for a, b in chunk
        ]}
        answer = client.call(client.associations_api.create_with_http_info, from_type, to_type, body) or {}
        done = {str(row.get("fromObjectId")) for row in answer.get("results") or []}
        errors = answer.get("errors") or []
        for a, b in chunk:
            if a not in done:
                failed[a] = _message_for(errors, a, b)
    return failed


def archive(client: HubSpotClient, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]) -> None:
    for chunk in _chunks(pairs, WRITE_BATCH):
        body = {"inputs": [{"from": {"id": a}, "to": [{"id": b}]} for a, b in chunk]}
        client.call(client.associations_api.archive_with_http_info, from_type, to_type, body)


def _message_for(errors: list[dict[str, Any]], from_id: str, to_id: str) -> str:
    for error in errors:
        mentioned = {str(v) for values in (error.get("context") or {}).values() for v in values}
        if from_id in mentioned or to_id in mentioned:
            return str(error.get("message") or "association refused")
    messages = [str(e.get("message")) for e in errors if e.get("message")]
    return "; ".join(messages) or "HubSpot did not create the association"
