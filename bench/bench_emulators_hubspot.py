"""Serving time of the HubSpot emulator: a 100-input batch upsert and a 200-result search page.

Plain script: ``.venv/bin/python bench/bench_emulators_hubspot.py``. Requests go over HTTP
(keep-alive urllib3 pool) to an in-process emulator holding a generated portal; prints the
median of several runs in milliseconds (client-side round trip, so an upper bound).
"""

from __future__ import annotations

import json
import statistics
import time

import urllib3

from connectors.hubspot.emulator import HubSpotEmulator

RUNS = 7
PARTNERS = 5_000


def timed(http: urllib3.PoolManager, url: str, body: dict[str, object]) -> float:
    started = time.perf_counter()
    answer = http.request("POST", url, body=json.dumps(body).encode(), headers={
        "Authorization": "Bearer test-token", "Content-Type": "application/json"})
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status in (200, 201), answer.data[:300]
    return elapsed


def main() -> None:
    emu = HubSpotEmulator()
    emu.generate(PARTNERS, seed=1)
    base = emu.start()
    http = urllib3.PoolManager(maxsize=1)
    try:
        upserts = []
        for run in range(RUNS):
            inputs = [{"id": f"bench-{run}-{i}", "idProperty": "prm_id",
                       "properties": {"name": f"Bench {i}", "prm_partner_tier": "gold"}}
                      for i in range(100)]
            upserts.append(timed(http, f"{base}/crm/v3/objects/companies/batch/upsert",
                                 {"inputs": inputs}))
        search = {
            "filterGroups": [{"filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "0"}]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"},
                      {"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": ["name", "prm_id", "prm_partner_tier"], "limit": 200,
        }
        first_page = timed(http, f"{base}/crm/v3/objects/companies/search", search)
        pages = [timed(http, f"{base}/crm/v3/objects/companies/search",
                       search | {"after": str(200 * (run + 1))}) for run in range(RUNS)]
        print(f"portal: {PARTNERS} partners, {sum(len(t.records) for t in emu.store.tables.values())}"
              " records")
        print(f"batch upsert (100 inputs): median {statistics.median(upserts):.2f} ms")
        print(f"search page (200 results, first, uncached): {first_page:.2f} ms")
        print(f"search page (200 results, next pages): median {statistics.median(pages):.2f} ms")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
