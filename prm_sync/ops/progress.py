"""The run observer of the CLI and the daemon: progress (bars, log lines or nothing) and a stop flag.

On a terminal (text logs, not quiet) rich progress bars per entity and phase (count, rate, ETA);
otherwise one log line per page or batch; with -q nothing. The stop flag is a threading.Event
the daemon's signal handler sets: the engine ends the run between two units of work.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

log = logging.getLogger("prm_sync.progress")


class ProgressSink(Protocol):
    def update(self, entity: str, phase: str, done: int, total: int | None) -> None: ...


class NoProgress:
    def update(self, entity: str, phase: str, done: int, total: int | None) -> None:
        return None


class LogProgress:
    """One log record per event (JSON lines when logs are JSON)."""

    def __init__(self, level: int = logging.INFO) -> None:
        self.level = level

    def update(self, entity: str, phase: str, done: int, total: int | None) -> None:
        log.log(self.level, "%s %s: %d%s", entity, phase, done, f" of {total}" if total is not None else "",
                extra={"entity": entity, "phase": phase, "done": done, "total": total})


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


class RichProgress:
    """A bar per (entity, phase); a phase with no known total shows a pulsing bar."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def update(self, entity: str, phase: str, done: int, total: int | None) -> None:
        key = (entity, phase)
        if key not in self.tasks:
            self.finish()   # the previous phase is over: an open-ended bar stops pulsing
            self.tasks[key] = self.progress.add_task(f"{entity} {phase}", total=total)
        self.progress.update(self.tasks[key], completed=done, total=total)

    def finish(self) -> None:
        for task in self.progress.tasks:
            if task.total is None:
                self.progress.update(task.id, total=task.completed)


class OpsObserver:
    """A RunObserver (prm_sync.sync.events): forwards progress to a sink, answers the stop flag."""

    def __init__(self, sink: ProgressSink | None = None, stop: threading.Event | None = None) -> None:
        self.sink: ProgressSink = sink or NoProgress()
        self.stop = stop or threading.Event()

    def progress(self, entity: str, phase: str, done: int, total: int | None) -> None:
        self.sink.update(entity, phase, done, total)

    def stop_requested(self) -> bool:
        return self.stop.is_set()


@contextmanager
def progress_observer(*, quiet: bool, log_format: str | None,
                      stop: threading.Event | None = None) -> Iterator[OpsObserver]:
    """The observer a CLI command should pass to run_sync, shown for the duration of the block."""
    if quiet:
        yield OpsObserver(NoProgress(), stop)
        return
    if log_format == "json" or not sys.stderr.isatty():
        yield OpsObserver(LogProgress(), stop)
        return
    bars = RichProgress(Console(stderr=True))
    with bars.progress:
        try:
            yield OpsObserver(bars, stop)
        finally:
            bars.finish()
