"""The HTML scorecard: one self-contained file with inline SVG charts (one period, or a trend)."""

from prm_sync.report_html.page import render_scorecard_html
from prm_sync.report_html.trend_page import render_trend_html

__all__ = ["render_scorecard_html", "render_trend_html"]
