"""A won deal -> commission calculated -> pushed -> marked paid in the CRM -> pulled back as paid, on both CRMs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sync_world import World, open_world

PLAN = {"commissions": {"plans": [{
    "name": "standard-2026", "currency": "USD", "effective": {"from": "2026-01-01"},
    "tier_rates": {"registered": "5%", "silver": "8%", "gold": "10%", "platinum": "12%"},
}]}}
PAID = {"salesforce": ("Status__c", "Paid"), "hubspot": ("status", "paid")}


@pytest.fixture(params=["hubspot", "salesforce"])
def world(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, sqlite_url, tmp_path, capsys, monkeypatch) as w:
        w.extra_config = PLAN
        w.write_config()
        yield w


def seed_won_deal(world: World) -> tuple[str, str]:
    h = world.harness
    if world.crm == "salesforce":
        [partner] = h.seed("partner", 1, Partner_Tier__c="Gold")
        [deal] = h.seed("deal", 1, Partner_Account__c=partner, StageName="Closed Won", Amount=12345.67,
                        CloseDate="2026-11-20", CurrencyIsoCode="USD")
    else:
        [partner] = h.seed("partner", 1, prm_partner_tier="gold")
        [deal] = h.seed("deal", 1, dealstage="closedwon", amount="12345.67", closedate="2026-11-20T00:00:00Z",
                        deal_currency_code="USD")
        h.link("deal", deal, "partner", partner)
    return partner, deal


def test_won_deal_commission_is_pushed_paid_in_crm_and_pulled_back(world: World) -> None:
    _partner, deal_crm_id = seed_won_deal(world)
    assert world.sync()["exit"] == 0
    [deal] = world.store_rows("deal")
    assert deal["is_won"] is True and str(deal["amount"]) == "12345.67"

    code, out, err = world.cli("commissions", "calculate", "--period", "2026-Q4")
    assert code == 0, out + err
    [line] = world.store_rows("commission")
    assert str(line["amount"]) == "1234.57" and line["status"] == "calculated"  # 10 % of 12,345.67, half up

    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["commission"]["crm"]["create"] == 1
    crm_id = world.links("commission")[line["id"]].crm_id
    record = world.harness.crm_record("commission", crm_id)
    if world.crm == "salesforce":
        assert record["Opportunity__c"] == deal_crm_id and str(record["Amount__c"]) in ("1234.57",)
    else:
        assert record["amount"] == "1234.57"
        emulator = world.harness.emulator
        with emulator.lock:
            commission_type = emulator.schema.object_types["partner_commissions"].name
            assert int(deal_crm_id) in emulator.associations.targets(commission_type, int(crm_id), "deals")

    field, value = PAID[world.crm]
    world.harness.modify("commission", crm_id, field, value)  # finance marks it paid in the CRM
    report = world.sync()
    assert report["exit"] == 0, report
    [line] = world.store_rows("commission")
    assert line["status"] == "paid"
    code, out, _ = world.cli("commissions", "calculate", "--period", "2026-Q4")
    assert code == 0
    assert [r["status"] for r in world.store_rows("commission")] == ["paid"]  # recalculating changes nothing
    assert json.loads(world.cli("status", "--format", "json")[1])["entities"]["commission"]["pending_pushes"] == 0
