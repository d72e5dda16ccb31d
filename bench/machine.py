"""What the figures were measured on: CPU model, cores, RAM, Python, OS, PostgreSQL."""

from __future__ import annotations

import os
import platform
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def busy_core_seconds() -> float | None:
    """CPU time the whole machine has spent busy since boot (every process: a run, its writer, the
    emulator, a database server), in core-seconds: all of /proc/stat's first line but idle and
    iowait. None where there is no /proc/stat. The difference over a measured run is what the run
    cost the machine, whichever process did the work."""
    try:
        fields = PROC_STAT.read_text(encoding="utf-8").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def describe() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "Cores": str(os.cpu_count()),
        "RAM": f"{ram_gib():.1f} GiB",
        "Python": platform.python_version(),
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
    }


def one_line() -> str:
    """`describe()` as one sentence, for the foot of a RESULTS.md section."""
    return "Machine: " + ", ".join(f"{k} {v}" for k, v in describe().items()) + "."
