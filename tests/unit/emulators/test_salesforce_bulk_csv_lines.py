"""The Salesforce emulator's Bulk 2.0 query jobs: each takes its rows on one worker, in the order the
jobs were created, and writes them as CSV lines once: each line must be what `csv.writer` with
QUOTE_ALL writes for the same cells."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.salesforce.emulator.bulk2 import Jobs, csv_line, line_end
from connectors.salesforce.emulator.values import csv_value


def _quote_all(cells: list[str], end: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=end, quoting=csv.QUOTE_ALL).writerow(cells)
    return out.getvalue()


@given(st.lists(st.text(), min_size=1, max_size=8), st.sampled_from(["LF", "CRLF"]))
def test_a_line_is_what_the_csv_module_writes(cells: list[str], ending: str) -> None:
    assert csv_line(cells, line_end(ending)) == _quote_all(cells, line_end(ending))


@pytest.mark.parametrize("cells", [
    [""], ["", ""], ['"'], ['a"b', "c"], ['""', '"', ""], ["Nguyễn \"Thu\" Hà", "Müller, GmbH\nline 2"]])
def test_quotes_commas_newlines_and_empty_cells(cells: list[str]) -> None:
    assert csv_line(cells, "\n") == _quote_all(cells, "\n")
    assert list(csv.reader(io.StringIO(csv_line(cells, "\r\n")))) == [cells]


def test_text_cells_are_returned_as_they_are() -> None:
    text = "Đặng Thị Ngọc"
    assert csv_value(text) is text
    assert csv_value(None) == ""
    assert csv_value(True) == "true"


def test_query_jobs_take_their_rows_one_at_a_time_in_the_order_they_were_created() -> None:
    jobs = Jobs()
    release, done = threading.Event(), threading.Event()
    log: list[str] = []

    def first() -> None:
        log.append("first starts")
        assert release.wait(10)
        log.append("first ends")

    jobs.take_rows(first)
    jobs.take_rows(lambda: log.append("second"))
    jobs.take_rows(lambda: (log.append("third"), done.set()))
    assert log == ["first starts"] or log == []  # the second waits for the first, however long
    release.set()
    assert done.wait(10)
    assert log == ["first starts", "first ends", "second", "third"]
    # the worker ends when no job waits, and a later job starts a new one
    again = threading.Event()
    for _ in range(100):
        if not jobs._working:
            break
        threading.Event().wait(0.01)
    jobs.take_rows(again.set)
    assert again.wait(10)
