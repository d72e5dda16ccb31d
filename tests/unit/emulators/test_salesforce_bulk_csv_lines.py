"""The Salesforce emulator writes a Bulk 2.0 query job's rows as CSV lines once, when the job takes
its rows: each line must be what `csv.writer` with QUOTE_ALL writes for the same cells."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.salesforce.emulator.bulk2 import csv_line, line_end
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
