"""`report scorecard --periods N [--by ...]` as a user runs it: trends with direction, roll-ups, open
pipeline beside won revenue, and the HTML trend page (rendered in headless Chromium)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import Deal, Partner, Registration, open_store

CHROMIUM = shutil.which("chromium")
PLAN = """
commissions:
  fx: {EUR: "1.25"}
  plans: [{name: p, currency: USD, effective: {from: 2020-01-01}, tier_rates: {gold: "10%", silver: "8%"}}]
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(PLAN)
    capsys.readouterr()
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}", create=False) as store, store.session(write=True) as s:
        acme = Partner(name="Acme", tier="gold", channel_manager="jane@example.com", territories="US,EMEA")
        hai = Partner(name="Hải Phòng Tech", tier="silver", channel_manager="jane@example.com", territories="APAC")
        s.add_all([acme, hai])
        s.flush()
        won = [(acme.id, "2026-01-15", "100", "USD"), (acme.id, "2026-04-15", "200", "USD"),
               (acme.id, "2026-07-15", "300", "USD"), (acme.id, "2026-10-15", "250", "USD"),
               (hai.id, "2026-10-20", "80", "EUR")]                     # 80 EUR = 100.00 USD
        for i, (pid, day, amount, currency) in enumerate(won):
            s.add(Deal(partner_id=pid, name=f"won {i}", amount=Decimal(amount), currency=currency,
                       close_date=dt.date.fromisoformat(day), is_won=True, is_closed=True))
        s.add(Deal(partner_id=acme.id, name="open", amount=Decimal("1000"), currency="USD",
                   close_date=dt.date(2026, 11, 30)))                  # open: pipeline of Q4
        s.add(Registration(partner_id=hai.id, company="Khách hàng", status="approved", estimated_value=Decimal(40),
                           currency="EUR", expected_close=dt.date(2026, 12, 1)))   # 50.00 USD of pipeline
    return tmp_path


def test_trend_per_partner_with_direction_and_pipeline(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--periods", "4", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] and report["currency"] == "USD"
    rows = {(r["name"], r["figure"]): r for r in report["rows"]}
    acme = rows[("Acme", "revenue")]
    assert acme["values"] == {"2026-Q1": "100.00", "2026-Q2": "200.00", "2026-Q3": "300.00", "2026-Q4": "250.00"}
    assert acme["direction"] == "down"
    assert rows[("Acme", "open_pipeline")]["values"]["2026-Q4"] == "1000.00"
    assert rows[("Hải Phòng Tech", "revenue")]["direction"] == "up"
    assert rows[("Hải Phòng Tech", "open_pipeline")]["values"]["2026-Q4"] == "50.00"
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--periods", "2", "--format", "csv")
    lines = list(csv.DictReader(io.StringIO(out)))
    assert lines[0] == {"name": "Acme", "figure": "revenue", "2026-Q3": "300.00", "2026-Q4": "250.00",
                        "direction": "down"}
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--periods", "2")
    assert code == 0 and "Partner scorecard trend 2026-Q3 – 2026-Q4 (USD)" in out and "Hải Phòng Tech" in out


def test_roll_ups(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--periods", "2", "--by",
                       "channel_manager", "--format", "json")
    rows = {(r["name"], r["figure"]): r for r in json.loads(out)["rows"]}
    # Q3: Acme 300; Q4: Acme 250 + Hải 100.00 = 350.00 -> up
    assert rows[("jane@example.com", "revenue")]["values"] == {"2026-Q3": "300.00", "2026-Q4": "350.00"}
    assert rows[("jane@example.com", "revenue")]["direction"] == "up"
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--by", "territory", "--format", "csv")
    assert code == 0
    by = {r["partner"]: r for r in csv.DictReader(io.StringIO(out))}
    assert {k: v["revenue"] for k, v in by.items()} == {"EMEA": "250.00", "US": "250.00", "APAC": "100.00"}
    assert by["US"]["open_pipeline"] == "1000.00"


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (apt-get install -y chromium; .ci/run does)")
def test_html_trend_page_renders(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    page = workdir / "trend.html"
    code, _, err = cli(capsys, "report", "scorecard", "--period", "2026-Q4", "--periods", "4", "--by", "tier",
                       "--format", "html", "--out", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html)) == {"http://www.w3.org/2000/svg"}
    run_ = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={workdir / 'ud'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=90)
    assert run_.returncode == 0, run_.stderr[-2000:]
    dom = run_.stdout
    assert dom.count("<svg") == 2                               # one chart per roll-up group: gold, silver
    assert dom.count('class="trend"') >= 2                      # revenue lines drawn across the periods
    assert "Partner scorecard trend 2026-Q1 – 2026-Q4" in dom and "by tier" in dom
