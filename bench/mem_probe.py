"""One Salesforce first pull (Bulk 2.0 above 10,000 rows) with memory sampled at page boundaries.

    python -m bench.mem_probe SIZE rss|tracemalloc [sqlite|postgresql] [EVERY_PAGES]

SIZE partners + registrations + deals in an emulator (its own process); one worker process pulls
them into a fresh store with `"trace_memory"` (bench/worker.py MemoryTrace) and prints its answer,
then one JSON line per sample: resident set now and its peak (and with `tracemalloc`, the Python
heap and its largest allocation sites; TRACE_FRAMES=N in the environment groups by N frames;
tracemalloc makes the run 3-10x slower). What grows with SIZE shows as a slope across pages.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import infra
from bench.scenarios import PULLED


def probe(size: int, mode: str, store: str = "sqlite", every: int = 10) -> dict[str, Any]:
    """The worker's answer for one traced pull; its samples under "memory_trace"."""
    with tempfile.TemporaryDirectory(prefix="prm-mem-") as tmp, \
            infra.emulator("salesforce", size, size, size) as emu:
        work = Path(tmp)
        with infra.fresh_store(store, work) as url:
            config = infra.write_config(work, "salesforce", emu.hello, url)
            spec = {"job": "sync", "config": str(config), "crm": "salesforce", "direction": "pull",
                    "entities": PULLED, "trace_memory": mode, "trace_every": every}
            return infra.run_worker(spec, emu.hello["env"])


def main(argv: list[str]) -> None:
    size, mode = int(argv[0]), argv[1]
    store = argv[2] if len(argv) > 2 else "sqlite"
    every = int(argv[3]) if len(argv) > 3 else 10
    answer = probe(size, mode, store, every)
    samples = answer.pop("memory_trace", [])
    answer.pop("changes", None)
    print(json.dumps(answer))
    for sample in samples:
        top = sample.pop("top", None)
        print(json.dumps(sample))
        for line in top or ():
            print("    ", line)


if __name__ == "__main__":
    main(sys.argv[1:])
