"""The two-way scenario the crash and fault tests run: work waiting on both sides.

After a baseline sync, the "run under test" has to:
- pull several pages (hundreds of CRM records edited in bulk), CRM-created partners and leads
  that have no PRM id yet (so it writes keys back by CRM id), a CRM edit and a CRM deletion;
- push more than one engine batch (1,000 rows) of PRM-created partners, split by the connector
  into several API calls, PRM-created registrations and commission lines, a PRM edit and a PRM
  deletion.
Everything is seeded: two worlds built with the same arguments hold the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select

from prm_sync.store import CommissionLine, Deal, Link, Partner, Registration
from tests.reliability.crm_side import crm_user
from tests.reliability.world import Snapshot, World, start_world

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Size:
    generated: int = 200         # CRM partners generated (plus their leads and deals)
    sf_page_size: int = 100      # Salesforce query page (HubSpot search pages are 200)
    crm_new_partners: int = 12   # created in the CRM without a PRM id
    crm_new_leads: int = 6
    crm_touched: int = 450       # leads edited in bulk in the CRM: several pages to pull
    prm_new_partners: int = 1050 # more than one push batch
    prm_new_registrations: int = 40
    prm_new_commissions: int = 15


def build_scenario(crm: str, workdir: Path, size: Size = Size(), seed: int = 0) -> tuple[World, Snapshot]:
    """A world ready for the run under test, and its snapshot."""
    world = start_world(crm, workdir, generate=size.generated, seed=seed, sf_page_size=size.sf_page_size)
    user = crm_user(world.sandbox)
    rng = random.Random(seed)
    for i in range(3):  # some CRM-created records before the baseline too
        user.create_partner(f"Early CRM Partner {i}", "Silver")
    world.sync_until_quiet()

    # ----- CRM side ------------------------------------------------------------------------
    new_partners = [user.create_partner(f"CRM Partner {i:03d}", "Gold") for i in range(size.crm_new_partners)]
    for i in range(size.crm_new_leads):
        user.create_lead(new_partners[i % len(new_partners)], f"CRM Customer {i:03d}", f"Buyer{i}")
    leads = user.ids("lead")
    touched = sorted(rng.sample(leads, min(size.crm_touched, len(leads))))
    user.touch("lead", touched, {"Products__c": "Edge Gateway"} if crm == "salesforce"
               else {"prm_products": "Edge Gateway"})
    old_partners = user.ids("partner")
    edited, deleted = old_partners[0], old_partners[1]
    user.edit("partner", edited, {"Phone": "+1 555 0100"} if crm == "salesforce" else {"phone": "+1 555 0100"})
    user.delete("partner", deleted)

    # ----- PRM side ------------------------------------------------------------------------
    with world.store() as store, store.session(write=True) as s:
        for i in range(size.prm_new_partners):
            s.add(Partner(id=f"prm-partner-{i:05d}", name=f"PRM Partner {i:05d}", tier=rng.choice(
                ["registered", "silver", "gold", "platinum"]), status="active", website=f"https://p{i}.example"))
        s.flush()
        for i in range(size.prm_new_registrations):
            s.add(Registration(id=f"prm-reg-{i:04d}", partner_id=f"prm-partner-{i % 50:05d}",
                               company=f"PRM Customer {i:04d}", contact_last_name=f"Contact{i}",
                               estimated_value=Decimal(1000 + i) + Decimal("0.25"), currency="USD",
                               expected_close=dt.date(2027, 1, 1) + dt.timedelta(days=i), status="submitted"))
        linked = s.exec(select(Link.prm_id).where(Link.entity == "partner", col(Link.crm_id).is_not(None))
                        .order_by(Link.crm_id)).all()
        crm_side_partner_ids = [p for p in linked if not p.startswith("prm-")]
        edited_prm = s.get(Partner, crm_side_partner_ids[5])
        assert edited_prm is not None
        edited_prm.territories = "VN;JP"
        s.add(edited_prm)
        deals = s.exec(select(Deal).where(col(Deal.deleted_at).is_(None)).order_by(Deal.name, Deal.id)).all()
        for i, deal in enumerate(deals[:size.prm_new_commissions]):
            s.add(CommissionLine(id=f"prm-commission-{i:04d}", deal_id=deal.id, partner_id=deal.partner_id,
                                 amount=Decimal(100 + i) / 4, currency="USD", status="calculated",
                                 period="2026-Q4", explanation=f"line {i}", calculated_at=T0))
    with world.store() as store, store.session(write=True) as s:  # a PRM deletion of a synced partner
        gone = s.get(Partner, crm_side_partner_ids[7])
        assert gone is not None
        gone.deleted_at, gone.deleted_reason = T0, "closed in the PRM"
        s.add(gone)
    return world, world.snapshot()
