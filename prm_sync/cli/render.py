"""Rendering rows for people (rich tables) and machines (JSON, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table


def plain(value: Any) -> Any:
    """A JSON/CSV-safe form: Decimal and dates as text (money never goes through float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, title: str | None = None) -> None:
    if fmt == "json":
        click.echo(json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else plain(r.get(c)) for c in columns])
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(plain(r.get(c))) for c in columns))
    # Piped or logged output gets room for every column; a terminal keeps its own width.
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160).print(table)


def render_record(record: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({k: plain(v) for k, v in record.items()}, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in record) if record else 0
    for key, value in record.items():
        click.echo(f"{key.ljust(width)}  {'' if value is None else plain(value)}")
