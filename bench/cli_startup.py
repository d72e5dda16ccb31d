"""CLI start-up time: median wall time of repeated `prm-sync` invocations (issue 17, item 3).

    python -m bench.cli_startup                  # 15 runs each, against this checkout
    python -m bench.cli_startup --runs 31
    python -m bench.cli_startup --source DIR     # another checkout's prm_sync (e.g. a `git archive`
                                                 # of main), run with this interpreter: before/after
    python -m bench.cli_startup --against DIR    # this checkout and DIR's prm_sync, runs interleaved

Cases: `python -c pass` (the interpreter alone), `prm-sync --help`, `prm-sync partners --help`,
and `prm-sync partners list` on a store of 1,000 partners (SQLite, made once in a temp dir), as CSV and
as the default table (piped: 160 columns).
Each case runs once untimed (warm file cache), then --runs times; the medians of wall time and of CPU
time (user + system of the child process, less moved by other work on a shared machine) are printed
with the machine's load average, since a busy machine moves these numbers a lot. With --against,
each run of a case alternates between the two sources (before, after, before, ...), so both see
the same load; the store is made once, by this checkout.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARTNERS = 1_000


#: Put SOURCE's prm_sync first: drop the editable install's finder, which outranks sys.path.
_USE_SOURCE = ("import os, sys; src = os.environ.get('PRM_BENCH_SOURCE')\n"
               "if src:\n"
               "    sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in repr(f)]\n"
               "    sys.path.insert(0, src)\n")


def _env(source: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if source is not None:
        env["PRM_BENCH_SOURCE"] = str(source.resolve())
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", _USE_SOURCE + "from prm_sync.cli.main import main; sys.argv[0] = 'prm-sync'; main()",
            *args]


def make_store(workdir: Path, env: dict[str, str]) -> Path:
    """config.yaml + a SQLite store with PARTNERS partners; returns the config path."""
    subprocess.run(_cli("init", "--crm", "hubspot", str(workdir)), env=env, check=True, capture_output=True)
    config = workdir / "config.yaml"
    fill = (
        _USE_SOURCE +
        "from prm_sync.app import App\n"
        "from prm_sync.services.partners import add_partner\n"
        "app = App(__import__('pathlib').Path(sys.argv[1])).local()\n"
        "store = app.open_store()\n"
        "with store.session() as session:\n"
        f"    for i in range({PARTNERS}):\n"
        "        add_partner(session, name=f'Bench Partner {i:04d}', tier='gold', status='active', country='DE')\n"
        "    session.commit()\n"
        "store.close()\n"
    )
    subprocess.run([sys.executable, "-c", fill, str(config)], env=env, check=True)
    return config


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    return measure(command, [env], runs)[0][0]


def measure(command: list[str], envs: list[dict[str, str]], runs: int) -> list[tuple[float, float]]:
    """(median wall, median CPU) per env, the envs' runs interleaved."""
    for env in envs:
        subprocess.run(command, env=env, check=True, capture_output=True)  # warm-up, untimed
    samples: list[list[tuple[float, float]]] = [[] for _ in envs]
    for _ in range(runs):
        for i, env in enumerate(envs):
            samples[i].append(_run(command, env))
    return [(statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for s in samples]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--source", type=Path, help="a checkout whose prm_sync to time instead of this one")
    parser.add_argument("--against", type=Path, help="a checkout whose prm_sync to time too, interleaved (before)")
    args = parser.parse_args(argv)
    env = _env(args.source)
    envs = [_env(args.against), env] if args.against else [env]
    labels = ["before", "after"] if args.against else [""]
    with tempfile.TemporaryDirectory(prefix="prm-cli-bench-") as tmp:
        config = make_store(Path(tmp), env)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "prm-sync --help": _cli("--help"),
            "prm-sync partners --help": _cli("partners", "--help"),
            f"prm-sync partners list ({PARTNERS:,} partners)": _cli("--config", str(config), "partners", "list",
                                                                   "--format", "csv"),
            f"prm-sync partners list ({PARTNERS:,}, table)": _cli("--config", str(config), "partners", "list"),
        }
        load_before = os.getloadavg()
        results = {name: measure(command, envs, args.runs) for name, command in cases.items()}
        load_after = os.getloadavg()
    print(f"source: {args.source or 'this checkout'}" + (f", against {args.against} (interleaved)" if args.against
                                                         else "") +
          f"; {args.runs} runs each; {os.cpu_count()} cores; "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    for name, medians in results.items():
        for label, (wall, cpu) in zip(labels, medians, strict=True):
            print(f"  {name:<40} {label:<6} median {wall:6.3f} s wall, {cpu:6.3f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
