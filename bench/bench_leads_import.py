"""Benchmark of `prm-sync leads import`: 10,000 CSV rows (100 invalid) into a store that already
holds 10,000 registrations (so the conflict index is not empty), in one transaction.

Run: ``.venv/bin/python bench/bench_leads_import.py [--pg postgresql+psycopg://…/db]``. Prints the
median of several runs of the service call (parse, validate, conflict check, batched INSERT,
commit), for a fresh SQLite file (and PostgreSQL when given a URL to an empty database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from prm_sync.config import RegistrationSettings
from prm_sync.services.lead_import import import_leads
from prm_sync.services.partners import add_partner
from prm_sync.store import open_store, upgrade

ROWS, BAD_EVERY, RUNS = 10_000, 100, 5
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
HEADER = "partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"


def csv_text(offset: int) -> str:
    lines = [HEADER]
    for i in range(offset, offset + ROWS):
        if i % BAD_EVERY == BAD_EVERY - 1:
            lines.append(f"Partner {i % 50},Broken {i},Pat Doe,not-an-email,,x,USD,2026-09-30,SW\n")
        else:
            lines.append(f"Partner {i % 50},Customer {i} GmbH,Buyer {i},buyer{i}@customer{i}.de,"
                         f"https://www.customer{i}.de/,{1000 + i}.50,EUR,2026-09-30,Software\n")
    return "".join(lines)


def run(url: str) -> list[float]:
    samples = []
    with open_store(url) as store:
        upgrade(store)
        with store.session(write=True) as session:
            for p in range(50):
                add_partner(session, name=f"Partner {p}", status="active")
        with store.session(write=True) as session:  # the store already holds 10,000 registrations
            import_leads(session, io.StringIO(csv_text(10_000_000)), RegistrationSettings(), NOW)
        for run_no in range(RUNS):
            data = csv_text(run_no * ROWS)
            started = time.perf_counter()
            with store.session(write=True) as session:
                report = import_leads(session, io.StringIO(data), RegistrationSettings(), NOW)
            samples.append(time.perf_counter() - started)
            assert report.imported == ROWS - ROWS // BAD_EVERY and len(report.errors) == ROWS // BAD_EVERY
            with store.session(write=True) as session:  # back to 10,000 held registrations
                session.execute(text("DELETE FROM registration WHERE company NOT LIKE 'Customer 100%'"))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="URL of an EMPTY PostgreSQL database to use (it is filled)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        if args.pg:
            backends.append(("postgresql", args.pg))
        for name, url in backends:
            samples = run(url)
            print(f"{name}: import of {ROWS:,} rows ({ROWS // BAD_EVERY} invalid) into a store holding "
                  f"10,000 registrations: median {statistics.median(samples):.2f} s, "
                  f"min {min(samples):.2f} s over {RUNS} runs")


if __name__ == "__main__":
    main()
