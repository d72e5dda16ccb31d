"""What a scheduled run costs when nothing changed: a full two-way sync after a first load.

    python -m bench.noop_run --size 100000 --runs 3 [--store sqlite|postgresql] [--out bench/RESULTS.md]

One emulator (in its own process) holds `size` partners + registrations + deals. Per store: a
fresh store, a first load (pull), then `runs` syncs of both directions that find nothing to do,
each a fresh worker process, as cron or the daemon starts them. Printed per run: the job's
seconds (imports and connecting excluded), its CPU, the API calls; then the medians. A daemon
runs this every few minutes, so its cost is what the store is read for on every run: the changes
pulled, the deletions and rows to push, the time-driven rules (registration expiry, program
fields).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import infra, machine
from bench.bulk_pull import write_section
from bench.report import records, spread
from bench.scenarios import PULLED

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- bench.noop_run: begin -->", "<!-- bench.noop_run: end -->"


def measure(size: int, runs: int, stores: list[str], say: Any = print) -> dict[str, list[dict[str, Any]]]:
    """store -> the samples of its no-op runs."""
    samples: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="prm-bench-noop-") as tmp, \
            infra.emulator("salesforce", size, size, size) as emu:
        work = Path(tmp)
        for store in stores:
            with infra.fresh_store(store, work) as url:
                config = infra.write_config(work, "salesforce", emu.hello, url)
                spec: dict[str, Any] = {"job": "sync", "config": str(config), "crm": "salesforce",
                                        "direction": "pull", "entities": PULLED}
                first = infra.run_worker(spec, emu.hello["env"])
                say(f"  {store}: first load {first['seconds']:.1f} s, {records(first):,} records")
                for run in range(runs):
                    sample = infra.run_worker({**spec, "direction": "both"}, emu.hello["env"])
                    sample["load_1m"] = os.getloadavg()[0]
                    samples.setdefault(store, []).append(sample)
                    say(f"  {store}: no-op run {run + 1}: {sample['seconds']:.3f} s, "
                        f"{sample['cpu_seconds']:.3f} s CPU, {sample['api_calls']} calls, "
                        f"{records(sample)} records read, load {sample['load_1m']:.1f}")
    return samples


def render(samples: dict[str, list[dict[str, Any]]], size: int, runs: int) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [BEGIN, f"## A run that finds nothing to do (salesforce; {size:,} of each entity in the store)", "",
             f"`python -m bench.noop_run --size {size} --runs {runs}` on {when}: a first load, then "
             "syncs of both directions with nothing changed, each a fresh process. Medians (min–max).", "",
             "| store | job s | CPU s | API calls | records read | load (1 min) |", "|---|---:|---:|---:|---:|---:|"]
    for store, group in samples.items():
        loads = [s["load_1m"] for s in group]
        lines.append(f"| {store} | {spread([s['seconds'] for s in group], '{:.3f}')} | "
                     f"{statistics.median(s['cpu_seconds'] for s in group):.3f} | "
                     f"{statistics.median(s['api_calls'] for s in group):.0f} | "
                     f"{statistics.median(records(s) for s in group):.0f} | {min(loads):.1f}–{max(loads):.1f} |")
    lines += ["", machine.one_line(), END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.noop_run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="partners = registrations = deals")
    parser.add_argument("--runs", type=int, default=3)
    infra.add_store_option(parser)
    parser.add_argument("--out", type=Path, help="also write the result as a section of this file (RESULTS.md)")
    args = parser.parse_args(argv)
    stores = infra.stores_wanted(args.store)
    samples = measure(args.size, args.runs, stores, lambda line: print(line, flush=True))
    section = render(samples, args.size, args.runs)
    if args.out is not None:
        write_section(args.out, section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
