"""`make demo` runs `prm-sync demo`: offline, both CRMs, both directions visibly used."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.cli.main import run


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_demo_runs_offline_end_to_end(crm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL", "SF_INSTANCE_URL", "SF_SESSION_ID"):
        monkeypatch.delenv(name, raising=False)
    code = run(["demo", "--crm", crm, "--records", "30", "--dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "$ prm-sync sync" in out
    assert "was created in the PRM" in out and "is now CRM record" in out  # pushed
    assert "partner" in out and " 30 " in out  # the CRM's 30 partners were pulled
    assert (tmp_path / "prm.db").exists()
    # a tier review (with its reasons), applied with history, then a four-quarter trend
    assert "$ prm-sync partners review-tiers --partner 'Acme Channel Partners'" in out
    assert "Tier review as of" in out and "won revenue in 12 months" in out
    assert "tier history:" in out and "tier review as of" in out
    assert "Score" in out     # the demo program's partner score (platinum needs min_score 60)
    assert "Partner scorecard trend" in out and "open pipeline" in out
    # market development funds: request approved, claimed, paid, credited with a lead, synced, reported
    assert "$ prm-sync funds report --period" in out and "Market development funds" in out
    assert "Fund requests" in out and "ROI" in out
    # ROI on the demo's own data, worked by hand: the webinar request was approved for 5,000.00 and
    # paid 4,800.00; it produced 1 registration (the lead registered with --fund-request) and, in the
    # CRM, a deal closed won for 36,000 USD naming the request: 36,000 / 4,800 = 7.50 per unit of funds
    assert "is closed won" in out
    quarter = out.split("$ prm-sync funds report --period ", 1)[1].split()[0]
    assert run(["--config", str(tmp_path / "config.yaml"), "funds", "report", "--period", quarter,
                "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (request,) = report["requests"]
    assert (request["partner"], request["approved"], request["paid"], request["leads"]) == (
        "Acme Channel Partners", "5000.00", "4800.00", 1)
    assert Decimal(request["won_revenue"]) == Decimal("36000") and request["revenue_per_paid"] == "7.50"
    # money shown with its currency's decimals, whatever form the CRM sent the deal's amount in
    assert (request["won_revenue"], request["pipeline"]) == ("36000.00", "0.00")
    (partner,) = [row for row in report["partners"] if row["partner"] == "Acme Channel Partners"]
    assert (partner["won_revenue"], partner["pipeline"]) == ("36000.00", "0.00")
    assert all(row[name].endswith(".00") for row in report["partners"] + report["tiers"]
               for name in ("allocation", "reserved", "claimed", "paid", "remaining"))
