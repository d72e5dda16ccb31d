"""bench.bulk_pull's table (issue 17): each row beside the bare read, the machine's busy core-seconds
(the server's and the emulator's CPU too, not only the run's), and the same-run ratios the issue's
lines are about (PostgreSQL over SQLite, Bulk 2.0 -> SQLite over the bare REST read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import bulk_pull, machine


def sample(seconds: float, busy: float | None) -> dict[str, Any]:
    return {"seconds": seconds, "cpu_seconds": seconds, "records": 300_000, "calls_seen": 15,
            "peak_rss_kb": 200 * 1024, "writer_peak_rss_kb": 100 * 1024, "load_1m": 1.5, "machine_busy_s": busy}


def test_the_table_shows_the_machines_busy_core_seconds_and_the_same_run_ratios() -> None:
    samples = {
        "bare SDK REST query_all": [sample(8.0, 6.0), sample(7.0, 5.0), sample(10.0, 7.0)],
        "prm-sync Bulk 2.0 -> SQLite": [sample(18.0, 30.0), sample(17.5, 29.0), sample(21.0, 31.0)],
        "prm-sync Bulk 2.0 -> PostgreSQL (COPY)": [sample(18.9, 34.0), sample(17.5, 33.0), sample(20.0, 35.0)],
    }
    text = bulk_pull.render(samples, 100_000, 3)
    assert "| machine busy core-s |" in text
    row = next(line for line in text.splitlines() if line.startswith("| prm-sync Bulk 2.0 -> PostgreSQL (COPY) |"))
    assert row.rstrip(" |").split(" | ")[-2] == "34.0"   # the median of the machine's busy core-seconds
    # per run, in the order measured: 18.0/8.0, 17.5/7.0, 21.0/10.0; 18.9/18.0, 17.5/17.5, 20.0/21.0
    assert "Bulk 2.0 -> SQLite over the bare REST read, per run: 2.25, 2.50, 2.10 (median 2.25)" in text
    assert "Bulk 2.0 -> PostgreSQL (COPY) over Bulk 2.0 -> SQLite, per run: 1.05, 1.00, 0.95 (median 1.00)" in text


def test_a_machine_without_proc_stat_gives_no_busy_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "PROC_STAT", tmp_path / "absent")
    assert machine.busy_core_seconds() is None
    samples = {"bare SDK REST query_all": [sample(8.0, None)], "prm-sync Bulk 2.0 -> SQLite": [sample(18.0, None)]}
    row = next(line for line in bulk_pull.render(samples, 100_000, 1).splitlines()
               if line.startswith("| prm-sync Bulk 2.0 -> SQLite |"))
    assert row.rstrip(" |").split(" | ")[-2] == "-"


def test_busy_core_seconds_counts_every_cpu_state_but_idle_and_iowait(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal (in clock ticks)
    stat.write_text("cpu  100 20 30 500 50 5 5 10 0 0\ncpu0 50 10 15 250 25 2 3 5 0 0\n", encoding="utf-8")
    monkeypatch.setattr(machine, "PROC_STAT", stat)
    ticks = machine.os.sysconf("SC_CLK_TCK")
    assert machine.busy_core_seconds() == pytest.approx((100 + 20 + 30 + 5 + 5 + 10) / ticks)
