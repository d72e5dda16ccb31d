"""Writing records: sObject Collections upsert by external id / update by Id, 200 a call.

A batch is split in two groups, each keeping its input positions:
- PushRecord.crm_id None  -> upsert by the entity's crm_key: PATCH composite/sobjects/{Obj}/{key}
- PushRecord.crm_id given -> update that record by Id:         PATCH composite/sobjects
Each group goes in chunks of 200 with allOrNone=false (one API call per chunk), or through Bulk
API 2.0 when the group is larger than `bulk_threshold`. Results come back in input order.
A chunk Salesforce refuses whole (400, e.g. a value it cannot deserialize) is split in halves
until the bad record is alone; that record is REJECTED with Salesforce's message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.errors import SalesforceRequestError
from connectors.salesforce.soql import BadSoqlName, identifier
from connectors.salesforce.wire import Unsendable, collection_body, json_object
from prm_sync.connector import CrmRefusedMapping, EntityMapper, Outcome, PushRecord, UpsertResult

BATCH = 200
_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


@dataclass(frozen=True)
class Item:
    """One record ready to send: its input position, its key, and the CRM payload."""

    index: int
    key: str
    payload: dict[str, Any]
    crm_id: str | None = None


def is_sf_id(value: str) -> bool:
    return bool(_SF_ID.match(value))


def prepare(mapper: EntityMapper, records: Sequence[PushRecord]
            ) -> tuple[list[Item], list[Item], dict[int, UpsertResult]]:
    """Split into (upserts by key, updates by Id) and INVALID results for what cannot be sent."""
    upserts: list[Item] = []
    updates: list[Item] = []
    invalid: dict[int, UpsertResult] = {}
    obj = identifier(mapper.object)
    for index, record in enumerate(records):
        problem = None
        payload: dict[str, Any] = {"attributes": {"type": obj}}
        try:
            for name, value in record.fields.items():
                payload[identifier(name)] = value
            if mapper.crm_key and record.key:
                payload[identifier(mapper.crm_key)] = record.key
            json_object(payload)
        except (BadSoqlName, Unsendable) as exc:
            problem = str(exc)
        if problem is None and record.crm_id is None and not (mapper.crm_key and record.key):
            problem = "no PRM id to upsert by (crm_key value missing)"
        if problem is None and record.crm_id is not None and not is_sf_id(record.crm_id):
            problem = f"'{record.crm_id}' is not a Salesforce record id"
        if problem is not None:
            invalid[index] = UpsertResult(key=record.key, outcome=Outcome.INVALID, message=problem)
        elif record.crm_id is None:
            upserts.append(Item(index, record.key, payload))
        else:
            payload["Id"] = record.crm_id
            updates.append(Item(index, record.key, payload, record.crm_id))
    return upserts, updates, invalid


def result_message(errors: Sequence[Mapping[str, Any]] | None) -> str:
    parts = [f"{e.get('statusCode') or e.get('errorCode')}: {e.get('message', '')}" for e in errors or ()]
    return "; ".join(parts) or "rejected without a message"


def to_result(item: Item, answer: Mapping[str, Any], by_key: bool) -> UpsertResult:
    if answer.get("success"):
        created = bool(answer.get("created")) if by_key else False
        return UpsertResult(key=item.key, outcome=Outcome.CREATED if created else Outcome.UPDATED,
                            crm_id=str(answer.get("id") or item.crm_id))
    return UpsertResult(key=item.key, outcome=Outcome.REJECTED, crm_id=item.crm_id,
                        message=result_message(answer.get("errors")))


def send_collection(client: SalesforceClient, path: str, items: Sequence[Item], by_key: bool) -> list[UpsertResult]:
    """One composite call for up to 200 items; a chunk refused whole is bisected."""
    body = collection_body([i.payload for i in items])
    try:
        answers = client.call(lambda sf: sf.restful(path, method="PATCH", data=body))
    except SalesforceRequestError as exc:
        if exc.status != 400:
            raise
        if len(items) == 1:
            return [UpsertResult(key=items[0].key, outcome=Outcome.REJECTED, crm_id=items[0].crm_id,
                                 message=str(exc).removeprefix("Salesforce error 400: "))]
        half = len(items) // 2
        return send_collection(client, path, items[:half], by_key) + \
            send_collection(client, path, items[half:], by_key)
    if not isinstance(answers, list) or len(answers) != len(items):
        raise SalesforceRequestError(f"Salesforce answered {len(answers or [])} results for {len(items)} records")
    return [to_result(item, answer, by_key) for item, answer in zip(items, answers, strict=True)]


def write_group(client: SalesforceClient, mapper: EntityMapper, items: Sequence[Item], by_key: bool,
                bulk: Callable[[Sequence[Item], bool], list[UpsertResult]] | None) -> list[UpsertResult]:
    if not items:
        return []
    try:
        if bulk is not None:
            return bulk(items, by_key)
        path = f"composite/sobjects/{mapper.object}/{mapper.crm_key}" if by_key else "composite/sobjects"
        results: list[UpsertResult] = []
        for start in range(0, len(items), BATCH):
            results.extend(send_collection(client, path, items[start:start + BATCH], by_key))
        return results
    except SalesforceRequestError as exc:
        if by_key and "external id" in str(exc).lower():
            # the upsert key itself refused (no such field, or not an External ID): every record alike
            raise CrmRefusedMapping(
                f"Salesforce refused to upsert {mapper.object} records by {mapper.crm_key}: {exc}; "
                f"make {mapper.object}.{mapper.crm_key} an External ID field (Unique), or name one as crm_key",
                crm_object=mapper.object, key="crm_key") from None
        if exc.status == 404:
            raise CrmRefusedMapping(
                f"Salesforce has no object {mapper.object} this user can write: {exc}; fix the name, or grant "
                "the user access to it", crm_object=mapper.object) from None
        raise


def delete(client: SalesforceClient, crm_ids: Sequence[str]) -> list[UpsertResult]:
    """composite DELETE ?ids=, 200 a call, allOrNone=false; an already deleted record counts as done."""
    results: list[UpsertResult | None] = [None] * len(crm_ids)
    valid = []
    for index, crm_id in enumerate(crm_ids):
        if is_sf_id(crm_id):
            valid.append((index, crm_id))
        else:
            results[index] = UpsertResult(key=crm_id, outcome=Outcome.INVALID,
                                          message=f"'{crm_id}' is not a Salesforce record id")
    for start in range(0, len(valid), BATCH):
        chunk = valid[start:start + BATCH]
        params = {"ids": ",".join(i for _, i in chunk), "allOrNone": "false"}
        answers = _delete_call(client, params)
        for (index, crm_id), answer in zip(chunk, answers or [], strict=False):
            codes = {e.get("statusCode") for e in answer.get("errors") or ()}
            if answer.get("success"):
                results[index] = UpsertResult(key=crm_id, outcome=Outcome.DELETED, crm_id=crm_id)
            elif codes == {"ENTITY_IS_DELETED"}:
                results[index] = UpsertResult(key=crm_id, outcome=Outcome.ALREADY_GONE, crm_id=crm_id)
            else:
                results[index] = UpsertResult(key=crm_id, outcome=Outcome.REJECTED, crm_id=crm_id,
                                              message=result_message(answer.get("errors")))
    return [r if r is not None else UpsertResult(key=crm_ids[i], outcome=Outcome.REJECTED,
                                                 message="no result from Salesforce")
            for i, r in enumerate(results)]


def _delete_call(client: SalesforceClient, params: dict[str, str]) -> Any:
    return client.call(lambda sf: sf.restful("composite/sobjects", method="DELETE", params=params))
