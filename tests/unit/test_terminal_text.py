"""Escape sequences and control characters never reach a terminal; tables keep the key columns."""

from __future__ import annotations

import pytest

from prm_sync.cli.render import fitting_columns, heading
from prm_sync.ops.terminal_text import plain_line, strip_controls


@pytest.mark.parametrize(("raw", "shown"), [
    ("Title\x1b]0;pwned\x07 Co", "Title Co"),                       # OSC window title, BEL-terminated
    ("\x1b]8;;http://evil.example\x1b\\Link\x1b]8;;\x1b\\", "Link"),  # OSC 8 hyperlink, ST-terminated
    ("Clear\x1b[2J\x1b[H Ltd", "Clear Ltd"),                          # CSI
    ("C1\x9b2J CSI", "C1 CSI"),                                       # 8-bit CSI
    ("Bell\x07\x08\x00 SA", "Bell SA"),
    ("Nguyễn Thị Minh Khai [/x] [link=x]", "Nguyễn Thị Minh Khai [/x] [link=x]"),
])
def test_strip_controls(raw: str, shown: str) -> None:
    assert strip_controls(raw) == shown


def test_plain_line_turns_breaks_into_spaces() -> None:
    assert plain_line("a\nb\tc\r\nd") == "a b c d"
    assert strip_controls("a\nb") == "a\nb"


def test_narrow_tables_keep_the_key_columns_first() -> None:
    rows = [{"id": "3f2a9c1d", "name": "Acme Partners", "tier": "gold", "territories": "US,US-CA,EMEA" * 3}]
    columns = ["id", "name", "territories", "tier"]
    assert fitting_columns(rows, columns, 200) == columns
    assert fitting_columns(rows, columns, 40, priority=["id", "name", "tier"]) == ["id", "name", "tier"]
    assert heading("average_deal_size") == "Average deal size"


def test_the_key_column_keeps_a_readable_name_and_the_table_stays_inside_the_width(
        capsys: pytest.CaptureFixture[str]) -> None:
    from prm_sync.cli.render import KEY_CELL, print_table

    name = "Watts, Flynn and Griffin Energy Solutions"
    rows = [{"partner": name, **{f"figure_{i}": f"{i * 1000}.00" for i in range(12)}}]
    columns = ["partner", *(f"figure_{i}" for i in range(12))]
    for width in (80, 120, 160):
        print_table(rows, columns, width=width)
        lines = capsys.readouterr().out.splitlines()
        table = [line for line in lines if line[:1] in "┏┃┡│└"]
        assert table and all(len(line) <= width for line in table)
        assert all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in table)   # whole, not cropped
        row = next(line for line in table if line.startswith("│ Watts"))
        assert name[:KEY_CELL - 1] in row                                      # cut no shorter than KEY_CELL
