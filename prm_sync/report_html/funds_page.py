"""`funds report --format html`: one self-contained page (inline CSS, no script, every value escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

from prm_sync.domain.funds import FundsReport
from prm_sync.report_html.page import CSS

PARTNER_COLUMNS = ("partner", "tier", "currency", "allocation", "reserved", "claimed", "paid", "remaining",
                   "requests", "leads", "pipeline", "won_revenue", "revenue_per_paid")
TIER_COLUMNS = ("tier", "currency", "partners", "allocation", "reserved", "claimed", "paid", "remaining", "leads",
                "won_revenue", "revenue_per_paid")
REQUEST_COLUMNS = ("request", "partner", "activity", "currency", "approved", "paid", "status", "leads", "pipeline",
                   "won_revenue", "revenue_per_paid")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return escape(f"{value:,}")
    return escape(str(value))


def _table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return (f'<section class="card wide"><h2>{escape(title)}</h2><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></section>")


def render_funds_html(report: FundsReport) -> str:
    sections = [_table("Budgets", report.budgets, ("period", "currency", "total", "allocated", "unallocated",
                                                   "reserved", "paid")),
                _table("Per partner", report.partners, PARTNER_COLUMNS),
                _table("Per tier", report.tiers, TIER_COLUMNS),
                _table("Per request: return on the funds", report.requests, REQUEST_COLUMNS)]
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Market development funds {escape(report.period)}</title><style>{CSS}</style></head><body><main>"
            f"<header><h1>Market development funds</h1><div class=\"sub\">{escape(report.period)}</div></header>"
            + "".join(sections) + "</main></body></html>\n")
