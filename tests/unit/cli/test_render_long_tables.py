"""Long tables: rows after the first few are printed in rich's format without rich's per-cell
layout (issue 17, `partners list` of 1,000 partners); the output is the same, character for character."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest

from prm_sync.cli import render

NAMES = ["Nguyễn Văn Ánh Co., Ltd", "Müller & Söhne GmbH Straßenbau", "株式会社トヨタ自動車販売店", "Cafe\u0301 Crème",
         "", "A", "Weiß 🚀 Partners", "x" * 60, "Trần Thị Thu Hương — Đại lý", "tab\there"]


def _rows() -> list[dict[str, Any]]:
    return [{"id": f"{i:032x}", "name": name, "tier": "gold" if i % 2 else "silver",
             "discount": Decimal("12.50") if i % 3 else None, "country": "VN" if i % 2 else "DE",
             "territories": "EMEA,APAC,US-CA" * (i % 3)}
            for i, name in enumerate(NAMES * 3)]


COLUMNS = ("id", "name", "tier", "discount", "country", "territories")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _print(monkeypatch: pytest.MonkeyPatch, out: io.StringIO, width: int, rich_rows: int) -> str:
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr(render, "RICH_ROWS", rich_rows)
    render.print_table(_rows(), COLUMNS, title="Partners", priority=("id", "name", "tier"), width=width)
    return out.getvalue()


@pytest.mark.parametrize("width", [50, 80, 120, 200])
@pytest.mark.parametrize("tty", [False, True], ids=["piped", "terminal"])
def test_a_long_table_prints_exactly_what_rich_prints(monkeypatch: pytest.MonkeyPatch, width: int,
                                                      tty: bool) -> None:
    kind = _Tty if tty else io.StringIO
    fast = _print(monkeypatch, kind(), width, rich_rows=2)
    all_rich = _print(monkeypatch, kind(), width, rich_rows=10_000)
    assert fast == all_rich
    assert fast.count("\n") > len(NAMES) * 3


def test_the_fast_rows_are_really_taken_for_these_cells() -> None:
    """The fallback (rich lays out every row) must not hide a format the fast rows get wrong."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    rows = _rows()
    for width in (50, 80, 200):
        shown = render.fitting_columns(rows, COLUMNS, width, ("id", "name", "tier"))
        widths = render._widths(rows, shown, width, ("id", "name", "tier"))
        table = Table(title=Text("Partners"), show_lines=False)
        for c in shown:
            table.add_column(Text(render.heading(c)), overflow="ellipsis", min_width=widths[c], max_width=widths[c])
        for r in rows:
            table.add_row(*(Text(render._cell(r.get(c)), no_wrap=True, overflow="ellipsis") for c in shown))
        console = Console(file=io.StringIO(), soft_wrap=False, width=width, highlight=False, markup=False,
                          emoji=False)
        printed = render._rich_text(console, table)
        body = [line for line in printed.splitlines() if line.startswith("│")]
        assert body == [render._table_row(r, shown, widths) for r in rows]


def test_a_changed_table_format_falls_back_to_rich() -> None:
    assert render._extend_table("┏━┓\n┃ X ┃\n┡━┩\n│ not this │\n│ nor this │\n└─┘\n", [{"a": 1}] * 3, ["a"],
                                {"a": 1}) is None
