"""The HTML scorecard: one self-contained file with inline SVG charts."""

from prm_sync.report_html.page import render_scorecard_html

__all__ = ["render_scorecard_html"]
