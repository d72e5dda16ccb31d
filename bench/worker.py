"""One measured job in its own process: a prm-sync run, or the bare-SDK baseline.

    python -m bench.worker '<json spec>'  ->  one JSON line on stdout

Spec: {"job": "sync" | "baseline_pull" | "baseline_push", "crm", "config" (path), "entities",
"direction", "bulk_threshold", "profile" (html path or null), "copy_min_rows", "trace_memory" ("rss" or
"tracemalloc": samples at page boundaries, see MemoryTrace), "time_sql" (see SqlTimes), ...}.
The answer holds the job's wall time (`seconds`, imports and connecting excluded), `api_calls`
(HTTP calls the connector counted) and `peak_rss_kb` (this process's ru_maxrss; `writer_peak_rss_kb`: its
writer process's), `rss_before_kb`
(after imports, before the job).
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    """User + system CPU time of this process and of the processes it has waited for (the sync's
    writer process, sync/writer.py): steadier than wall time on a shared machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_sync_job(spec: dict[str, Any]) -> dict[str, Any]:
    from prm_sync.app import App
    from prm_sync.sync.engine import run_sync

    app = App(Path(spec["config"]))
    config, mapping = app.config, app.mapping
    if "copy_min_rows" in spec:  # PostgreSQL: COPY from this many new rows of a table (huge: executemany only)
        from prm_sync.sync import inserts

        inserts.COPY_MIN_ROWS = int(spec["copy_min_rows"])
    if config.crm.type == "salesforce":
        from connectors.salesforce import build

        connector: Any = build(config, bulk_wait_s=float(spec.get("bulk_wait_s", 0.2)))
    else:
        connector = app.connector()
    store = app.open_store()
    rss_before = _rss_kb()
    profiler = _profiler(spec)
    tracer = MemoryTrace(spec.get("trace_memory"), int(spec.get("trace_every", 10)))
    statements = SqlTimes(store.engine) if spec.get("time_sql") else None
    started, cpu_started = time.perf_counter(), cpu_seconds()
    report = run_sync(store, connector, mapping, config, entities=spec["entities"], direction=spec["direction"],
                      observer=tracer if tracer.mode else None)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    _save_profile(profiler, spec)
    connector.close()
    store.close()
    changes = report.plain_counts() if hasattr(report, "plain_counts") else {}
    answer = {"seconds": seconds, "cpu_seconds": cpu, "api_calls": report.api_calls, "pulled": dict(report.pulled),
              "changes": changes, "problems": bool(report.has_problems),
              "rss_before_kb": rss_before, "peak_rss_kb": _rss_kb(),
              # the writer process's peak (the largest of the processes this one has waited for)
              "writer_peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
    if tracer.mode:
        answer["memory_trace"] = tracer.samples
    if statements is not None:
        answer["sql"] = statements.table()
    return answer


class SqlTimes:
    """Wall time the main thread spent in each kind of SQL statement (`"time_sql"` in the spec):
    client-side, so it holds the round trip and the server's work. Commits are timed by wrapping
    the DBAPI connection's `commit` (psycopg; sqlite3's cannot be wrapped); COPY (not a cursor
    execute) by wrapping sync.inserts._copy: its rows' binding in Python is in that figure too."""

    def __init__(self, engine: Any) -> None:
        import re

        from sqlalchemy import event

        self._shape = re.compile(r"\((?:\s*(?:\?|%s|%\(\w+\)s|\$\d+)\s*,?)+\)")
        self.totals: dict[str, list[float]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "connect", self._wrap)
        self._started: list[float] = []
        from prm_sync.sync import inserts

        copy = inserts._copy

        def timed_copy(driver: Any, table: Any, *rest: Any) -> None:
            started = time.perf_counter()
            copy(driver, table, *rest)  # rows bound and sent, and the server's COPY
            self._add(f"COPY {table.__table__.name}", time.perf_counter() - started)

        inserts._copy = timed_copy  # type: ignore[assignment]  # bench-only: times our own function

    def _kind(self, statement: str) -> str:
        return self._shape.sub("(...)", " ".join(statement.split()))[:90]

    def _add(self, kind: str, seconds: float) -> None:
        entry = self.totals.setdefault(kind, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._add(self._kind(statement), time.perf_counter() - self._started.pop())

    def _wrap(self, dbapi_connection: Any, _record: Any) -> None:
        times = self
        commit = dbapi_connection.commit

        def timed_commit() -> None:
            started = time.perf_counter()
            commit()
            times._add("COMMIT", time.perf_counter() - started)

        with contextlib.suppress(AttributeError, TypeError):  # sqlite3.Connection (C): commits untimed
            dbapi_connection.commit = timed_commit

    def table(self) -> list[tuple[str, int, float]]:
        return sorted(((k, int(v[0]), round(v[1], 3)) for k, v in self.totals.items()), key=lambda r: -r[2])


def _rss_now_kb() -> int:
    """Resident set size now (not the peak): /proc/self/statm's second field, in pages."""
    import os

    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


class MemoryTrace:
    """A run observer that samples memory at page boundaries (`"trace_memory"` in the spec):
    "rss" records the resident set now and the peak; "tracemalloc" also the Python heap and, at
    each entity's last sample, its largest allocation sites (tracemalloc slows the run ~2-3x)."""

    def __init__(self, mode: str | None, every: int) -> None:
        self.mode, self.every = mode, max(1, every)
        self.samples: list[dict[str, Any]] = []
        self._pages = 0
        if mode == "tracemalloc":
            import tracemalloc

            tracemalloc.start(int(__import__("os").environ.get("TRACE_FRAMES", "1")))

    def progress(self, entity: str, phase: str, done: int, total: int | None) -> None:
        self._pages += 1
        if self._pages % self.every:
            return
        sample: dict[str, Any] = {"entity": entity, "phase": phase, "done": done, "rss_kb": _rss_now_kb(),
                                  "peak_rss_kb": _rss_kb()}
        if self.mode == "tracemalloc":
            import tracemalloc

            current, peak = tracemalloc.get_traced_memory()
            sample.update(heap_kb=current // 1024, heap_peak_kb=peak // 1024)
            frames = tracemalloc.get_traceback_limit()
            stats = tracemalloc.take_snapshot().statistics("traceback" if frames > 1 else "lineno")[:12]
            sample["top"] = [f"{s.size // 1024} KiB {s.count} " + " <- ".join(
                f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in s.traceback) for s in stats]
        self.samples.append(sample)

    def stop_requested(self) -> bool:
        return False


def _profiler(spec: dict[str, Any]) -> Any:
    if not spec.get("profile"):
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    return profiler


def _save_profile(profiler: Any, spec: dict[str, Any]) -> None:
    if profiler is None:
        return
    profiler.stop()
    Path(spec["profile"]).write_text(profiler.output_text(unicode=True, color=False, show_all=False),
                                     encoding="utf-8")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["job"] == "sync":
        return run_sync_job(spec)
    from bench import baseline

    return baseline.run(spec, _rss_kb)


def main() -> None:
    sys.stdout.write(json.dumps(run(json.loads(sys.argv[1]))) + "\n")


if __name__ == "__main__":
    main()
