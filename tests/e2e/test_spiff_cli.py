"""SPIFF lines through the CLI: `commissions calculate`, `list` (component column), `explain`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.store import Deal, Partner, open_store

PLAN = """
commissions:
  plans:
    - name: std
      currency: USD
      effective: {from: 2026-01-01}
      tier_rates: {gold: "10%"}
      spiffs:
        - {name: q4-cloud, from: 2026-10-01, to: 2027-01-01, when: {product_line: cloud}, rate: "2%", budget: "500"}
"""


def test_spiff_lines_are_listed_and_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(PLAN)
    with open_store(f"sqlite:///{tmp_path / 'prm.db'}", create=False) as store, store.session(write=True) as s:
        partner = Partner(name="Đông Á Cloud", tier="gold", status="active")
        s.add(partner)
        s.flush()
        for name, day in (("first", dt.date(2026, 10, 2)), ("second", dt.date(2026, 10, 3))):
            s.add(Deal(partner_id=partner.id, name=name, amount=Decimal("15000"), currency="USD", close_date=day,
                       is_won=True, is_closed=True, product_line="cloud"))
    capsys.readouterr()
    assert run(["commissions", "calculate"]) == 0
    assert "2 deals: 4 lines created" in capsys.readouterr().out
    assert run(["commissions", "list", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    spiffs = sorted((r["amount"], r["component"]) for r in rows if r["component"])
    # 2% of 15000 = 300.00 each; the 500.00 budget leaves 200.00 for the second deal
    assert spiffs == [("200.00", "spiff:q4-cloud"), ("300.00", "spiff:q4-cloud")]
    assert sorted(r["amount"] for r in rows if not r["component"]) == ["1500.00", "1500.00"]
    cut = next(r["id"] for r in rows if r["amount"] == "200.00")
    assert run(["commissions", "explain", cut]) == 0
    text = capsys.readouterr().out
    assert "SPIFF q4-cloud (plan std, USD)" in text and "budget exhausted: this deal gets 200.00 of 300.00 USD" in text
    assert run(["commissions", "calculate"]) == 0
    assert "0 lines created (0 clawbacks), 0 updated, 0 retired" in capsys.readouterr().out
