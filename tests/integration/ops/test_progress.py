"""The run observer: bars on a terminal, log lines otherwise, nothing with -q; the stop flag."""

from __future__ import annotations

import io
import logging
import threading

import pytest
from rich.console import Console

from prm_sync.ops.progress import LogProgress, NoProgress, RichProgress, progress_observer


def test_rich_bars_count_each_phase() -> None:
    out = io.StringIO()
    bars = RichProgress(Console(file=out, force_terminal=True, width=100))
    with bars.progress:
        bars.update("partner", "pull", 200, None)
        bars.update("partner", "pull", 350, None)
        bars.update("partner", "push", 40, 100)
        bars.finish()
    tasks = {t.description: (t.completed, t.total) for t in bars.progress.tasks}
    assert tasks == {"partner pull": (350, 350), "partner push": (40, 100)}
    assert "partner pull" in out.getvalue() and "40/100" in out.getvalue()


def test_no_terminal_means_log_lines_and_quiet_means_nothing(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    with progress_observer(quiet=True, log_format="json", stop=stop) as observer:
        assert isinstance(observer.sink, NoProgress)
    with caplog.at_level(logging.INFO, logger="prm_sync.progress"), \
            progress_observer(quiet=False, log_format="json", stop=stop) as observer:
        assert isinstance(observer.sink, LogProgress)
        observer.progress("lead", "push", 100, 250)
        assert not observer.stop_requested()
        stop.set()
        assert observer.stop_requested()
    (record,) = caplog.records
    assert record.getMessage() == "lead push: 100 of 250"
    assert (record.entity, record.phase, record.done, record.total) == ("lead", "push", 100, 250)  # type: ignore[attr-defined]
