"""The baseline: the same pages read (or written) with the bare SDK calls and nothing else.

Salesforce: simple-salesforce `query_all_iter` over the connector's own SOQL (queryAll, 2,000 a
page), or `sf.bulk2.<Obj>.query_all` (a Bulk API 2.0 job, job "baseline_bulk_pull");
HubSpot: `search_api.do_search` paging with the same filters, sort and properties (200 a
page; a new window at the last timestamp when `after` reaches the 10,000-result cap) plus the
v4 association batch reads (1,000 ids) the mapping needs. Pushes: sObject Collections upsert
(200 a call) or one Bulk API 2.0 upsert; HubSpot batch upsert (100 a call).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prm_sync.app import App

SEARCH_CAP = 10_000


def run(spec: dict[str, Any], rss_kb: Callable[[], int]) -> dict[str, Any]:
    app = App(Path(spec["config"]))
    config, mapping = app.config, app.mapping
    job = _salesforce if config.crm.type == "salesforce" else _hubspot
    client = _sf_client(config) if config.crm.type == "salesforce" else _hs_client(config)
    rss_before = rss_kb()
    from bench.worker import cpu_seconds

    started, cpu_started = time.perf_counter(), cpu_seconds()
    calls, records = job(client, spec, mapping)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    return {"seconds": seconds, "cpu_seconds": cpu, "api_calls": calls, "records": records, "rss_before_kb": rss_before,
            "peak_rss_kb": rss_kb()}


def _sf_client(config: Any) -> Any:
    from simple_salesforce import Salesforce

    from connectors.salesforce.client import make_http_session

    settings = config.crm.salesforce
    session = make_http_session(settings)  # a plain requests session that keeps the CA bundle
    return Salesforce(instance_url=str(settings.instance_url), session_id=str(settings.session_id),
                      session=session, version=settings.api_version)


def _hs_client(config: Any) -> Any:
    import urllib3
    from hubspot import HubSpot

    settings = config.crm.hubspot
    return HubSpot(access_token=settings.access_token, host=settings.base_url.rstrip("/"),
                   retry=urllib3.util.Retry(0))


def _salesforce(sf: Any, spec: dict[str, Any], mapping: Any) -> tuple[int, int]:
    from connectors.salesforce.soql import changes_query

    calls = records = 0
    if spec["job"] == "baseline_pull":
        until = dt.datetime.now(dt.UTC)
        for entity in spec["entities"]:
            soql = changes_query(mapping[entity], None, until)
            read = sum(1 for _row in sf.query_all_iter(soql, include_deleted=True))
            calls += max(1, -(-read // 2000))  # one call a 2,000-row page
            records += read
        return calls, records
    if spec["job"] == "baseline_bulk_pull":  # simple-salesforce's own Bulk API 2.0 queryAll (pages as strings)
        import csv
        import io

        from connectors.salesforce.soql import bulk_changes_query

        until = dt.datetime.now(dt.UTC)
        for entity in spec["entities"]:
            mapper = mapping[entity]
            handler = getattr(sf.bulk2, str(mapper.object))
            for page in handler.query_all(bulk_changes_query(mapper, until), wait=0.2):
                records += sum(1 for _row in csv.DictReader(io.StringIO(page)))
                calls += 1
            calls += 3  # create, polls (at least two)
        return calls, records
    rows = _push_rows(spec)
    if spec.get("bulk"):
        jobs = sf.bulk2.Account.upsert(records=rows, external_id_field="PRM_Id__c", wait=0.2)
        for job in jobs:
            sf.bulk2.Account.get_successful_records(job["job_id"])
            calls += 6
        return calls, len(rows)
    for start in range(0, len(rows), 200):
        body = {"allOrNone": False, "records": [{"attributes": {"type": "Account"}, **r}
                                                for r in rows[start:start + 200]]}
        sf.restful("composite/sobjects/Account/PRM_Id__c", method="PATCH", json=body)
        calls += 1
    return calls, len(rows)


def _push_rows(spec: dict[str, Any]) -> list[dict[str, str]]:
    salesforce = spec["crm"] == "salesforce"
    rows = []
    for i in range(int(spec["count"])):
        key = f"baseline-{spec.get('tag', 'x')}-{i:08d}"
        if salesforce:
            rows.append({"PRM_Id__c": key, "Name": f"Baseline Partner {i}", "Type": "Partner",
                         "Partner_Tier__c": "Gold", "Partner_Status__c": "Active", "Website": f"https://b{i}.example"})
        else:
            rows.append({"prm_id": key, "name": f"Baseline Partner {i}", "prm_is_partner": "true",
                         "prm_partner_tier": "gold", "prm_partner_status": "active", "domain": f"b{i}.example"})
    return rows


def _hubspot(client: Any, spec: dict[str, Any], mapping: Any) -> tuple[int, int]:
    if spec["job"] == "baseline_push":
        from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert

        rows = _push_rows(spec)
        calls = 0
        for start in range(0, len(rows), 100):
            inputs = [{"idProperty": "prm_id", "id": r["prm_id"], "properties": r} for r in rows[start:start + 100]]
            client.crm.objects.batch_api.upsert(
                "companies", BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
            calls += 1
        return calls, len(rows)
    search_api = client.crm.objects.search_api
    assoc_api = client.crm.associations.v4.batch_api
    calls = records = 0
    until = str(int(time.time() * 1000))
    for entity in spec["entities"]:
        mapper = mapping[entity]
        obj = str(mapper.object)
        modified = "lastmodifieddate" if obj == "contacts" else "hs_lastmodifieddate"
        fixed = [{"propertyName": f.property, "operator": f.operator, "value": str(f.value)}
                 for f in mapper.filter or []]
        properties = list(dict.fromkeys([*mapper.crm_fields_to_read(), "hs_object_id", modified]))
        refs = [r for r in mapper.references if r.association is not None and r.pull]
        low: str | None = None
        pending: list[str] = []
        while True:
            window = [{"propertyName": modified, "operator": "LTE", "value": until}, *fixed]
            if low is not None:
                window.append({"propertyName": modified, "operator": "GTE", "value": low})
            after: str | None = None
            while True:
                body: dict[str, Any] = {"filterGroups": [{"filters": window}],
                                        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                                        "properties": properties, "limit": 200}
                if after:
                    body["after"] = after
                page = search_api.do_search(str(obj), body)
                calls += 1
                for hit in page.results:
                    records += 1
                    pending.append(hit.id)
                    low = hit.properties.get(modified)
                if len(pending) >= 1000:
                    calls += _read_associations(assoc_api, obj, refs, pending[:1000])
                    pending = pending[1000:]
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after or int(after) >= SEARCH_CAP:
                    break
            if not after:
                break
            low = str(int(dt.datetime.fromisoformat(str(low).replace("Z", "+00:00")).timestamp() * 1000))
        if pending:
            calls += _read_associations(assoc_api, obj, refs, pending)
    return calls, records


def _read_associations(api: Any, obj: str, refs: list[Any], ids: list[str]) -> int:
    from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest

    for ref in refs:
        api.get_page(obj, str(ref.association),
                     BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": i} for i in ids]))
    return len(refs)
