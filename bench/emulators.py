"""Issue 3: the emulators are never the bottleneck. Serving time (median of RUNS, min–max) of a
2,000-row Salesforce query page and a 100/200-record composite upsert, a 200-result HubSpot
search page and a 100-input batch upsert: server side (straight into the WSGI app) and end to end
through the real SDK / HTTP client. The emulators run in this process here (nothing else is
measured at the same time)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import urllib3
from werkzeug.test import Client

from connectors.hubspot.emulator import HubSpotEmulator
from connectors.salesforce.emulator import SalesforceEmulator

RUNS = 9
CURSOR_SOQL = ("SELECT Id, Name, PRM_Id__c, Partner_Tier__c, Partner_Status__c, SystemModstamp FROM Account "
               "WHERE (Type = 'Partner') AND (SystemModstamp > {m} OR (SystemModstamp = {m} AND Id >= '{id}')) "
               "AND SystemModstamp <= 2100-01-01T00:00:00.000Z ORDER BY SystemModstamp, Id")


def timed(action: Callable[[], object], runs: int = RUNS) -> list[float]:
    action()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):.1f} ms ({min(samples):.1f}–{max(samples):.1f})"


def salesforce(rows: int) -> list[str]:
    from simple_salesforce import Salesforce

    from connectors.salesforce.client import PinnedCaSession

    with tempfile.TemporaryDirectory() as tls_dir:
        emulator = SalesforceEmulator(tls_dir=Path(tls_dir), daily_api_limit=10_000_000)
        emulator.generate(rows, seed=0)
        emulator.start()
        try:
            accounts = sorted(emulator.store.records["Account"].values(), key=lambda r: (r["SystemModstamp"], r["Id"]))
            first = accounts[0]
            soql = CURSOR_SOQL.format(m=first["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z"), id=first["Id"])
            sf = Salesforce(instance_url=emulator.base_url, session_id=emulator.session_id,
                            session=PinnedCaSession(str(emulator.ca_path)))
            page = sf.query_all(soql) if rows < 2000 else sf.query(soql)
            size = len(page["records"])
            next_url = page.get("nextRecordsUrl")
            client = Client(emulator)
            headers = {"Authorization": f"Bearer {emulator.session_id}"}
            base = "/services/data/v62.0"
            lines = [f"Salesforce emulator, {len(accounts):,} Accounts (cursor query, first page = {size:,} rows):", ""]
            lines.append(f"- query page, server side: {ms(timed(lambda: client.get(f'{base}/query', query_string={'q': soql}, headers=headers)))}")  # noqa: E501
            lines.append(f"- query page, through simple-salesforce: {ms(timed(lambda: sf.query(soql)))}")
            if next_url:
                lines.append(f"- nextRecordsUrl page, server side: "
                             f"{ms(timed(lambda: client.get(next_url, headers=headers)))}")
            path = "composite/sobjects/Account/PRM_Id__c"
            for count in (100, 200):
                body = {"allOrNone": False, "records": [
                    {"attributes": {"type": "Account"}, "PRM_Id__c": f"bench-{count}-{i}", "Name": f"Bench {i}",
                     "Partner_Tier__c": "Gold"} for i in range(count)]}
                server = timed(lambda b=body: client.patch(f"{base}/{path}", json=b, headers=headers))
                sdk = timed(lambda b=body: sf.restful(path, method="PATCH", json=b))
                lines.append(f"- {count}-record composite upsert: server side {ms(server)}; through the SDK {ms(sdk)}")
            return lines
        finally:
            emulator.stop()


def hubspot(partners: int) -> list[str]:
    emulator = HubSpotEmulator(token="bench")
    emulator.generate(partners, seed=1)
    base = emulator.start()
    http = urllib3.PoolManager(maxsize=1)
    client = Client(emulator)
    headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
    try:
        def post(path: str, body: dict[str, object], server: bool) -> None:
            if server:
                answer = client.post(path, data=json.dumps(body), headers=headers)
                assert answer.status_code in (200, 201), answer.get_data()[:300]
                return
            reply = http.request("POST", f"{base}{path}", body=json.dumps(body).encode(), headers=headers)
            assert reply.status in (200, 201), reply.data[:300]

        runs = iter(range(10_000))
        upsert = "/crm/v3/objects/companies/batch/upsert"

        def batch() -> dict[str, object]:
            run = next(runs)
            return {"inputs": [{"id": f"bench-{run}-{i}", "idProperty": "prm_id",
                                "properties": {"name": f"Bench {i}", "prm_partner_tier": "gold"}} for i in range(100)]}

        modified = "hs_lastmodifieddate"
        search = {"filterGroups": [{"filters": [{"propertyName": modified, "operator": "GTE", "value": "0"}]}],
                  "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                  "properties": ["name", "prm_id", "prm_partner_tier"], "limit": 200}
        path = "/crm/v3/objects/companies/search"
        total = sum(len(t.records) for t in emulator.store.tables.values())
        page_server = timed(lambda: post(path, search | {"after": "400"}, True))
        page_http = timed(lambda: post(path, search | {"after": "600"}, False))
        return [f"HubSpot emulator, {total:,} records ({partners:,} companies):", "",
                f"- 200-result search page, server side: {ms(page_server)}",
                f"- 200-result search page, over HTTP: {ms(page_http)}",
                f"- 100-input batch upsert, server side: {ms(timed(lambda: post(upsert, batch(), True)))}",
                f"- 100-input batch upsert, over HTTP: {ms(timed(lambda: post(upsert, batch(), False)))}"]
    finally:
        emulator.stop()


def run(rows: int) -> list[str]:
    return [*salesforce(rows), "", *hubspot(rows)]


if __name__ == "__main__":
    print("\n".join(run(10_000)))
