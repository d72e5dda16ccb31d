"""SIGTERM / SIGINT: the first one asks the run to stop between two units of work; a second one
falls back to the default action (the process ends at once)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[bool]:
    """Within the block, SIGTERM/SIGINT set `stop`. Yields False (nothing installed) off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def handle(signum: int, _frame: FrameType | None) -> None:
        # Only set flags here: no logging, no locks (the handler interrupts the main thread anywhere).
        stop.set()
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handle)
    try:
        yield True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
