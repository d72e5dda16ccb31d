"""The benchmark harness at tiny sizes, so that `make bench` cannot rot: emulator processes,
worker processes, the bare-SDK baselines and RESULTS.md all run (figures are not judged here,
only that each is there and that a Salesforce pull used the minimum of API calls)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.__main__ import main


@pytest.mark.slow
def test_bench_runs_end_to_end_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    argv = ["--quick", "--size", "60", "--scaling", "60", "--push", "60", "--runs", "1", "--store", "sqlite",
            "--emulator-rows", "300", "--inline", "--out", str(out)]
    assert main(argv) == 0

    text = out.read_text(encoding="utf-8")
    for heading in ("## Machine", "## 1. Initial pull", "## 2. Push", "## 3. Incremental", "## 4. Scaling",
                    "## Emulators"):
        assert heading in text
    assert re.search(r"\| CPU \| .+ \|", text)
    # Salesforce: 60 + 60 + 60 records read in one 2,000-row page each: 3 calls, the minimum
    assert re.search(r"\| salesforce \| sqlite \| 180 \| [\d.]+ \| [\d.]+ \| [\d,]+ \| 3 \(3\) \|", text), text
    assert re.search(r"\| hubspot \| sqlite \| 180 \|", text)
    for mode in ("collections", "bulk", "batch upsert"):
        assert f"| {mode} | 60 |" in text
    assert "overhead ratio" in text and "×" in text


@pytest.mark.slow
def test_the_no_op_run_bench_measures_a_two_way_sync_that_finds_nothing(tmp_path: Path) -> None:
    from bench import noop_run

    out = tmp_path / "RESULTS.md"
    assert noop_run.main(["--size", "40", "--runs", "2", "--store", "sqlite", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count(noop_run.BEGIN) == 1 and "## A run that finds nothing to do" in text
    # each no-op run: one read per pulled entity, nothing pushed
    assert re.search(r"\| sqlite \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \| 3 \| \d+ \|", text), text
