"""Hooks a run reports to (progress bars, logs, metrics) and asks (should it stop?).

The engine calls `observer.progress(...)` after each page it applied and each batch it pushed,
and asks `observer.stop_requested()` between them: a daemon's SIGTERM handler sets that flag so
the run finishes the batch in flight, commits, and ends cleanly.
"""

from __future__ import annotations

from typing import Protocol


class RunObserver(Protocol):
    def progress(self, entity: str, phase: str, done: int, total: int | None) -> None:
        """`phase` is pull | push | delete; `done` counts records handled so far in that phase."""
        ...

    def stop_requested(self) -> bool:
        ...


class NullObserver:
    def progress(self, entity: str, phase: str, done: int, total: int | None) -> None:
        return None

    def stop_requested(self) -> bool:
        return False


class StopRequested(Exception):
    """Raised between units of work when the observer asks the run to stop."""
