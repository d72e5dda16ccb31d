"""Reading a registrations CSV: the delimiter, the header, and each row with the line it starts on.

- Delimiter: `,`, `;` or TAB, given or sniffed from the header (the one that splits it into the
  most known column names; `,` on a tie), since spreadsheets in many locales save `;`.
- Cell size: the csv module refuses cells over 128 KiB with an error that used to end the whole
  import. Cells are read up to READ_LIMIT_CHARS; a row with a cell over FIELD_LIMIT_CHARS is
  refused on its own (`field too long`), the other rows import. A cell over the read limit (in
  practice an unclosed quote swallowing the file) is a usage error naming the line where the
  row starts: nothing is imported.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from prm_sync.errors import UsageError

DELIMITERS: tuple[str, ...] = (",", ";", "\t")
READ_LIMIT_CHARS = 64 * 1024 * 1024
FIELD_LIMIT_CHARS = 32_768


@dataclass(frozen=True)
class CsvRow:
    """A data row: the line it starts on, its cells by column, and why it cannot be used (if so)."""

    line: int
    values: dict[str, str | None]
    problem: str | None = None


def sniff_delimiter(header_line: str, columns: Sequence[str]) -> str:
    """The delimiter that splits `header_line` into the most names from `columns` (`,` on a tie)."""
    known = set(columns)

    def score(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return len({cell.strip() for cell in cells} & known)

    return max(DELIMITERS, key=score)  # max keeps the first of equals: `,`


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _check_header(header: list[str], columns: Sequence[str], required: Sequence[str]) -> None:
    unknown = sorted(set(header) - set(columns))
    missing = [c for c in required if c not in header]
    if not header or unknown or missing:
        raise UsageError(
            "the CSV header must name the columns "
            + (f"(missing: {', '.join(missing)}) " if missing else "")
            + (f"(unknown: {', '.join(unknown)}) " if unknown else "")
            + f"from: {', '.join(columns)}"
        )


def _too_long(row: dict[str, str | None]) -> str | None:
    long = [(name, len(value)) for name, value in row.items() if value and len(value) > FIELD_LIMIT_CHARS]
    if not long:
        return None
    return "; ".join(f"field too long: {name} has {size} characters (at most {FIELD_LIMIT_CHARS})"
                     for name, size in long)


def read_rows(
    stream: IO[str], *, columns: Sequence[str], required: Sequence[str], source: str = "input",
    delimiter: str | None = None, read_limit_chars: int = READ_LIMIT_CHARS,
) -> list[CsvRow]:
    """Every data row of the file (blank lines skipped); the header is checked first."""
    first = stream.readline()
    chosen = delimiter or sniff_delimiter(first, columns)
    rows: list[CsvRow] = []
    with _field_limit(read_limit_chars):
        reader = csv.DictReader(itertools.chain([first], stream), delimiter=chosen)
        start = 1
        try:
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            _check_header(header, columns, required)
            line = reader.line_num
            start = line + 1
            for row in reader:
                start, line = line + 1, reader.line_num
                if None in row:
                    rows.append(CsvRow(start, {}, "more values than columns"))
                elif any((v or "").strip() for v in row.values()):
                    rows.append(CsvRow(start, row, _too_long(row)))
                start = line + 1
        except csv.Error as exc:
            raise UsageError(f"{source}:{start}: not a readable CSV row ({exc}; an unclosed quote?): "
                             "nothing imported") from None
    return rows
