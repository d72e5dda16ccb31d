"""`prm-sync report scorecard`: partner scorecards as a table, CSV, JSON or one HTML file."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.render import RAW, csv_raw, plain, render_rows
from prm_sync.domain.commissions import period_of
from prm_sync.ops.terminal_text import plain_line
from prm_sync.services.commissions import period_arg
from prm_sync.services.partner_lookup import resolve_partner
from prm_sync.services.program import tier_targets
from prm_sync.services.scorecards import COLUMNS, add_scores, build_scorecards, build_trend, card_rows, rolled_up
from prm_sync.services.tier_review import partner_scores
from prm_sync.store.types import utcnow
from prm_sync.util.safe_csv import write_csv

RATES = ("approval_rate", "conflict_rate", "win_rate", "tier_progress")
# the columns a narrow terminal keeps, most important first
TABLE_PRIORITY = ("partner", "revenue", "deals_won", "registrations", "commission_earned", "win_rate", "tier", "score",
                  "approval_rate", "conflict_rate", "commission_paid", "average_deal_size", "tier_progress",
                  "next_tier", "average_cycle_days")
TREND_HELP = "  prm-sync report scorecard --period 2026-Q4 --periods 4 --by channel_manager --format html --out t.html"


@click.group()
def report() -> None:
    """Reports for channel managers."""


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in RATES:
        value = row.get(name)
        out[name] = None if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"
    return out


def _text(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str) -> str:
    """CSV or JSON with exact decimal text (never through float)."""
    if fmt == "json":
        return json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    write_csv(buffer, columns, rows, raw=csv_raw())
    return buffer.getvalue()


@report.command("scorecard", epilog="Examples:\n\n\b\n  prm-sync report scorecard --period 2026-Q3\n"
                "  prm-sync report scorecard --period 2026-Q3 --format html --out qbr.html\n" + TREND_HELP)
@click.option("--period", help="2026-Q3 (quarter), 2026-07 (month) or 2026 (year); default: this quarter")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file (default stdout)")
@click.option("--top", type=click.IntRange(1, None), default=None,
              help="only the N partners with the most revenue in the period")
@RAW
@click.option("--partner", "partner_key", help="only this partner's scorecard (id or name)")
@click.option("--periods", type=click.IntRange(2, 36), default=None,
              help="a trend: each figure over the last N periods (ending with --period), with its direction")
@click.option("--by", type=click.Choice(["channel_manager", "territory", "tier"]), default=None,
              help="roll partners up into groups")
@click.pass_obj
def scorecard(app: App, period: str | None, fmt: str, out: Path | None, top: int | None,
              partner_key: str | None, periods: int | None, by: str | None) -> None:
    """Per partner: registrations, approval and conflict rates, deals won, revenue, open pipeline, win rate,
    average deal size and cycle, commission earned and paid, progress to the next tier, and the partner
    score on the period's last day (when the program defines one)."""
    local = app.local()
    scope = period_arg(period) or period_of(utcnow().date(), "quarter")
    settings = local.config.commissions
    if periods is not None:
        from prm_sync.cli.report_trend import emit_trend

        with local.open_store() as store, store.session() as session:
            trend = build_trend(session, settings, scope, periods, by=by)  # type: ignore[arg-type]
        emit_trend(trend, fmt, out, top)
        return
    with local.open_store() as store, store.session() as session:
        targets = tier_targets(local.config.program)
        result = build_scorecards(session, settings, scope, targets=targets)
        add_scores(result, partner_scores(session, local.config, scope.end - dt.timedelta(days=1)))
        if partner_key:
            only = resolve_partner(session, partner_key).id
            result.cards[:] = [c for c in result.cards if c.partner_id == only]
        if by is not None:
            result = rolled_up(result, session, by)  # type: ignore[arg-type]
    if top is not None:
        ranked = sorted(result.cards, key=lambda c: (-c.revenue, c.partner))
        result.cards[:] = ranked[:top]
    for note in result.notes:
        click.echo(f"note: {plain_line(note)}", err=True)
    if fmt == "html":
        from prm_sync.report_html import render_scorecard_html

        page = render_scorecard_html(scope.label, scope.kind, result.currency, result.generated_at, result.cards,
                                     result.notes, targets)
        emit(page, out)
        return
    rows = card_rows(result)
    if fmt == "table" and out is None:
        shown = COLUMNS if any(c.score is not None for c in result.cards) else tuple(
            c for c in COLUMNS if c != "score")   # no score in the program: no empty column
        render_rows([_table_row(r) for r in rows], shown, "table",
                    title=f"Partner scorecard {scope.label}{f' by {by}' if by else ''} ({result.currency})",
                    priority=TABLE_PRIORITY, empty=f"No partners to score in {scope.label}.")
        return
    emit(_text(rows, ("partner_id", "period", "currency", *COLUMNS), "json" if fmt == "json" else "csv"), out)


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().meta.get("quiet"))


def emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    if not _quiet():
        click.echo(f"wrote {out}")
