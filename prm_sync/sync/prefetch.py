"""Read the CRM's next page while the store applies this one.

A pull alternates between waiting for the CRM (a page over HTTP) and working on what came back
(mapping, merging, writing). Reading one page ahead in a worker thread overlaps the two: the
thread spends its time waiting on a socket, which releases the GIL. Pages are still applied one
by one and in order, each with its cursor, so what a crash or a stop leaves behind is unchanged:
a page or two more have been read from the CRM, and are read again by the next run.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked reader looks whether the pull has ended


class _End:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


@contextmanager
def read_ahead(pages: Iterator[T], depth: int = 1) -> Iterator[Iterator[T]]:
    """An iterator over `pages`, read by a worker thread up to `depth` pages ahead of the caller.
    The reader's exceptions are raised to the caller in order, after the pages read before them.
    Leaving the block stops the reader and waits for it (an HTTP call in flight finishes first)."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(_End())
        except BaseException as exc:  # handed to the caller's thread, raised there
            offer(_End(exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def consume() -> Iterator[T]:
        while True:
            item = ready.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    context = contextvars.copy_context()  # log fields bound to the run reach the reader's logs
    reader = threading.Thread(target=context.run, args=(read,), name="prm-sync-read-ahead", daemon=True)
    reader.start()
    try:
        yield consume()
    finally:
        stop.set()
        reader.join()
