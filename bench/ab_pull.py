"""The same initial pull by two commits, interleaved in one run: did a change move the pull's cost?

    python -m bench.ab_pull --before ad917bf^1 --after ad917bf            # issue 14: the contract merge
    python -m bench.ab_pull --before REV --after REV --size 10000 --runs 7 --crm hubspot
    python -m bench.ab_pull --before main --after HEAD --size 30000 --runs 3 --store postgresql

Each commit is checked out once into a cache directory (git worktree) with its own venv; one
emulator process (this checkout's) serves N partners + N registrations + N deals to both. Runs
alternate before/after so machine noise hits both sides alike; each run is a fresh store (SQLite,
or with `--store postgresql` a new database on PRM_SYNC_TEST_PG_URL's server), migrated and pulled
by that commit's own code (its bench.infra and bench.worker). The figure to
read on a shared machine is the CPU time of the sync process (steadier than wall time); both are
printed, as medians with min-max, beside the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import infra
from bench.bulk_pull import write_section

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "prm-sync-ab"

#: run in a side's own venv and tree: a fresh store, its config, one pull; prints the worker's JSON
_SIDE_SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from bench import infra, worker
hello = json.loads(sys.argv[1])
with tempfile.TemporaryDirectory(prefix="prm-ab-") as tmp, infra.fresh_store(sys.argv[2], Path(tmp)) as url:
    config = infra.write_config(Path(tmp), hello["crm"], hello, url)
    spec = {"job": "sync", "config": str(config), "crm": hello["crm"], "direction": "pull",
            "entities": ["partner", "lead", "deal"]}
    print(json.dumps(worker.run_sync_job(spec)))
"""


def checkout(rev: str) -> Path:
    """A worktree of `rev` with its own installed venv (made once, then reused)."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    tree = CACHE / sha[:12]
    if not (tree / ".venv" / ".installed").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        if not tree.exists():
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True,
                           capture_output=True)
        subprocess.run(["make", ".venv/.installed"], cwd=tree, check=True, capture_output=True)
    return tree


def pull_once(tree: Path, hello: dict[str, Any], env: dict[str, str], store: str = "sqlite") -> dict[str, Any]:
    done = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", _SIDE_SCRIPT, json.dumps(hello), store],
                          cwd=tree, env={**os.environ, **env}, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab_pull", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--size", type=int, default=10_000, help="partners = registrations = deals")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the result as a section of this file (RESULTS.md)")
    parser.add_argument("--crm", choices=["salesforce", "hubspot"], default="salesforce")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    sides = {"before": checkout(args.before), "after": checkout(args.after)}
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    loads = []
    n = args.size
    with infra.emulator(args.crm, n, n, n) as emu:
        hello = {**emu.hello, "crm": args.crm}
        for run in range(args.runs):
            order = list(sides) if run % 2 == 0 else list(reversed(sides))
            for name in order:
                loads.append(os.getloadavg()[0])
                sample = pull_once(sides[name], hello, emu.hello["env"], args.store)
                samples[name].append(sample)
                print(f"run {run + 1} {name}: {sample['seconds']:.2f} s wall, {sample['cpu_seconds']:.2f} s CPU, "
                      f"{sum(sample['pulled'].values()):,} records, {sample['api_calls']} calls", flush=True)
    print(f"{args.crm} -> {args.store}, {n:,} x 3 records, {args.runs} runs each, load average {_spread(loads)}")
    cpu = {name: statistics.median(s["cpu_seconds"] for s in runs) for name, runs in samples.items()}
    for name, runs in samples.items():
        print(f"  {name:<6} {sides[name].name}: wall {_spread([s['seconds'] for s in runs])} s, "
              f"CPU {_spread([s['cpu_seconds'] for s in runs])} s")
    print(f"  after / before (median CPU): {cpu['after'] / cpu['before']:.3f}")
    if args.out is not None:
        write_section(args.out, _section(args, sides, samples, loads), BEGIN, END)
        print(f"wrote its section into {args.out}")
    return 0


BEGIN, END = "<!-- bench.ab_pull: begin -->", "<!-- bench.ab_pull: end -->"


def _section(args: argparse.Namespace, sides: dict[str, Path], samples: dict[str, list[dict[str, Any]]],
             loads: list[float]) -> str:
    """The A/B as a RESULTS.md section: each side's medians, and after against before."""
    walls = {name: statistics.median(s["seconds"] for s in runs) for name, runs in samples.items()}
    cpus = {name: statistics.median(s["cpu_seconds"] for s in runs) for name, runs in samples.items()}
    lines = [BEGIN, f"## Initial pull against its baseline, interleaved ({args.crm} -> {args.store}, "
             f"{args.size:,} of each entity)", "",
             f"`python -m bench.ab_pull --before {args.before} --after {args.after} --size {args.size} "
             f"--runs {args.runs} --crm {args.crm} --store {args.store}` on "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average {_spread(loads)} on "
             f"{os.cpu_count()} cores (the benchmark's own processes included). Runs alternate before/after; "
             "medians (min-max).", "",
             "| side | commit | wall s | CPU s | records/s (wall) | API calls |", "|---|---|---:|---:|---:|---:|"]
    for name, runs in samples.items():
        records = sum(runs[0]["pulled"].values())
        lines.append(f"| {name} | {sides[name].name} | {_spread([s['seconds'] for s in runs])} | "
                     f"{_spread([s['cpu_seconds'] for s in runs])} | {records / walls[name]:,.0f} | "
                     f"{runs[0]['api_calls']} |")
    pairs = [b["seconds"] / a["seconds"] for b, a in zip(samples["before"], samples["after"], strict=False)]
    lines += ["", f"After against before: **{walls['before'] / walls['after']:.2f}x** the records/s by wall, "
              f"{cpus['before'] / cpus['after']:.2f}x by CPU; run by run (each pair measured back to back): "
              + ", ".join(f"{ratio:.2f}x" for ratio in pairs) + ".",
              "CPU s: the sync process's and the processes it waited for (its writer process, sync/writer.py, "
              "where a side has one).", END]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
