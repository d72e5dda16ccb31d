"""Rendering rows for people (rich tables) and machines (JSON, CSV).

Tables fit the terminal: headers in words, cells on one line (cut with …), and when the columns
cannot all fit, the least important ones (last in `priority`, by default the last columns) are left
out and a note says which. Every text shown is stripped of control characters and escape sequences,
and never parsed as rich markup (cells are `Text`). CSV goes through the one CSV writer.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click

from prm_sync.ops.terminal_text import plain_line, strip_controls
from prm_sync.util.safe_csv import write_csv

PIPED_WIDTH = 160  # piped or logged output: room for most columns
SHRUNK_CELL = 14   # a text cell may be cut down to this many characters before columns are left out
KEY_CELL = 28      # the key column (the partner, the entity…) is cut no shorter than this


def _remember_raw(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["csv_raw"] = True


RAW = click.option("--raw", "csv_raw", is_flag=True, expose_value=False, callback=_remember_raw,
                   help="CSV cells exactly as stored, for programs (by default a text cell starting with "
                        "= + - @ gets a leading ' so spreadsheets do not run it)")


def plain(value: Any) -> Any:
    """A JSON/CSV-safe form: Decimal and dates as text (money never goes through float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def heading(column: str) -> str:
    """`average_deal_size` -> `Average deal size` (a header in words)."""
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def csv_raw() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("csv_raw"))


def terminal_width() -> int:
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        return PIPED_WIDTH


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, title: str | None = None, *,
                empty: str | None = None, priority: Sequence[str] | None = None) -> None:
    """Rows as JSON, CSV or a table; an empty table is one sentence (`empty`, or "No <title>.")."""
    if fmt == "json":
        click.echo(json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        write_csv(sys.stdout, columns, rows, raw=csv_raw())
        return
    if not rows:
        click.echo(empty or (f"No {title[:1].lower()}{title[1:]}." if title else "Nothing to show."))
        return
    print_table(rows, columns, title=title, priority=priority)


class _Shown(str):
    """A cell already made display text by `_cell` (a table computes each cell's text once)."""

    __slots__ = ()


def _cell(value: Any) -> str:
    if type(value) is _Shown:
        return value
    return _Shown("" if value is None else plain_line(plain(value)))


def _need(rows: Sequence[dict[str, Any]], column: str, *, key: bool) -> int:
    """The width a column needs: its longest heading word, its cells cut to SHRUNK_CELL (the key column,
    which says whose row it is, to KEY_CELL)."""
    longest_word = max((len(w) for w in heading(column).split()), default=1)
    longest_cell = max((len(_cell(r.get(column))) for r in rows), default=0)
    return max(longest_word, min(longest_cell, KEY_CELL if key else SHRUNK_CELL), 1)


def fitting_columns(rows: Sequence[dict[str, Any]], columns: Sequence[str], width: int,
                    priority: Sequence[str] | None = None) -> list[str]:
    """The columns that fit in `width` (in their order), leaving out the least important first."""
    order = [c for c in (priority or columns) if c in columns] + [c for c in columns if c not in (priority or ())]

    def need(column: str) -> int:
        return _need(rows, column, key=column == order[0])

    kept = list(order)
    while len(kept) > 1 and sum(need(c) for c in kept) + 3 * len(kept) + 1 > width:
        kept.pop()
    return [c for c in columns if c in kept]


def _widths(rows: Sequence[dict[str, Any]], shown: Sequence[str], width: int,
            priority: Sequence[str] | None) -> dict[str, int]:
    """Each column's width: what it needs (`_need`), then the room left given to the most important
    columns first, up to their whole cells, so the table is exactly as wide as it must be and never
    wider than `width`."""
    order = [c for c in (priority or shown) if c in shown] + [c for c in shown if c not in (priority or ())]
    widths = {c: _need(rows, c, key=c == order[0]) for c in shown}
    room = width - (sum(widths.values()) + 3 * len(shown) + 1)
    for c in order:
        if room <= 0:
            break
        whole = max([len(heading(c)), *(len(_cell(r.get(c))) for r in rows)])
        grow = min(room, max(whole - widths[c], 0))
        widths[c] += grow
        room -= grow
    return widths


#: Tables longer than this print their body rows without rich's per-cell layout (0.45 s of CPU for
#: 1,000 partners): rich lays out the first rows, the rest follow in the very same format (issue 17).
RICH_ROWS = 2


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str | None = None,
                priority: Sequence[str] | None = None, width: int | None = None) -> None:
    from rich.console import Console  # here: JSON and CSV output need no rich (start-up, issue 17)
    from rich.table import Table
    from rich.text import Text

    width = width or terminal_width()
    # each cell's text once: widths, fitting and the rows all measure it (1,000 rows: 32,000 -> 8,000)
    rows = [{c: _cell(r.get(c)) for c in columns} for r in rows]
    shown = fitting_columns(rows, columns, width, priority)
    widths = _widths(rows, shown, width, priority)

    def rich_table(body: Sequence[dict[str, Any]]) -> Table:
        table = Table(title=Text(strip_controls(title, keep_newlines=False)) if title else None, show_lines=False)
        for c in shown:
            table.add_column(Text(heading(c)), overflow="ellipsis", min_width=widths[c], max_width=widths[c])
        for r in body:
            table.add_row(*(Text(_cell(r.get(c)), no_wrap=True, overflow="ellipsis") for c in shown))
        return table

    console = Console(file=sys.stdout, soft_wrap=False, width=width, highlight=False, markup=False, emoji=False)
    if len(rows) <= RICH_ROWS:
        console.print(rich_table(rows))
    else:
        with console.capture() as captured:
            console.print(rich_table(rows[:RICH_ROWS]))
        sys.stdout.write(_extend_table(captured.get(), rows, shown, widths) or _rich_text(console, rich_table(rows)))
    left_out = [heading(c) for c in columns if c not in shown]
    if left_out:
        click.echo(textwrap.fill(f"(left out to fit {width} columns: {', '.join(left_out)})", width))


def _rich_text(console: Any, renderable: Any) -> str:
    with console.capture() as captured:
        console.print(renderable)
    return str(captured.get())


def _table_row(row: dict[str, Any], shown: Sequence[str], widths: dict[str, int]) -> str:
    """One body row as rich prints it: cells on one line, cut with … (rich's own cell measure)."""
    from rich.cells import cell_len, set_cell_size

    cells = []
    for c in shown:
        text, width = _cell(row.get(c)), widths[c]
        cells.append(set_cell_size(text, width - 1) + "…" if cell_len(text) > width else set_cell_size(text, width))
    return "│ " + " │ ".join(cells) + " │"


def _extend_table(printed: str, rows: Sequence[dict[str, Any]], shown: Sequence[str],
                  widths: dict[str, int]) -> str | None:
    """`printed` (rich's table of the first RICH_ROWS rows) with the other rows added before its
    bottom edge; None when rich's rows are not exactly what `_table_row` makes of them (a style, a
    box or a rich version this does not know): the caller then lets rich lay out every row."""
    lines = printed.split("\n")
    if len(lines) < RICH_ROWS + 2 or lines[-1] != "":
        return None
    first = lines[-2 - RICH_ROWS:-2]
    if first != [_table_row(r, shown, widths) for r in rows[:RICH_ROWS]]:
        return None
    rest = [_table_row(r, shown, widths) for r in rows[RICH_ROWS:]]
    return "\n".join([*lines[:-2], *rest, *lines[-2:]])


def render_record(record: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({k: plain(v) for k, v in record.items()}, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in record) if record else 0
    for key, value in record.items():
        click.echo(f"{key.ljust(width)}  {_cell(value)}")
