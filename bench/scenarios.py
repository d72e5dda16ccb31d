"""The measured scenarios (issue 9): pull, incremental, scaling, push, each beside its bare-SDK baseline.

Every sample runs the sync in a fresh worker process against an emulator in another process, on a
fresh store (a new SQLite file or a new PostgreSQL database). Samples are plain dicts kept under
a key (section, crm, store, size, label); bench.report turns them into medians.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import infra

PULLED = ["partner", "lead", "deal"]
Key = tuple[str, str, str, int, str]   # section, crm, store, size, label


@dataclass
class Plan:
    crms: Sequence[str]
    stores: Sequence[str]
    size: int                       # partners = registrations = deals = size
    scaling: Sequence[int]          # sizes for the scaling series (SQLite)
    push_size: int
    runs: int = 3
    say: Callable[[str], None] = print


@dataclass
class Results:
    samples: dict[Key, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    started: float = field(default_factory=time.time)
    finished: float = 0.0

    def add(self, key: Key, sample: dict[str, Any]) -> None:
        sample["load_1m"] = os.getloadavg()[0]
        self.samples[key].append(sample)


def association_refs(crm: str) -> dict[str, int]:
    """Association reads per 1,000 records, by entity (HubSpot mappings only)."""
    if crm != "hubspot":
        return dict.fromkeys(PULLED, 0)
    from prm_sync.mapping import load_mapping

    mapping = load_mapping(infra.ROOT / "mappings" / "hubspot.yaml")
    return {e: sum(1 for r in mapping[e].references if r.association is not None and r.pull) for e in PULLED}


def minimum_pull_calls(crm: str, pulled: dict[str, int]) -> int:
    """The theoretical minimum: SF one query page per 2,000 rows; HubSpot one search page per 200
    plus one association read per 1,000 ids and association; at least one call per entity."""
    refs = association_refs(crm)
    if crm == "salesforce":
        return sum(max(1, math.ceil(pulled.get(e, 0) / 2000)) for e in PULLED)
    return sum(max(1, math.ceil(pulled.get(e, 0) / 200)) + refs[e] * math.ceil(pulled.get(e, 0) / 1000) for e in PULLED)


def minimum_push_calls(crm: str, mode: str, count: int) -> int:
    if mode == "bulk":
        return 8   # one Bulk API 2.0 job: create, upload, close, poll, status, 3 result reads
    return math.ceil(count / (200 if crm == "salesforce" else 100))


def run_all(plan: Plan, results: Results) -> Results:
    with tempfile.TemporaryDirectory(prefix="prm-bench-") as tmp:
        work = Path(tmp)
        for crm in plan.crms:
            _pulls(plan, results, work, crm)
            _scaling(plan, results, work, crm)
            _pushes(plan, results, work, crm)
    results.finished = time.time()
    return results


def _sync_spec(config: Path, crm: str, direction: str, entities: Sequence[str]) -> dict[str, Any]:
    return {"job": "sync", "config": str(config), "crm": crm, "direction": direction, "entities": list(entities)}


def _pulls(plan: Plan, results: Results, work: Path, crm: str) -> None:
    n = plan.size
    plan.say(f"{crm}: generating {n:,} partners + {n:,} registrations + {n:,} deals")
    with infra.emulator(crm, n, n, n) as emu:
        results.add(("generate", crm, "-", n, "generate"), {"seconds": emu.hello["generate_s"]})
        for store in plan.stores:
            for run in range(plan.runs):
                with infra.fresh_store(store, work) as url:
                    config = infra.write_config(work, crm, emu.hello, url)
                    spec = _sync_spec(config, crm, "pull", PULLED)
                    for label, fraction in (("initial", None), ("no change", None), ("1% changed", 0.01)):
                        if fraction:
                            emu.touch(fraction)
                        emu.calls_seen()
                        sample = infra.run_worker(spec, emu.hello["env"])
                        sample["calls_seen"] = emu.calls_seen()
                        sample["minimum_calls"] = minimum_pull_calls(crm, sample["pulled"])
                        section = "pull" if label == "initial" else "incremental"
                        results.add((section, crm, store, n, label), sample)
                        plan.say(f"  {crm}/{store} {label} run {run + 1}: {sample['seconds']:.1f} s, "
                                 f"{sum(sample['pulled'].values()):,} records, {sample['api_calls']} calls")
        _baseline_pulls(plan, results, work, crm, emu, n)


def _baseline_pulls(plan: Plan, results: Results, work: Path, crm: str, emu: infra.EmulatorProcess,
                    n: int) -> None:
    config = infra.write_config(work, crm, emu.hello, "sqlite:///unused.db")
    for _ in range(plan.runs):
        sample = infra.run_worker({**_sync_spec(config, crm, "pull", PULLED), "job": "baseline_pull"},
                                  emu.hello["env"])
        results.add(("baseline pull", crm, "-", n, "bare SDK"), sample)
        plan.say(f"  {crm} bare-SDK pull of {n:,} x 3: {sample['seconds']:.1f} s")


def _scaling(plan: Plan, results: Results, work: Path, crm: str) -> None:
    for n in plan.scaling:
        if n == plan.size and "sqlite" in plan.stores:
            continue  # the main pull is this point of the series
        with infra.emulator(crm, n, n, n) as emu:
            for _ in range(plan.runs):
                with infra.fresh_store("sqlite", work) as url:
                    config = infra.write_config(work, crm, emu.hello, url)
                    sample = infra.run_worker(_sync_spec(config, crm, "pull", PULLED), emu.hello["env"])
                    sample["minimum_calls"] = minimum_pull_calls(crm, sample["pulled"])
                    results.add(("pull", crm, "sqlite", n, "initial"), sample)
            _baseline_pulls(plan, results, work, crm, emu, n)
        plan.say(f"  {crm} scaling {n:,}: done")


def _pushes(plan: Plan, results: Results, work: Path, crm: str) -> None:
    """Every push goes to one emulator that starts empty; each run pushes its own new keys."""
    n = plan.push_size
    modes = ["collections", "bulk"] if crm == "salesforce" else ["batch upsert"]
    with infra.emulator(crm, 0, 0, 0) as emu:
        for mode in modes:
            threshold = 100 if mode == "bulk" else 1_000_000   # the engine hands the connector 1,000 at a time
            for store in plan.stores:
                for run in range(plan.runs):
                    with infra.fresh_store(store, work) as url:
                        infra.seed_partners(url, n, f"push-{mode[:4]}-{store[:2]}-{run}")
                        config = infra.write_config(work, crm, emu.hello, url, bulk_threshold=threshold)
                        emu.calls_seen()
                        sample = infra.run_worker(_sync_spec(config, crm, "push", ["partner"]), emu.hello["env"])
                        sample["calls_seen"] = emu.calls_seen()
                        sample["minimum_calls"] = minimum_push_calls(crm, mode, n)
                        results.add(("push", crm, store, n, mode), sample)
                        plan.say(f"  {crm}/{store} push {mode} run {run + 1}: {sample['seconds']:.1f} s, "
                                 f"{sample['api_calls']} calls")
            config = infra.write_config(work, crm, emu.hello, "sqlite:///unused.db")
            for run in range(plan.runs):
                spec = {**_sync_spec(config, crm, "push", ["partner"]), "job": "baseline_push", "count": n,
                        "bulk": mode == "bulk", "tag": f"{mode[:4]}-{run}"}
                results.add(("baseline push", crm, "-", n, mode), infra.run_worker(spec, emu.hello["env"]))
