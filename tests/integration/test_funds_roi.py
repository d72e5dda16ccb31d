"""The MDF report's ROI on a demo-sized book, figures worked by hand (SQLite and PostgreSQL).

Ánh Dương (gold) has a 2026-Q4 USD allocation of 10,000.00 (the gold default). Two requests:
  R1 webinar: approved 4,000.00, claims 2,500.00 + 1,500.00 paid          -> paid 4,000.00
  R2 event:   approved 3,000.00, claim 1,000.00 approved (not paid)      -> paid 0
Registrations credited to R1: L1, L2, L3 (3 leads); to R2: L4 (1 lead).
Deals: D1 won 30,000.00 from L1 (through the registration), D2 open 12,000.00 from L2,
D3 won 6,000.00 naming R1 directly (the CRM field), D4 lost 9,000.00 from L3 (neither), D5 won
50,000.00 of the same partner with no request (not credited), D6 open 8,000.00 from L4.
R1: leads 3, pipeline 12,000.00, won 36,000.00, paid 4,000.00 -> 9.00 per unit paid.
R2: leads 1, pipeline 8,000.00, won 0, paid 0 -> no ratio.
Partner: reserved 7,000.00, claimed 5,000.00 (2,500 + 1,500 + 1,000), paid 4,000.00, remaining 3,000.00,
leads 4, pipeline 20,000.00, won 36,000.00 -> 9.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.domain.funds import FundSettings
from prm_sync.services.funds import build_report
from prm_sync.store import Deal, FundBudget, FundClaim, FundRequest, Partner, Registration, Store

D = Decimal


def test_roi_per_request_and_partner(store: Store) -> None:
    settings = FundSettings(default_allocation={"gold": D("10000")})
    with store.session(write=True) as s:
        p = Partner(name="Công ty Ánh Dương", tier="gold", status="active")
        other = Partner(name="Müller Systemhaus", tier="silver", status="active")
        s.add_all([p, other])
        s.flush()
        s.add(FundBudget(period="2026-Q4", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 1, 1),
                         currency="USD", total=D("100000")))
        r1 = FundRequest(partner_id=p.id, period="2026-Q4", activity_type="webinar", requested_amount=D("4000"),
                         approved_amount=D("4000"), currency="USD", status="paid")
        r2 = FundRequest(partner_id=p.id, period="2026-Q4", activity_type="event", requested_amount=D("3000"),
                         approved_amount=D("3000"), currency="USD", status="approved")
        s.add_all([r1, r2])
        s.flush()
        s.add_all([FundClaim(request_id=r1.id, partner_id=p.id, amount=D("2500"), status="paid"),
                   FundClaim(request_id=r1.id, partner_id=p.id, amount=D("1500"), status="paid"),
                   FundClaim(request_id=r2.id, partner_id=p.id, amount=D("1000"), status="approved")])
        regs = [Registration(partner_id=p.id, company=f"Khách hàng {i}", fund_request_id=rid)
                for i, rid in enumerate((r1.id, r1.id, r1.id, r2.id), start=1)]
        s.add_all(regs)
        s.flush()
        deal = {"partner_id": p.id, "currency": "USD"}
        s.add_all([
            Deal(name="D1", amount=D("30000"), is_won=True, is_closed=True, registration_id=regs[0].id, **deal),
            Deal(name="D2", amount=D("12000"), registration_id=regs[1].id, **deal),
            Deal(name="D3", amount=D("6000"), is_won=True, is_closed=True, fund_request_id=r1.id, **deal),
            Deal(name="D4", amount=D("9000"), is_closed=True, registration_id=regs[2].id, **deal),
            Deal(name="D5", amount=D("50000"), is_won=True, is_closed=True, **deal),
            Deal(name="D6", amount=D("8000"), registration_id=regs[3].id, **deal),
        ])
        ids = (r1.id, r2.id)
    with store.session() as s:
        report = build_report(s, settings, "2026-Q4")
    by_request = {r["request"]: r for r in report.requests}
    one, two = by_request[ids[0]], by_request[ids[1]]
    assert (one["leads"], one["pipeline"], one["won_revenue"], one["paid"], one["revenue_per_paid"]) == (
        3, D("12000"), D("36000"), D("4000"), D("9.00"))
    assert (two["leads"], two["pipeline"], two["won_revenue"], two["paid"], two["revenue_per_paid"]) == (
        1, D("8000"), D("0"), D("0"), None)
    [row] = report.partners   # Müller: silver has no default allocation and no requests: not listed
    assert row["partner"] == "Công ty Ánh Dương"
    assert (row["allocation"], row["reserved"], row["claimed"], row["paid"], row["remaining"]) == (
        D("10000.00"), D("7000"), D("5000"), D("4000"), D("3000.00"))
    assert (row["requests"], row["leads"], row["pipeline"], row["won_revenue"], row["revenue_per_paid"]) == (
        2, 4, D("20000"), D("36000"), D("9.00"))
    [tier] = report.tiers
    assert (tier["tier"], tier["partners"], tier["paid"], tier["won_revenue"], tier["revenue_per_paid"]) == (
        "gold", 1, D("4000"), D("36000"), D("9.00"))
