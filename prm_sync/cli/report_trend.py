"""`report scorecard --periods N [--by ...]`: the trend as a table, CSV, JSON or HTML page."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from prm_sync.cli.render import plain, render_rows
from prm_sync.report_html.trend_page import shown
from prm_sync.services.scorecards import TrendReport


def _rows(trend: TrendReport, top: int | None) -> list[dict[str, Any]]:
    labels = [p.label for p in trend.periods]
    keys = list(dict.fromkeys(r.key for r in trend.rows))
    if top is not None:
        last = {c.partner_id: c.revenue for c in trend.series[-1]}
        keys = sorted(keys, key=lambda k: -last.get(k, Decimal(0)))[:top]
    chosen = set(keys)
    return [{"key": r.key, "name": r.name, "figure": r.figure, **dict(zip(labels, r.values, strict=True)),
             "direction": r.direction} for r in trend.rows if r.key in chosen]


def emit_trend(trend: TrendReport, fmt: str, out: Path | None, top: int | None) -> None:
    from prm_sync.cli.report import emit

    for note in trend.notes:
        click.echo(f"note: {note}", err=True)
    labels = [p.label for p in trend.periods]
    rows = _rows(trend, top)
    if fmt == "html":
        from prm_sync.report_html import render_trend_html

        chosen = {r["key"] for r in rows}
        emit(render_trend_html(labels, trend.currency, trend.by, trend.generated_at,
                               [r for r in trend.rows if r.key in chosen], trend.notes), out)
        return
    if fmt == "json":
        emit(json.dumps({"periods": labels, "currency": trend.currency, "by": trend.by, "rows": [
            {"key": r["key"], "name": r["name"], "figure": r["figure"],
             "values": {label: plain(r[label]) for label in labels}, "direction": r["direction"]} for r in rows]},
            indent=2, ensure_ascii=False) + "\n", out)
        return
    columns = ("name", "figure", *labels, "direction")
    if fmt == "csv" or out is not None:
        import io

        from prm_sync.cli.render import csv_raw
        from prm_sync.util.safe_csv import write_csv

        buffer = io.StringIO()
        write_csv(buffer, columns, ({c: plain(r.get(c)) for c in columns} for r in rows), raw=csv_raw())
        emit(buffer.getvalue(), out)
        return
    table = [{**r, "figure": str(r["figure"]).replace("_", " "),  # in words, like the headers
              **{label: shown(r["figure"], r[label]) for label in labels}} for r in rows]
    scope = f" by {trend.by}" if trend.by else ""
    render_rows(table, columns, "table", title=f"Partner scorecard trend {labels[0]} – {labels[-1]}{scope} "
                f"({trend.currency})")
