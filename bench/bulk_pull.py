"""Salesforce first pull through a Bulk API 2.0 query job, and PostgreSQL COPY (issue 17, items 1-2).

    python -m bench.bulk_pull --size 30000 --runs 3 [--out bench/RESULTS.md]

One emulator (in its own process) holds `size` partners + registrations + deals. Each run is a
fresh worker process on a fresh store. Rows, each `runs` times, in one run of this command
(every other run in reverse order):

- bare simple-salesforce REST `query_all_iter` (the REST baseline) and `sf.bulk2.<Obj>.query_all`;
- prm-sync over REST (bulk_query_threshold above the size) and over Bulk 2.0 (default 10,000),
  into SQLite; into PostgreSQL with COPY and (Bulk) with executemany only.

Each row also gets the whole machine's busy core-seconds during its runs (/proc/stat: the
PostgreSQL server's and the emulator's CPU count too, not only the run's), and under the table
the same-run ratios issue 17's lines compare, run by run.

The section it writes replaces only its own block (between its markers) in the output file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import infra, machine
from bench.scenarios import PULLED

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- bench.bulk_pull: begin -->", "<!-- bench.bulk_pull: end -->"
NEVER = 10**9

#: label -> (job, store, bulk_query_threshold, copy_min_rows)
ROWS: list[tuple[str, str, str, int | None, int | None]] = [
    ("bare SDK REST query_all", "baseline_pull", "-", None, None),
    ("bare SDK sf.bulk2 query_all", "baseline_bulk_pull", "-", None, None),
    ("prm-sync REST -> SQLite", "sync", "sqlite", NEVER, None),
    ("prm-sync Bulk 2.0 -> SQLite", "sync", "sqlite", None, None),
    ("prm-sync REST -> PostgreSQL (COPY)", "sync", "postgresql", NEVER, None),
    ("prm-sync Bulk 2.0 -> PostgreSQL (COPY)", "sync", "postgresql", None, None),
    ("prm-sync Bulk 2.0 -> PostgreSQL (executemany)", "sync", "postgresql", None, NEVER),
]


def measure(size: int, runs: int, stores: list[str], say: Any = print) -> dict[str, list[dict[str, Any]]]:
    samples: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="prm-bench-bulk-") as tmp, \
            infra.emulator("salesforce", size, size, size) as emu:
        work = Path(tmp)
        for run in range(runs):
            # every other run in reverse order: a host that drifts during a run (or an emulator that
            # slows as it serves) then weighs on each row early and late alike
            for label, job, store, threshold, copy_min in (ROWS if run % 2 == 0 else ROWS[::-1]):
                if store != "-" and store not in stores:
                    continue
                with infra.fresh_store("sqlite" if store == "-" else store, work) as url:
                    config = infra.write_config(work, "salesforce", emu.hello, url, bulk_query_threshold=threshold)
                    spec: dict[str, Any] = {"job": job, "config": str(config), "crm": "salesforce",
                                            "direction": "pull", "entities": PULLED}
                    if copy_min is not None:
                        spec["copy_min_rows"] = copy_min
                    emu.calls_seen()
                    busy_before = machine.busy_core_seconds()
                    sample = infra.run_worker(spec, emu.hello["env"])
                    busy_after = machine.busy_core_seconds()
                    sample["machine_busy_s"] = None if busy_before is None or busy_after is None \
                        else busy_after - busy_before
                    sample["calls_seen"] = emu.calls_seen()
                    sample["load_1m"] = os.getloadavg()[0]
                    samples.setdefault(label, []).append(sample)
                    records = sample.get("records") or sum(sample.get("pulled", {}).values())
                    say(f"  run {run + 1} {label}: {sample['seconds']:.1f} s, {records:,} records, "
                        f"{sample['calls_seen']} calls, load {sample['load_1m']:.1f}")
    return samples


def render(samples: dict[str, list[dict[str, Any]]], size: int, runs: int) -> str:
    rest_base = statistics.median(s["seconds"] for s in samples["bare SDK REST query_all"])
    all_loads = [s["load_1m"] for group in samples.values() for s in group]
    cores = os.cpu_count() or 1
    busy = max(all_loads) > cores  # more runnable work than cores: other work shared the machine
    how = (f"**A busy machine** (load average {min(all_loads):.1f}–{max(all_loads):.1f} on {cores} cores): "
           "absolute times are inflated and noisy" if busy else
           f"A quiet machine (load average {min(all_loads):.1f}–{max(all_loads):.1f} on {cores} cores, "
           "the benchmark's own processes included)")
    lines = [BEGIN, "## Salesforce first pull: Bulk API 2.0 query vs REST, COPY vs executemany "
             f"({size:,} of each entity)",
             "",
             f"`python -m bench.bulk_pull --size {size} --runs {runs}` on "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. {how}. Rows of one run were measured "
             "interleaved (each run goes through every row once, every other run in reverse order), so their "
             "ratios are fairer than their times. Medians of the runs; calls as the emulator counted them.",
             "",
             "| path | records | median s | min s | records/s | × bare REST read | CPU s (median) | calls "
             "| peak RSS MiB | writer's peak RSS MiB | machine busy core-s | load (1 min) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, *_rest in ROWS:
        if label not in samples:
            continue
        group = samples[label]
        seconds = [s["seconds"] for s in group]
        records = group[0].get("records") or sum(group[0].get("pulled", {}).values())
        median = statistics.median(seconds)
        loads = [s["load_1m"] for s in group]
        lines.append(f"| {label} | {records:,} | {median:.1f} | {min(seconds):.1f} | {records / median:,.0f} | "
                     f"{median / rest_base:.2f} | {statistics.median(s['cpu_seconds'] for s in group):.1f} | "
                     f"{group[0]['calls_seen']} | "
                     f"{max(s['peak_rss_kb'] for s in group) / 1024:.0f} | {_writer_rss(group)} | "
                     f"{_machine_busy(group)} | {min(loads):.1f}–{max(loads):.1f} |")
    lines += ["", *_same_run_ratios(samples)]
    lines += ["", "CPU s: the sync process's and its writer process's (sync/writer.py: a first load's rows are "
              "written by a second process); peak RSS: each process's own. Machine busy core-s: what the whole "
              "machine spent busy during the row (every process: the run, its writer, the emulator, the "
              "PostgreSQL server), median.",
              "", machine.one_line(),
              "Bulk 2.0 rows: one first REST page (its totalSize decides), one job create, status polls "
              "(first after 0.2 s, then doubling), one results call per 50,000 rows, per entity.", END]
    return "\n".join(lines)


#: (numerator, denominator) rows whose same-run ratios the issue's lines are about
RATIOS = [("prm-sync Bulk 2.0 -> SQLite", "bare SDK REST query_all"),
          ("prm-sync Bulk 2.0 -> PostgreSQL (COPY)", "prm-sync Bulk 2.0 -> SQLite"),
          ("prm-sync REST -> PostgreSQL (COPY)", "prm-sync REST -> SQLite")]


def _short(label: str) -> str:
    return "the bare REST read" if label == "bare SDK REST query_all" else label.removeprefix("prm-sync ")


def _same_run_ratios(samples: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per ratio: each run's time over the other row's time in the same run (the rows of a
    run are measured one after the other), then their median."""
    lines = []
    for top, bottom in RATIOS:
        if top not in samples or bottom not in samples:
            continue
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(samples[top], samples[bottom], strict=False)]
        lines.append(f"- {_short(top)} over {_short(bottom)}, per run: {', '.join(f'{r:.2f}' for r in ratios)} "
                     f"(median {statistics.median(ratios):.2f})")
    return ["Same-run ratios (what issue 17's lines compare):", *lines] if lines else []


def _machine_busy(group: list[dict[str, Any]]) -> str:
    busy = [s["machine_busy_s"] for s in group if s.get("machine_busy_s") is not None]
    return f"{statistics.median(busy):.1f}" if busy else "-"


def _writer_rss(group: list[dict[str, Any]]) -> str:
    peaks = [s.get("writer_peak_rss_kb", 0) for s in group]
    return f"{max(peaks) / 1024:.0f}" if max(peaks) else "-"


def write_section(out: Path, section: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the block between `begin` and `end` in `out` with `section` (or append it)."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_pull", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=30_000, help="partners = registrations = deals (default 30000)")
    parser.add_argument("--runs", type=int, default=3)
    infra.add_store_option(parser)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    stores = infra.stores_wanted(args.store)
    samples = measure(args.size, args.runs, stores, lambda line: print(line, flush=True))
    section = render(samples, args.size, args.runs)
    write_section(args.out, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
