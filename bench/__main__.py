"""`python -m bench` (make bench): run the scenarios and write bench/RESULTS.md.

    python -m bench                 full size: 100,000 of each entity; scaling 10k/30k/100k; 3 runs
    python -m bench --quick         a smoke run: 2,000 of each; scaling 1k/2k; push 2,000
    python -m bench --size N --scaling 10000,30000 --push N --runs R --crm salesforce --store sqlite
PostgreSQL rows need PRM_SYNC_TEST_PG_URL (an admin URL; a fresh database is made per run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import emulators, infra, report
from bench.scenarios import Plan, Results, run_all

HERE = Path(__file__).resolve().parent


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small smoke-run sizes")
    parser.add_argument("--size", type=int, help="partners = registrations = deals for the pull (default 100000)")
    parser.add_argument("--scaling", type=_ints, help="comma-separated sizes for the scaling series")
    parser.add_argument("--push", type=int, help="records pushed (default: --size)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--crm", action="append", choices=["salesforce", "hubspot"], help="repeatable; default both")
    parser.add_argument("--store", action="append", choices=["sqlite", "postgresql"],
                        help="repeatable; default both (PostgreSQL only when PRM_SYNC_TEST_PG_URL answers)")
    parser.add_argument("--emulator-rows", type=int, help="rows for the emulator serving figures (default 10000)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--note", action="append", default=[], help="a line for the Notes section (repeatable)")
    parser.add_argument("--inline", action="store_true",
                        help="run the syncs in this process (smoke tests only: RSS and CPU figures mean nothing)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    infra.INLINE["on"] = args.inline
    size = args.size or (2_000 if args.quick else 100_000)
    scaling = args.scaling or ([1_000, size] if args.quick else [10_000, 30_000, 100_000])
    notes = ["Runs made with --inline: the syncs ran in the harness process; RSS and CPU figures mean nothing."] \
        if args.inline else []
    notes += args.note
    stores = args.store or ["sqlite", "postgresql"]
    if "postgresql" in stores and not infra.pg_available():
        stores = [s for s in stores if s != "postgresql"]
        notes.append(f"PostgreSQL skipped: {infra.PG_URL_ENV} is not set or does not answer.")
    plan = Plan(crms=args.crm or ["salesforce", "hubspot"], stores=stores, size=size, scaling=scaling,
                push_size=args.push or size, runs=args.runs, say=lambda line: print(line, flush=True))
    results = run_all(plan, Results())
    rows = args.emulator_rows or (2_000 if args.quick else 10_000)
    emulator_lines = emulators.run(rows)
    args.out.write_text(report.render(results, quick=args.quick, emulator_lines=emulator_lines, notes=notes) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
