"""Tier and discount round trip, both CRMs (real SDKs against the emulators), through the CLI:
review-tiers --apply -> sync -> the CRM shows the tier and the discount; a tier edited in the CRM
comes back with a history row, and its discount goes out in the same run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.store import Certification, Deal, Partner, PartnerTierChange, open_store
from tests.e2e.sync_world import World, open_world

DISCOUNT_FIELD = {"salesforce": "Partner_Discount__c", "hubspot": "prm_partner_discount"}
CERTS_FIELD = {"salesforce": "Valid_Certifications__c", "hubspot": "prm_valid_certifications"}
PROGRAM = {
    "program": {
        "currency": "USD", "grace_days": 0, "crm_tier_pin_days": 30,
        "tiers": [{"name": "registered"}, {"name": "silver", "requires": {"revenue": 250000, "won_deals": 2}},
                  {"name": "gold", "requires": {"revenue": 1000000, "won_deals": 2,
                                                "certifications": {"sales-pro": 1}}}],
        "certifications": [{"id": "sales-pro", "name": "Sales Professional", "validity_months": 24}],
        "discounts": {"registered": "0%", "silver": "12.5%", "gold": "20%"},
    },
}


@pytest.fixture(params=["hubspot", "salesforce"])
def world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        w.extra_config = PROGRAM
        w.write_config()
        yield w


def crm_number(world: World, crm_id: str, field: str) -> Decimal | None:
    value = world.harness.crm_record("partner", crm_id).get(field)
    return None if value in (None, "") else Decimal(str(value))


def test_review_apply_then_sync_then_a_crm_tier_edit_comes_back(world: World) -> None:
    code, out, err = world.cli("partners", "add", "Ōkubo & Søn Partners", "--status", "active")
    assert code == 0, err
    partner_id = out.split()[2]
    today = dt.datetime.now(dt.UTC).date()
    with open_store(world.store_url, create=False) as store, store.session(write=True) as session:
        for i, amount in enumerate(("600000", "400000")):
            session.add(Deal(partner_id=partner_id, name=f"won {i}", amount=Decimal(amount), currency="USD",
                             close_date=today - dt.timedelta(days=10 + i), is_won=True, is_closed=True))
        session.add(Certification(partner_id=partner_id, name="Sales Professional", catalogue_id="sales-pro",
                                  holder="Anna Ōkubo", earned_on=today - dt.timedelta(days=30),
                                  expires_on=today + dt.timedelta(days=300)))
    first = world.sync("--entity", "partner")
    assert first["exit"] == 0, first
    crm_id = world.links("partner")[partner_id].crm_id
    assert crm_id is not None and world.crm_tier(crm_id) == "registered"
    assert crm_number(world, crm_id, CERTS_FIELD[world.crm]) == 1   # one valid certification

    code, _, err = world.cli("partners", "review-tiers", "--as-of", today.isoformat(), "--apply", "--yes")
    assert code == 0 and "1 tier(s) changed" in err, err
    report = world.sync("--entity", "partner")
    assert report["exit"] == 0 and report["counts"]["partner"]["crm"]["update"] == 1, report
    assert world.crm_tier(crm_id) == "gold"
    assert crm_number(world, crm_id, DISCOUNT_FIELD[world.crm]) == Decimal(20)

    world.set_crm_tier(crm_id, "silver")   # a channel manager edits the tier in the CRM
    report = world.sync("--entity", "partner")
    assert report["exit"] == 0, report
    with open_store(world.store_url, create=False) as store, store.session() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None and (partner.tier, partner.discount_percent) == ("silver", Decimal("12.50"))
        pinned = partner.tier_pinned_until
        history = [(h.from_tier, h.to_tier, h.from_discount, h.to_discount, h.actor, h.reason)
                   for h in session.exec(select(PartnerTierChange).order_by(PartnerTierChange.id))]
    assert history[0][:4] == ("registered", "gold", Decimal("0.00"), Decimal("20.00"))
    # the CRM's edit is pinned for program.crm_tier_pin_days: a review leaves it alone
    assert pinned is not None and today + dt.timedelta(days=29) <= pinned <= today + dt.timedelta(days=31)
    assert history[1:] == [("gold", "silver", Decimal("20.00"), Decimal("12.50"), "crm",
                            f"set in the CRM (pinned until {pinned})")]
    code, out, err = world.cli("partners", "review-tiers", "--format", "json")
    assert code == 0 and '"action": "pinned"' in out, err
    assert world.crm_tier(crm_id) == "silver"
    assert crm_number(world, crm_id, DISCOUNT_FIELD[world.crm]) == Decimal("12.5")
    again = world.sync("--entity", "partner")
    assert again["exit"] == 0 and again["counts"] == {}, again
