"""The scorecard as one self-contained HTML page: inline CSS and SVG, no script, no network.

Meant to be opened in a browser, printed to PDF or pasted into a QBR deck. Every text value is
escaped; nothing refers to anything outside the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from prm_sync.domain.scorecards import PERIODS_PER_YEAR, Scorecard, TierTarget
from prm_sync.report_html.charts import columns, compact, hbars, money, percent, progress

TOP = 12  # partners shown in each chart (the table lists them all)

CSS = """
*{box-sizing:border-box}body{margin:0;background:#f8fafc;color:#0f172a;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:32px 28px 48px}
header{display:flex;justify-content:space-between;align-items:flex-end;border-bottom:3px solid #2563eb;
padding-bottom:14px;margin-bottom:22px}h1{font-size:28px;margin:0}h2{font-size:16px;margin:0 0 10px}
.sub{color:#64748b}.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:22px}
.kpi{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 14px}
.kpi b{display:block;font-size:22px;margin-top:2px}.kpi span{color:#64748b;font-size:12px;text-transform:uppercase;
letter-spacing:.04em}.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:22px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:16px 18px;overflow:hidden}
svg.chart{max-width:100%;height:auto}.wide{overflow-x:auto}table{width:100%;border-collapse:collapse;font-size:12px}
th,td{padding:6px 6px;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}th{white-space:normal}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f1f5f9;font-weight:600;color:#334155}tr:nth-child(even) td{background:#fcfdfe}
td:first-child{white-space:normal;min-width:9em;overflow-wrap:anywhere}
@media (max-width:1100px){.opt{display:none}.kpis{grid-template-columns:repeat(3,1fr)}}
@media (max-width:700px){.grid{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(2,1fr)}}
.tier{display:inline-block;padding:1px 8px;border-radius:9px;font-size:11px;background:#e0e7ff;color:#3730a3}
footer{color:#64748b;font-size:12px;margin-top:18px}footer li{margin:2px 0}
@media print{body{background:#fff}main{padding:0}.card,.kpi{break-inside:avoid}}
"""


def _sum(cards: Sequence[Scorecard], name: str) -> Decimal:
    return sum((getattr(c, name) for c in cards), Decimal(0))


def _kpis(cards: Sequence[Scorecard], currency: str) -> str:
    won = sum(c.deals_won for c in cards)
    regs = sum(c.registrations for c in cards)
    revenue = _sum(cards, "revenue")
    closed = sum(c.deals_closed for c in cards)
    approved = sum(c.approved for c in cards)
    decided = approved + sum(c.rejected for c in cards)
    tiles = [("Revenue won", f"{compact(revenue)} {currency}"), ("Deals won", str(won)),
             ("Win rate", percent(Decimal(won) / closed if closed else None)),
             ("Commission earned", f"{compact(_sum(cards, 'commission_earned'))} {currency}"),
             ("Registrations", str(regs)),
             ("Approval rate", percent(Decimal(approved) / decided if decided else None))]
    return "".join(f'<div class="kpi"><span>{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in tiles)


#: columns a narrow window leaves out (CSS), so the table fits its card
OPTIONAL_COLUMNS = frozenset({3, 4, 8, 9, 11})


def _table(cards: Sequence[Scorecard], currency: str) -> str:
    head = ("Partner", "Tier", "Regs", "Approval", "Conflicts", "Won", f"Revenue ({currency})", "Win rate",
            "Avg deal", "Avg cycle (d)", "Earned", "Paid", "Next tier")

    def cell(tag: str, i: int, content: str) -> str:
        return f'<{tag} class="opt">{content}</{tag}>' if i in OPTIONAL_COLUMNS else f"<{tag}>{content}</{tag}>"

    rows = []
    for c in cards:
        score = f" score {c.score}" if c.score is not None else ""
        cells = [escape(c.partner), f'<span class="tier">{escape(c.tier)}</span>{score}', str(c.registrations),
                 percent(c.approval_rate), percent(c.conflict_rate), str(c.deals_won), escape(money(c.revenue)),
                 percent(c.win_rate), escape(money(c.average_deal_size)) if c.average_deal_size is not None else "–",
                 escape(str(c.average_cycle_days)) if c.average_cycle_days is not None else "–",
                 escape(money(c.commission_earned)), escape(money(c.commission_paid)),
                 escape(f"{c.next_tier} {percent(c.tier_progress)}") if c.next_tier else "top tier"]
        rows.append("<tr>" + "".join(cell("td", i, content) for i, content in enumerate(cells)) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(head)}">No partners.</td></tr>')
    return ("<table><thead><tr>" + "".join(cell("th", i, escape(h)) for i, h in enumerate(head))
            + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _footer(kind: str, currency: str, notes: Sequence[str], targets: Sequence[TierTarget] = ()) -> str:
    share = PERIODS_PER_YEAR[kind]

    def need(t: TierTarget) -> str:
        parts = []
        if t.revenue_per_year:
            parts.append(f"{compact(t.revenue_per_year / share)} {currency} revenue")
        if t.deals_per_year:
            parts.append(f"{format((t.deals_per_year / share).normalize(), 'f')} won deals")
        return (" and ".join(parts) + f" per {kind}") if parts else "no revenue or deal target"

    tiers = "; ".join(f"{escape(t.tier)}: {escape(need(t))}" for t in targets[1:]) or "no program configured"
    items = [
        "Revenue, win rate and deal size count deals closed in the period; win rate = won / (won + lost).",
        "Approval rate = approved / (approved + rejected) registrations created in the period; conflict rate = "
        "registrations flagged with a channel conflict / registrations.",
        "Average cycle = days from the registration (else the deal record) to the close date.",
        "Commission earned includes clawbacks (negative lines), dated by the deal's close date.",
        f"Tier thresholds (prorated): {tiers}. Progress is the lower of the revenue and deal ratios.",
        *notes,
    ]
    return "<footer><ul>" + "".join(f"<li>{escape(i) if i in notes else i}</li>" for i in items) + "</ul></footer>"


def render_scorecard_html(period: str, kind: str, currency: str, generated_at: dt.datetime,
                          cards: Sequence[Scorecard], notes: Sequence[str] = (),
                          targets: Sequence[TierTarget] = ()) -> str:
    top = list(cards[:TOP])
    revenue = hbars("Revenue won by partner", [(c.partner, [c.revenue]) for c in top], ["revenue"])
    commission = hbars("Commission earned and paid", [(c.partner, [c.commission_earned, c.commission_paid])
                                                      for c in top], ["earned", "paid"])
    climbers = [(c.partner, f"to {c.next_tier}", c.tier_progress) for c in top
                if c.next_tier and c.tier_progress is not None]
    tiers = progress("Progress to the next tier", climbers)
    months: dict[str, Decimal] = {}
    for c in cards:
        for label, value in c.monthly_revenue:
            months[label] = months.get(label, Decimal(0)) + value
    trend = columns("Revenue won per month", list(months.items()))
    charts = [("Revenue won by partner", revenue), ("Revenue per month", trend),
              ("Progress to the next tier", tiers), ("Commission earned vs paid", commission)]
    grid = "".join(f'<section class="card"><h2>{escape(t)}</h2>{svg}</section>' for t, svg in charts)
    title = f"Partner scorecard {period}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><div><h1>{escape(title)}</h1><div class=\"sub\">{len(cards)} partners · amounts in "
        f"{escape(currency)}</div></div><div class=\"sub\">generated {escape(generated_at.strftime('%Y-%m-%d %H:%M'))}"
        " UTC</div></header>"
        f"<div class=\"kpis\">{_kpis(cards, currency)}</div><div class=\"grid\">{grid}</div>"
        f"<section class=\"card wide\"><h2>All partners</h2>{_table(cards, currency)}</section>"
        f"{_footer(kind, currency, notes, targets)}</main></body></html>\n"
    )
