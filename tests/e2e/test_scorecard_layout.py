"""The HTML scorecard's layout in headless Chromium at 1280 and 800 px: chart labels are not clipped at
the left edge (nor run into the bars), and no card (the "All partners" table's above all) overflows.

The report itself holds no script; the test renders a copy with a measuring script appended, which
writes the bounding boxes it finds into the DOM that `--dump-dom` prints.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from prm_sync.domain.scorecards import Scorecard
from prm_sync.report_html import render_scorecard_html

CHROMIUM = shutil.which("chromium")
NAMES = ["Maldonado, Gomez and Henderson Consulting Group", "Wojciechowski-Szczepański Systemhaus GmbH & Co. KG",
         "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM WWWWWWWWW", "Tập đoàn Công nghệ Đông Á Vietnam Solutions",
         "Acme", "Ölwerk GmbH", "Blue Ocean Partners International Holdings", "Nguyễn Tech JSC",
         "Sierra Quoted Limited Partnership of Greater Manchester", "Zeta", "Ångström Analytics AB",
         "Société Générale de Conseil et d'Intégration Informatique"]
MEASURE = """<script>
const out = {viewport: innerWidth, page: document.documentElement.scrollWidth, labels: [], boxes: []};
for (const svg of document.querySelectorAll('svg.chart')) {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const area = Number(svg.dataset.labelWidth || 0) * scale;
  for (const t of svg.querySelectorAll('text.label')) {
    const r = t.getBoundingClientRect();
    out.labels.push({text: t.textContent, left: r.left - box.left, right: r.right - box.left, area: area});
  }
}
for (const el of document.querySelectorAll('.card, .kpi')) {
  out.boxes.push({what: (el.querySelector('h2, span') || el).textContent, scroll: el.scrollWidth,
                  client: el.clientWidth, right: el.getBoundingClientRect().right});
}
const pre = document.createElement('pre'); pre.id = 'geometry'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def _card(n: int, name: str) -> Scorecard:
    big = Decimal(12_345_678) - n * Decimal(987_654) + Decimal("0.90")
    return Scorecard(
        partner_id=f"p{n}", partner=name, tier=("registered", "silver", "gold", "platinum")[n % 4],
        period="2026-Q3", currency="USD", registrations=120 + n, approved=90, rejected=10,
        approval_rate=Decimal("0.9"), conflict_rate=Decimal("0.058"),
        win_rate=Decimal("0.66"),
        deals_won=40 + n, deals_closed=60 + n, revenue=big, average_deal_size=big / 40, average_cycle_days=Decimal(47),
        commission_earned=big / 10, commission_paid=big / 20, next_tier="platinum" if n % 4 != 3 else None,
        tier_progress=Decimal("0.532") if n % 4 != 3 else None,
        monthly_revenue=[("2026-07", big / 3), ("2026-08", big / 3), ("2026-09", big / 3)])


def _measure(page: Path, width: int, tmp: Path) -> dict[str, Any]:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
         f"--user-data-dir={tmp / f'ud{width}'}", f"--window-size={width},3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="geometry">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stdout[-2000:]
    return json.loads(found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("layout")
    cards = [_card(n, name) for n, name in enumerate(NAMES)]
    html = render_scorecard_html("2026-Q3", "quarter", "USD", dt.datetime(2026, 10, 1, tzinfo=dt.UTC), cards)
    assert "<script" not in html
    page = tmp / "scorecard.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return {width: _measure(page, width, tmp) for width in (1280, 800)}


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (apt-get install -y chromium; .ci/run does)")
@pytest.mark.parametrize("width", [1280, 800])
def test_chart_labels_are_whole_inside_their_column(measured: dict[int, dict[str, Any]], width: int) -> None:
    geometry = measured[width]
    assert geometry["viewport"] == width
    labels = geometry["labels"]
    assert len(labels) >= 2 * len(NAMES)  # the revenue and commission charts at least
    for label in labels:
        assert label["left"] >= -0.5, f"clipped at the left edge at {width} px: {label}"
        assert label["right"] <= label["area"] + 0.5, f"runs into the bars at {width} px: {label}"
    assert any(label["text"].startswith("Maldonado, Gomez") for label in labels)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (apt-get install -y chromium; .ci/run does)")
@pytest.mark.parametrize("width", [1280, 800])
def test_no_card_overflows_and_the_page_fits(measured: dict[int, dict[str, Any]], width: int) -> None:
    geometry = measured[width]
    assert geometry["page"] <= width, f"the page scrolls sideways at {width} px"
    boxes = geometry["boxes"]
    assert any(box["what"] == "All partners" for box in boxes)
    for box in boxes:
        assert box["scroll"] <= box["client"], f"{box['what']!r} overflows its card at {width} px: {box}"
        assert box["right"] <= width, box
