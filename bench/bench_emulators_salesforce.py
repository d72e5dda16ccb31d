"""Benchmark of the Salesforce emulator through the real simple-salesforce over HTTPS.

Run: ``.venv/bin/python bench/bench_emulators_salesforce.py``. Prints the median (ms) of
several runs (end to end through the SDK, then server-only through the WSGI app) of:
a 2,000-row query page (first page of an incremental query and a ``nextRecordsUrl`` page
from the cached cursor), and 100/200-record composite upserts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from simple_salesforce import Salesforce
from werkzeug.test import Client

from connectors.salesforce.emulator import SalesforceEmulator

RUNS = 9


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def server_only(emulator: SalesforceEmulator, soql: str, next_url: str) -> None:
    """Same calls straight into the WSGI app: the emulator's own share of the time."""
    client = Client(emulator)
    headers = {"Authorization": f"Bearer {emulator.session_id}"}
    base = "/services/data/v62.0"
    first = median_ms(lambda: client.get(f"{base}/query", query_string={"q": soql},
                                         headers=headers))
    following = median_ms(lambda: client.get(next_url, headers=headers))
    body = {"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, "PRM_Id__c": f"srv-{i}", "Name": f"S {i}"}
        for i in range(200)]}
    upsert = median_ms(lambda: client.patch(f"{base}/composite/sobjects/Account/PRM_Id__c",
                                            json=body, headers=headers))
    print(f"server only: first page {first:.1f} ms, next page {following:.1f} ms, "
          f"200-record upsert {upsert:.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tls_dir:
        emulator = SalesforceEmulator(tls_dir=Path(tls_dir))
        started = time.perf_counter()
        emulator.generate(10_000, seed=0)
        emulator.start()
        print(f"generate 10000 + start: {(time.perf_counter() - started) * 1000:.0f} ms")
        session = requests.Session()
        session.trust_env = False
        session.verify = str(emulator.ca_path)
        sf = Salesforce(instance_url=emulator.base_url, session_id=emulator.session_id,
                        session=session)
        try:
            soql = ("SELECT Id, Name, PRM_Id__c, Partner_Tier__c, Partner_Status__c, "
                    "SystemModstamp FROM Account WHERE SystemModstamp >= "
                    "2000-01-01T00:00:00Z ORDER BY SystemModstamp ASC, Id ASC")
            first = sf.query(soql)
            assert len(first["records"]) == 2000
            print(f"query first page (2,000 of 10,000 rows, filter+sort): "
                  f"{median_ms(lambda: sf.query(soql)):.1f} ms")
            url = first["nextRecordsUrl"]
            print(f"query next page (2,000 rows from cursor): "
                  f"{median_ms(lambda: sf.query_more(url, identifier_is_url=True)):.1f} ms")
            for size in (100, 200):
                records = [{"attributes": {"type": "Account"}, "PRM_Id__c": f"bench-{i}",
                            "Name": f"Bench {i}", "Partner_Tier__c": "Gold"}
                           for i in range(size)]
                body = {"allOrNone": False, "records": records}

                def upsert(payload: dict[str, object] = body) -> object:
                    return sf.restful("composite/sobjects/Account/PRM_Id__c", method="PATCH",
                                      json=payload)

                print(f"composite upsert {size} records: {median_ms(upsert):.1f} ms")
            server_only(emulator, soql, url)
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
