"""Inline SVG charts (no script, no network): horizontal bars, progress bars, column chart.

Geometry is computed with Decimal like everything else that touches money, and written with
one decimal; every label goes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#9333ea", "#dc2626", "#0891b2")
INK, MUTED, GRID = "#0f172a", "#64748b", "#e2e8f0"
LABEL_GAP = 10  # px between a label and its bar
LABEL_X = 2  # px from the left edge (a glyph may reach a little left of its origin)


def num(value: Decimal | int) -> str:
    return str(Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP))


def money(value: Decimal, currency: str = "") -> str:
    text = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    return f"{text} {currency}".strip()


def compact(value: Decimal) -> str:
    """1234567 -> 1.2M, for axis and bar labels."""
    sign, size = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if size >= limit:
            return f"{sign}{(size / limit).quantize(Decimal('0.1'), ROUND_HALF_UP)}{suffix}"
    return f"{sign}{size.quantize(Decimal('1'), ROUND_HALF_UP)}"


def percent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


# Rough glyph widths in em for a sans-serif UI font, on the wide side so a label never runs past its area
_NARROW, _WIDE = set("iljtfrI.,:;'|!()[] "), set("MWmw@%ÆŒæœ")


def text_width(label: str, font_size: int = 12) -> float:
    """An upper estimate of `label`'s rendered width in px (no script measures it in a static page)."""
    em = 0.0
    for ch in label:
        if ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.95
        elif ch.isupper():
            em += 0.74
        elif ch.isascii() or (ch.isalpha() and ord(ch) < 0x2E80):
            em += 0.6
        else:  # CJK and other wide scripts
            em += 1.05
    return em * font_size


def fit_label(label: str, room: float, font_size: int = 12) -> str:
    """`label` cut (with …) to fit `room` px."""
    if text_width(label, font_size) <= room:
        return label
    cut = label
    while cut and text_width(cut.rstrip() + "…", font_size) > room:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _svg(width: int, height: int, title: str, body: list[str], label_width: int = 0) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
            f'data-label-width="{label_width}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def hbars(title: str, items: Sequence[tuple[str, Sequence[Decimal]]], series: Sequence[str],
          width: int = 560, label_width: int = 190) -> str:
    """Horizontal bars, one group per item, one bar per series value (e.g. earned and paid)."""
    bar_h, gap = 14, 10
    group_h = bar_h * len(series) + gap
    legend_h = 22 if len(series) > 1 else 0
    height = legend_h + group_h * max(len(items), 1) + 8
    top = max((v for _, values in items for v in values), default=Decimal(0))
    scale = Decimal(width - label_width - 70) / top if top > 0 else Decimal(0)
    body: list[str] = []
    for i, name in enumerate(series if len(series) > 1 else ()):
        x = label_width + i * 120
        body.append(f'<rect x="{x}" y="4" width="10" height="10" rx="2" fill="{PALETTE[i]}"/>'
                    f'<text x="{x + 14}" y="13" font-size="11" fill="{MUTED}">{escape(name)}</text>')
    if not items:
        body.append(f'<text x="{label_width}" y="{legend_h + 14}" font-size="12" fill="{MUTED}">no data</text>')
    for row, (label, values) in enumerate(items):
        y = legend_h + row * group_h
        # start-anchored and cut to the label column: never clipped at the left edge, never into the bars
        short = fit_label(label, label_width - LABEL_GAP - LABEL_X)
        body.append(f'<text x="{LABEL_X}" y="{y + bar_h * len(series) / 2 + 4}" font-size="12" '
                    f'fill="{INK}" class="label">{escape(short)}<title>{escape(label)}</title></text>')
        for i, value in enumerate(values):
            w = max(value, Decimal(0)) * scale
            by = y + i * bar_h
            body.append(f'<rect class="bar" x="{label_width}" y="{by}" width="{num(w)}" height="{bar_h - 2}" rx="2" '
                        f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {escape(money(value))}</title>'
                        f'</rect><text x="{num(label_width + w + 6)}" y="{by + bar_h - 4}" font-size="11" '
                        f'fill="{MUTED}">{escape(compact(value))}</text>')
    return _svg(width, height, title, body, label_width)


def progress(title: str, items: Sequence[tuple[str, str, Decimal]], width: int = 560, label_width: int = 190) -> str:
    """Progress bars (0..1) with a caption each, e.g. ("Acme", "to gold", 0.53)."""
    row_h = 26
    height = row_h * max(len(items), 1) + 6
    track = Decimal(width - label_width - 110)
    body: list[str] = []
    if not items:
        body.append(f'<text x="{label_width}" y="16" font-size="12" fill="{MUTED}">'
                    'no partner below the top tier</text>')
    for row, (label, caption, value) in enumerate(items):
        y = row * row_h + 4
        short = fit_label(label, label_width - LABEL_GAP - LABEL_X)
        fill = PALETTE[1] if value >= 1 else PALETTE[0]
        body.append(f'<text x="{LABEL_X}" y="{y + 12}" font-size="12" fill="{INK}" class="label">'
                    f'{escape(short)}<title>{escape(label)}</title></text>'
                    f'<rect x="{label_width}" y="{y}" width="{num(track)}" height="16" rx="8" fill="{GRID}"/>'
                    f'<rect class="bar" x="{label_width}" y="{y}" width="{num(track * min(value, Decimal(1)))}" '
                    f'height="16" rx="8" fill="{fill}"/>'
                    f'<text x="{num(label_width + track + 8)}" y="{y + 12}" font-size="11" fill="{MUTED}">'
                    f'{escape(percent(value))} {escape(caption)}</text>')
    return _svg(width, height, title, body, label_width)


def columns(title: str, items: Sequence[tuple[str, Decimal]], width: int = 560, height: int = 220) -> str:
    """Vertical columns with a baseline and value labels (e.g. revenue per month)."""
    left, bottom, top_pad = 50, 28, 18
    plot_h = Decimal(height - bottom - top_pad)
    top = max((v for _, v in items), default=Decimal(0))
    scale = plot_h / top if top > 0 else Decimal(0)
    slot = Decimal(width - left - 10) / max(len(items), 1)
    bar_w = min(slot * Decimal("0.6"), Decimal(80))
    base_y = height - bottom
    body = [f'<line x1="{left}" y1="{base_y}" x2="{width - 10}" y2="{base_y}" stroke="{GRID}"/>',
            f'<text x="{left - 6}" y="{top_pad + 4}" font-size="10" text-anchor="end" fill="{MUTED}">'
            f'{escape(compact(top))}</text>',
            f'<line x1="{left}" y1="{top_pad}" x2="{width - 10}" y2="{top_pad}" stroke="{GRID}" '
            'stroke-dasharray="3 3"/>']
    for i, (label, value) in enumerate(items):
        h = max(value, Decimal(0)) * scale
        x = left + slot * i + (slot - bar_w) / 2
        body.append(f'<rect class="bar" x="{num(x)}" y="{num(base_y - h)}" width="{num(bar_w)}" height="{num(h)}" '
                    f'rx="3" fill="{PALETTE[0]}"><title>{escape(label)}: {escape(money(value))}</title></rect>'
                    f'<text x="{num(x + bar_w / 2)}" y="{num(base_y - h - 5)}" font-size="11" text-anchor="middle" '
                    f'fill="{INK}">{escape(compact(value))}</text>'
                    f'<text x="{num(x + bar_w / 2)}" y="{base_y + 16}" font-size="11" text-anchor="middle" '
                    f'fill="{MUTED}">{escape(label)}</text>')
    return _svg(width, height, title, body)


def trend_lines(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal | None]]],
                width: int = 360, height: int = 160) -> str:
    """One line per series over the periods (e.g. revenue and open pipeline), with a legend."""
    left, right, bottom, top_pad = 46, 12, 24, 22
    values = [v for _, vs in series for v in vs if v is not None]
    top = max(values, default=Decimal(0))
    plot_h = Decimal(height - bottom - top_pad)
    scale = plot_h / top if top > 0 else Decimal(0)
    step = Decimal(width - left - right) / max(len(labels) - 1, 1)
    base_y = height - bottom
    body = [f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="{GRID}"/>',
            f'<text x="{left - 6}" y="{top_pad + 4}" font-size="10" text-anchor="end" fill="{MUTED}">'
            f'{escape(compact(top))}</text>']
    for i, label in enumerate(labels):
        body.append(f'<text x="{num(left + step * i)}" y="{base_y + 15}" font-size="10" text-anchor="middle" '
                    f'fill="{MUTED}">{escape(label)}</text>')
    for n, (name, points) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        xy = [(left + step * i, base_y - max(v, Decimal(0)) * scale, v) for i, v in enumerate(points) if v is not None]
        if len(xy) > 1:
            body.append(f'<polyline class="trend" fill="none" stroke="{color}" stroke-width="2" points="'
                        + " ".join(f"{num(x)},{num(y)}" for x, y, _ in xy) + '"/>')
        body += [f'<circle cx="{num(x)}" cy="{num(y)}" r="3" fill="{color}"><title>{escape(name)}: '
                 f'{escape(money(v))}</title></circle>' for x, y, v in xy]
        body.append(f'<rect x="{left + n * 110}" y="4" width="10" height="10" rx="2" fill="{color}"/>'
                    f'<text x="{left + n * 110 + 14}" y="13" font-size="11" fill="{INK}">{escape(name)}</text>')
    return _svg(width, height, title, body)
