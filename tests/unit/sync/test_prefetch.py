"""read_ahead: pages in order, errors where they happened, overlap of reading and applying,
and a reader that stops when the pull does."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from prm_sync.sync.prefetch import read_ahead


def test_pages_arrive_in_order_and_all_of_them() -> None:
    with read_ahead(iter(range(50))) as pages:
        assert list(pages) == list(range(50))


def test_an_error_of_the_reader_comes_after_the_pages_read_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("CRM went away")

    seen = []
    with pytest.raises(ConnectionError, match="CRM went away"), read_ahead(pages()) as ahead:
        for page in ahead:
            seen.append(page)
    assert seen == [1, 2]


def test_the_next_page_is_read_while_this_one_is_applied() -> None:
    """Applying page n waits until the reader has fetched page n+1: without read-ahead the reader
    would only move once this page is done, and the wait would end unmet (30 s: a safety net)."""
    fetched = [threading.Event() for _ in range(6)]

    def pages() -> Iterator[int]:
        for n in range(5):
            fetched[n].set()   # the CRM answered page n
            yield n
        fetched[5].set()

    overlapped = []
    with read_ahead(pages()) as ahead:
        for n in ahead:
            overlapped.append(fetched[n + 1].wait(timeout=30))   # the store applying page n
    assert overlapped == [True] * 5


def test_leaving_early_stops_the_reader_after_at_most_one_page_more() -> None:
    read: list[int] = []
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            for n in range(1000):
                read.append(n)
                yield n
        finally:
            closed.set()

    with pytest.raises(RuntimeError, match="apply failed"), read_ahead(pages()) as ahead:
        for page in ahead:
            if page == 3:
                raise RuntimeError("apply failed")
    assert closed.is_set(), "the CRM reader was left open"
    assert len(read) <= 3 + 1 + 2, f"read {len(read)} pages for 4 applied"
    assert not [t for t in threading.enumerate() if t.name == "prm-sync-read-ahead"]
