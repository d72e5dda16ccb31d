"""The scorecard trend as one self-contained HTML page: per partner (or roll-up group) a line chart
of won revenue and open pipeline over the periods, and each figure with its direction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from prm_sync.domain.scorecard_trends import TrendRow
from prm_sync.report_html.charts import money, percent, trend_lines
from prm_sync.report_html.page import CSS

RATES = frozenset({"win_rate", "approval_rate", "conflict_rate", "tier_progress"})
ARROWS = {"up": "▲ up", "down": "▼ down", "flat": "► flat", "–": "–"}
TREND_CSS = ".trend-grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.up{color:#16a34a}.down{color:#dc2626}"


def shown(figure: str, value: Decimal | int | None) -> str:
    if value is None:
        return "–"
    if figure in RATES:
        return percent(Decimal(value))
    return money(value) if isinstance(value, Decimal) else str(value)


def _block(name: str, labels: Sequence[str], rows: Sequence[TrendRow]) -> str:
    values = {r.figure: r for r in rows}
    chart = trend_lines(f"{name}: revenue and open pipeline", labels, [
        (label, [v if isinstance(v, Decimal) or v is None else Decimal(v) for v in values[f].values])
        for label, f in (("won revenue", "revenue"), ("open pipeline", "open_pipeline")) if f in values])
    head = "".join(f"<th>{escape(label)}</th>" for label in labels)
    body = "".join(
        f"<tr><td>{escape(r.figure.replace('_', ' '))}</td><td></td>"
        + "".join(f"<td>{escape(shown(r.figure, v))}</td>" for v in r.values)
        + f'<td class="{escape(r.direction)}">{escape(ARROWS.get(r.direction, r.direction))}</td></tr>'
        for r in rows)
    return (f'<section class="card"><h2>{escape(name)}</h2>{chart}<table><thead><tr><th>figure</th><th></th>{head}'
            f"<th>direction</th></tr></thead><tbody>{body}</tbody></table></section>")


def render_trend_html(labels: Sequence[str], currency: str, by: str | None, generated_at: dt.datetime,
                      rows: Sequence[TrendRow], notes: Sequence[str] = ()) -> str:
    groups: dict[str, list[TrendRow]] = {}
    names: dict[str, str] = {}
    for row in rows:
        groups.setdefault(row.key, []).append(row)
        names[row.key] = row.name
    blocks = "".join(_block(names[key], labels, mine) for key, mine in groups.items()) or "<p>No partners.</p>"
    scope = f"by {by.replace('_', ' ')}" if by else "per partner"
    title = f"Partner scorecard trend {labels[0]} – {labels[-1]}"
    items = "".join(f"<li>{escape(n)}</li>" for n in [
        "Direction compares the last period with the one before.",
        "Open pipeline: open deals and approved registrations expected to close in the period.", *notes])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{CSS}{TREND_CSS}</style></head><body><main>"
        f"<header><div><h1>{escape(title)}</h1><div class=\"sub\">{escape(scope)} · amounts in {escape(currency)}"
        f"</div></div><div class=\"sub\">generated {escape(generated_at.strftime('%Y-%m-%d %H:%M'))} UTC</div>"
        f"</header><div class=\"trend-grid\">{blocks}</div><footer><ul>{items}</ul></footer></main></body></html>\n"
    )
