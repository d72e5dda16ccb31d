"""The HTML scorecard opened in headless Chromium: it renders its charts, logs nothing, loads nothing.

Also drives the commission commands the way a channel manager would before a QBR:
calculate, approve, pay, export, then `report scorecard --format html`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import Deal, Partner, Registration, open_store

CHROMIUM = shutil.which("chromium")
COMMISSIONS = """
commissions:
  rounding: half_up
  decimals: {default: 2, JPY: 0, VND: 0}
  fx: {EUR: "1.10"}
  plans:
    - name: standard-2026
      currency: USD
      effective: {from: 2026-01-01}
      tier_rates: {registered: "5%", silver: "8%", gold: "10%", platinum: "12%"}
      registration_bonus: "2%"
      accelerator: {period: quarter, quota: 200000, multiplier: "1.5"}
"""
PARTNERS = [("Acme Channel", "gold"), ("Müller & Söhne <GmbH>", "silver"), ("Nguyễn Tech JSC", "registered"),
            ("Blue Ocean Partners", "platinum"), ("Sierra \"Quoted\" Ltd", "silver")]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert cli(capsys, "init", "--crm", "hubspot", ".")[0] == 0
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as config:
        config.write(COMMISSIONS)
    seed(f"sqlite:///{tmp_path / 'prm.db'}")
    return tmp_path


def seed(url: str) -> None:
    created = dt.datetime(2026, 6, 20, tzinfo=dt.UTC)
    with open_store(url, create=False) as store, store.session(write=True) as s:
        for n, (name, tier) in enumerate(PARTNERS):
            partner = Partner(name=name, tier=tier, status="active")
            s.add(partner)
            s.flush()
            for r in range(3 + n):
                status = ("approved", "rejected", "submitted", "converted")[r % 4]
                reg = Registration(partner_id=partner.id, company=f"Customer {n}-{r}", status=status,
                                   created_at=created + dt.timedelta(days=12 + r * 9),
                                   conflict_reason="same_customer" if r == 1 else None)
                s.add(reg)
                s.flush()
                won = r % 4 != 1
                s.add(Deal(partner_id=partner.id, name=f"Deal {n}-{r}", registration_id=reg.id if won else None,
                           amount=Decimal(25000 * (n + 1) + 7300 * r) + Decimal("0.50"),
                           currency="EUR" if r == 2 else "USD", stage="Closed Won" if won else "Closed Lost",
                           close_date=dt.date(2026, 7 + r % 3, 3 + n * 4), is_won=won, is_closed=True))


def test_commission_commands_and_payout_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "commissions", "calculate", "--period", "2026-Q3")
    assert code == 0, err
    assert re.search(r"\d+ deals: \d+ lines created \(0 clawbacks\), 0 updated, 0 retired", out)
    code, out, _ = cli(capsys, "commissions", "calculate")
    assert "0 lines created (0 clawbacks), 0 updated, 0 retired" in out
    code, out, _ = cli(capsys, "commissions", "list", "--period", "2026-Q3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["status"] == "calculated" and r["period"] == "2026-Q3" for r in rows)
    first, second = rows[0]["id"], rows[1]["id"]
    code, out, _ = cli(capsys, "commissions", "explain", first[:8])
    assert code == 0 and "Plan: standard-2026" in out and "Rounded once (half_up" in out
    assert cli(capsys, "commissions", "pay", first)[0] == 2  # not approved yet
    assert cli(capsys, "commissions", "approve", first, second)[0] == 0
    assert cli(capsys, "commissions", "pay", first)[0] == 0
    code, out, _ = cli(capsys, "commissions", "export", "--period", "2026-Q3")
    payout = list(csv.DictReader(io.StringIO(out)))
    assert [r["line_id"] for r in payout] == [second]
    assert payout[0]["amount"] == rows[1]["amount"] and re.fullmatch(r"-?\d+\.\d{2}", payout[0]["amount"])
    code, out, err = cli(capsys, "commissions", "export", "--period", "2026-Q5")
    assert code == 2 and "use 2026-Q3" in err


def test_scorecard_formats(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "commissions", "calculate")[0] == 0
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(PARTNERS)
    assert {r["partner"] for r in rows} == {name for name, _ in PARTNERS}
    assert all(Decimal(r["revenue"]) > 0 and Decimal(r["commission_earned"]) > 0 for r in rows)
    code, out, _ = cli(capsys, "report", "scorecard", "--period", "2026-Q3")
    assert code == 0 and "Partner scorecard 2026-Q3 (USD)" in out


def _chromium(*args: str, tmp: Path) -> subprocess.Popen[str]:
    assert CHROMIUM is not None
    return subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp}", "--enable-logging=stderr", "--v=0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (apt-get install -y chromium; .ci/run does)")
def test_html_scorecard_renders_in_headless_chromium(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "commissions", "calculate")[0] == 0
    out = cli(capsys, "commissions", "list", "--format", "csv")[1]
    some = [r["id"] for r in csv.DictReader(io.StringIO(out))][::2]
    assert cli(capsys, "commissions", "approve", *some)[0] == 0 and cli(capsys, "commissions", "pay", *some)[0] == 0
    page = workdir / "scorecard.html"
    code, _, err = cli(capsys, "report", "scorecard", "--period", "2026-Q3", "--format", "html", "--out", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    # self-contained: no script, no external reference (the SVG namespace is the only URL)
    assert "<script" not in html.lower()
    assert set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "Müller &amp; Söhne &lt;GmbH&gt;" in html and "<GmbH>" not in html
    canary = workdir / "canary.html"  # proves the console check below can fail
    canary.write_text("<!DOCTYPE html><body><script>console.error('canary-error')</script></body>")
    shot = workdir / "scorecard.png"
    runs = [_chromium("--dump-dom", page.as_uri(), tmp=workdir / "ud1"),
            _chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri(), tmp=workdir / "ud2"),
            _chromium("--dump-dom", canary.as_uri(), tmp=workdir / "ud3")]
    (dom, dom_err), (_, shot_err), (_, canary_err) = (r.communicate(timeout=60) for r in runs)
    assert all(r.returncode == 0 for r in runs), (dom_err[-2000:], shot_err[-2000:])
    assert any("canary-error" in line for line in _console_lines(canary_err))
    assert _console_lines(dom_err) == [] and _console_lines(shot_err) == []
    assert dom.count("<svg") == 4
    assert len(re.findall(r'<rect class="bar"', dom)) >= 3 * len(PARTNERS)
    assert "Partner scorecard 2026-Q3" in dom and "Nguyễn Tech JSC" in dom
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
