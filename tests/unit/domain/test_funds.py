"""MDF rules, hand-worked: allocations, reservations, claims, payment (prm_sync.domain.funds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.funds import (
    FundSettings,
    allocation_for,
    approve_claim,
    approve_request,
    claim_amount,
    expire_requests,
    money,
    partner_funds,
    pay_claim,
    reject_claim,
    reject_request,
    remaining,
)

AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
D = Decimal


@dataclass
class Req:
    id: str
    requested_amount: Decimal
    currency: str = "USD"
    partner_id: str = "p1"
    status: str = "submitted"
    approved_amount: Decimal | None = None
    planned_end: dt.date | None = dt.date(2026, 10, 31)


@dataclass
class Claim:
    id: str
    request_id: str
    amount: Decimal
    status: str = "submitted"
    paid_at: dt.datetime | None = None


def approve(req: Req, allocation: Decimal, all_requests: list[Req], amount: Decimal | None = None) -> None:
    approve_request(req, allocation=allocation, partner_requests=all_requests, actor="anna", at=AT, amount=amount,
                    partner="Ánh Dương")


def test_allocation_exhausted_by_the_third_request_names_the_remaining_amount() -> None:
    # allocation 10,000.00 USD: 4,000 + 3,500 approved leaves 2,500.00; the third asks for 3,000
    reqs = [Req("r1", D("4000")), Req("r2", D("3500")), Req("r3", D("3000"))]
    approve(reqs[0], D("10000"), reqs)
    approve(reqs[1], D("10000"), reqs)
    assert remaining(D("10000"), reqs) == D("2500")
    with pytest.raises(RuleViolation) as refused:
        approve(reqs[2], D("10000"), reqs)
    assert "only 2,500.00 USD of the allocation of 10,000.00 USD remains" in str(refused.value)
    assert "Ánh Dương" in str(refused.value)
    assert reqs[2].status == "submitted" and reqs[2].approved_amount is None  # nothing reserved
    # approving less than asked fits
    approve(reqs[2], D("10000"), reqs, amount=D("2500"))
    assert remaining(D("10000"), reqs) == D("0")


def test_approve_reject_expire_reservation_arithmetic() -> None:
    settings = FundSettings(expiry_days=30)
    a, b, c = Req("a", D("1000")), Req("b", D("2000")), Req("c", D("3000"))
    reqs = [a, b, c]
    allocation = D("5000")
    for r in reqs[:2]:
        approve(r, allocation, reqs)
    assert remaining(allocation, reqs) == D("2000")      # 5000 - 1000 - 2000
    entry = reject_request(b, [], actor="anna", at=AT, reason="duplicate")
    assert (entry.from_status, entry.to_status, entry.amount, entry.actor, entry.reason) == (
        "approved", "rejected", D("2000"), "anna", "duplicate")
    assert remaining(allocation, reqs) == D("4000")      # b's 2000 released
    approve(c, allocation, reqs)
    assert remaining(allocation, reqs) == D("1000")      # 5000 - 1000 - 3000
    # a: activity ended 2026-10-31, 30 days -> deadline 2026-11-30; c has a claim, so it stays
    claims = {"c": [Claim("k", "c", D("100"))]}
    assert expire_requests(reqs, claims, dt.date(2026, 11, 30), settings, AT) == []
    [expired] = expire_requests(reqs, claims, dt.date(2026, 12, 1), settings, AT)
    assert (expired.subject_id, expired.to_status, expired.amount) == ("a", "expired", D("1000"))
    assert "2026-11-30" in (expired.reason or "")
    assert a.status == "expired" and c.status == "approved"
    assert remaining(allocation, reqs) == D("2000")      # 5000 - 3000
    with pytest.raises(RuleViolation, match="only a submitted request can be approved"):
        approve(a, allocation, reqs)


def test_claim_above_approval_refused_and_capped() -> None:
    req = Req("r", D("1500"))
    approve(req, D("5000"), [req], amount=D("1200"))
    first = Claim("k1", "r", D("700"))
    with pytest.raises(RuleViolation) as refused:
        claim_amount(req, [first], D("600"), FundSettings(claim_over_approval="refuse"))
    assert "exceeds what remains of the approved 1,200.00 USD: 500.00 USD" in str(refused.value)
    amount, note = claim_amount(req, [first], D("600"), FundSettings(claim_over_approval="cap"))
    assert amount == D("500.00") and note is not None and "capped from 600.00 USD to 500.00 USD" in note
    assert claim_amount(req, [first], D("500"), FundSettings()) == (D("500.00"), None)
    # a rejected claim frees its part
    first.status = "rejected"
    assert claim_amount(req, [first], D("1200"), FundSettings()) == (D("1200.00"), None)
    # nothing left to cap to: refused even under cap
    full = Claim("k2", "r", D("1200"))
    with pytest.raises(RuleViolation, match="exceeds"):
        claim_amount(req, [full], D("1"), FundSettings(claim_over_approval="cap"))
    # no claim on a request that is not approved
    with pytest.raises(RuleViolation, match="claims need an approved request"):
        claim_amount(Req("s", D("10")), [], D("5"), FundSettings())


def test_multi_currency_budgets_keep_each_currency_decimals() -> None:
    settings = FundSettings(default_allocation={"gold": D("10000"), "silver": D("4000")})
    # the same partner has a USD and a JPY budget: separate allocations, separate arithmetic
    usd = allocation_for(None, "gold", settings, "USD")
    jpy = allocation_for(D("1500000"), "gold", settings, "JPY")
    assert (usd, jpy) == (D("10000.00"), D("1500000"))
    assert allocation_for(None, "registered", settings, "EUR") == D("0")   # no default for the tier
    r_usd = Req("u", money("9999.99", "USD"))
    r_jpy = Req("j", money("1500000", "JPY"), currency="JPY")
    approve(r_usd, usd, [r_usd])
    approve(r_jpy, jpy, [r_jpy])
    assert remaining(usd, [r_usd]) == D("0.01")
    assert remaining(jpy, [r_jpy]) == D("0")
    with pytest.raises(RuleViolation, match=r"more decimals than JPY allows \(0\)"):
        money("10.5", "JPY")
    with pytest.raises(RuleViolation, match=r"more decimals than USD allows \(2\)"):
        money("10.005", "USD")
    assert money("3", "BHD") == D("3.000") and str(money("3", "BHD")) == "3.000"


def test_payment_exactly_once_marks_claim_and_request() -> None:
    req = Req("r", D("1000"))
    approve(req, D("5000"), [req])
    k1, k2 = Claim("k1", "r", D("600")), Claim("k2", "r", D("400"))
    claims = [k1, k2]
    approve_claim(k1, req, claims, actor="finance", at=AT)
    assert req.status == "approved"                      # 600 of 1000 approved: not covered yet
    entries = approve_claim(k2, req, claims, actor="finance", at=AT)
    assert [(e.subject, e.to_status) for e in entries] == [("fund_claim", "approved"), ("fund_request", "claimed")]
    assert req.status == "claimed"
    pay_claim(k1, req, claims, actor="finance", at=AT)
    assert (k1.status, k1.paid_at, req.status) == ("paid", AT, "claimed")   # 600 of 1000 paid
    with pytest.raises(RuleViolation, match="already paid on 2026-10-01"):
        pay_claim(k1, req, claims, actor="finance", at=AT)
    entries = pay_claim(k2, req, claims, actor="finance", at=AT)
    assert [(e.subject, e.from_status, e.to_status) for e in entries] == [
        ("fund_claim", "approved", "paid"), ("fund_request", "claimed", "paid")]
    assert req.status == "paid"
    figures = partner_funds(D("5000"), [req], claims)
    assert (figures.reserved, figures.claimed, figures.paid, figures.remaining) == (
        D("1000"), D("1000"), D("1000"), D("4000"))
    # a submitted claim is not paid; a rejected one cannot be approved
    k3 = Claim("k3", "r", D("1"))
    with pytest.raises(RuleViolation, match="only an approved claim can be paid"):
        pay_claim(k3, req, [*claims, k3], actor="finance", at=AT)
    reject_claim(k3, actor="finance", at=AT, reason="no proof")
    with pytest.raises(RuleViolation, match="only a submitted claim"):
        approve_claim(k3, req, [*claims, k3], actor="finance", at=AT)


def test_rejecting_an_approved_request_with_claims_is_refused() -> None:
    req = Req("r", D("100"))
    approve(req, D("100"), [req])
    with pytest.raises(RuleViolation, match="has claims"):
        reject_request(req, [Claim("k", "r", D("50"))], actor="anna", at=AT)
    assert req.status == "approved"
