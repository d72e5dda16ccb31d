"""Market development funds (MDF): budgets, allocations, requests and claims. Pure rules, no I/O.

The flow: a budget (period, currency, total) gives each partner an allocation, set directly or
defaulted from the partner's tier at the start of the period. A partner asks for funds before
the activity (a request: submitted, then approved or rejected). Approval RESERVES the approved
amount against the allocation (refused beyond what remains: the message names the remainder);
rejection and expiry (nothing claimed N days after the activity end) release it. After the
activity the partner claims (a claim: submitted, then approved or rejected; approved, then paid).
Claims of a request never exceed its approved amount (refused, or capped per config). When its
approved claims cover the approved amount the request is `claimed`; when those claims are paid it
is `paid`. A claim is paid exactly once. Every state change yields a history entry (who, when,
why) that the service layer stores.

The functions take any objects with the attributes of `RequestLike` / `ClaimLike` (the store
rows, or the plain dataclasses of the tests) and change them in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, Protocol

from prm_sync.domain.currencies import minor_units
from prm_sync.domain.errors import RuleViolation

#: request states whose approved amount is reserved against the allocation
COMMITTED: frozenset[str] = frozenset({"approved", "claimed", "paid"})
#: claim states that count against the request's approved amount
LIVE_CLAIMS: frozenset[str] = frozenset({"submitted", "approved", "paid"})
ZERO = Decimal(0)

ClaimOverApproval = Literal["refuse", "cap"]


@dataclass(frozen=True)
class FundSettings:
    """The `funds:` config section, as the rules need it."""

    expiry_days: int = 30
    claim_over_approval: ClaimOverApproval = "refuse"
    default_allocation: Mapping[str, Decimal] = field(default_factory=dict)  # tier -> amount (budget currency)


class RequestLike(Protocol):
    id: str
    partner_id: str
    status: str
    requested_amount: Decimal
    approved_amount: Decimal | None
    currency: str
    planned_end: dt.date | None


class ClaimLike(Protocol):
    id: str
    request_id: str
    status: str
    amount: Decimal
    paid_at: dt.datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    """One state change: which record, from/to, the amount concerned, who, why and when."""

    subject: Literal["fund_request", "fund_claim"]
    subject_id: str
    from_status: str | None
    to_status: str
    amount: Decimal | None
    actor: str
    reason: str | None
    at: dt.datetime


def money(amount: Decimal | str | int, currency: str) -> Decimal:
    """`amount` as money of `currency`: positive, with no more decimals than the currency has
    (JPY 0, USD 2, BHD 3); shown with exactly those decimals. Refused otherwise (never rounded
    silently: 10.005 USD is a typo, not a request for 10.01)."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise RuleViolation(f"'{amount}' is not an amount (e.g. 2500 or 2500.50)") from None
    if not value.is_finite():
        raise RuleViolation(f"'{amount}' is not an amount (e.g. 2500 or 2500.50)")
    places = minor_units(currency)
    exponent = Decimal(1).scaleb(-places)
    rounded = value.quantize(exponent, rounding=ROUND_HALF_UP)
    if rounded != value:
        raise RuleViolation(f"{amount} has more decimals than {currency} allows ({places})")
    if rounded < 0:
        raise RuleViolation(f"an amount cannot be negative: {amount}")
    return rounded


def in_units(amount: Decimal, currency: str) -> Decimal:
    """A computed amount (a sum of CRM deal amounts, which come as 36000, 36000.0 or 36000.00) with
    exactly the currency's decimals, rounded half-even, for reports."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def show(amount: Decimal, currency: str) -> str:
    """`1,234.50 USD` with the currency's decimals."""
    return f"{in_units(amount, currency):,} {currency}"


def allocation_for(explicit: Decimal | None, tier_at_start: str | None, settings: FundSettings,
                   currency: str) -> Decimal:
    """A partner's allocation in a budget: the one set directly, else the default of its tier at
    the start of the period (a later tier change changes nothing), else zero."""
    if explicit is not None:
        return explicit
    default = settings.default_allocation.get(tier_at_start or "")
    if default is None:
        return ZERO
    return default.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_DOWN)


def reserved(requests: Iterable[RequestLike], *, excluding: str | None = None) -> Decimal:
    """What approved requests hold of an allocation (the partner's requests of one budget)."""
    return sum((r.approved_amount or ZERO for r in requests if r.status in COMMITTED and r.id != excluding), ZERO)


def remaining(allocation: Decimal, requests: Iterable[RequestLike], *, excluding: str | None = None) -> Decimal:
    return allocation - reserved(requests, excluding=excluding)


def _entry(subject: Literal["fund_request", "fund_claim"], subject_id: str, before: str | None, after: str,
           amount: Decimal | None, actor: str, reason: str | None, at: dt.datetime) -> HistoryEntry:
    return HistoryEntry(subject, subject_id, before, after, amount, actor, reason, at)


def approve_request(request: RequestLike, *, allocation: Decimal, partner_requests: Iterable[RequestLike],
                    actor: str, at: dt.datetime, amount: Decimal | None = None, reason: str | None = None,
                    partner: str = "the partner") -> HistoryEntry:
    """submitted -> approved, reserving `amount` (default: the requested amount). Refused beyond
    the partner's remaining allocation; the message names what remains."""
    if request.status != "submitted":
        raise RuleViolation(f"fund request {request.id} is {request.status}: only a submitted request can be approved")
    approved = request.requested_amount if amount is None else money(amount, request.currency)
    if approved <= 0:
        raise RuleViolation("an approved amount must be more than zero")
    if approved > request.requested_amount:
        raise RuleViolation(f"cannot approve {show(approved, request.currency)}: the request asks for "
                            f"{show(request.requested_amount, request.currency)}")
    left = remaining(allocation, partner_requests, excluding=request.id)
    if approved > left:
        raise RuleViolation(
            f"cannot approve {show(approved, request.currency)} for {partner}: only "
            f"{show(max(left, ZERO), request.currency)} of the allocation of "
            f"{show(allocation, request.currency)} remains")
    before = request.status
    request.status, request.approved_amount = "approved", approved
    return _entry("fund_request", request.id, before, "approved", approved, actor, reason, at)


def reject_request(request: RequestLike, claims: Iterable[ClaimLike], *, actor: str, at: dt.datetime,
                   reason: str | None = None) -> HistoryEntry:
    """submitted (or approved and not claimed yet) -> rejected; an approval's reservation is released."""
    if request.status == "approved" and any(c.status in LIVE_CLAIMS for c in claims):
        raise RuleViolation(f"fund request {request.id} has claims: reject them first")
    if request.status not in ("submitted", "approved"):
        raise RuleViolation(f"fund request {request.id} is {request.status}: it can no longer be rejected")
    before, released = request.status, request.approved_amount if request.status == "approved" else None
    request.status = "rejected"
    return _entry("fund_request", request.id, before, "rejected", released, actor, reason, at)


def expiry_date(request: RequestLike, settings: FundSettings) -> dt.date | None:
    """The last day a claim may come in: the activity end plus `expiry_days`."""
    return None if request.planned_end is None else request.planned_end + dt.timedelta(days=settings.expiry_days)


def expire_requests(requests: Iterable[RequestLike], claims_by_request: Mapping[str, Iterable[ClaimLike]],
                    today: dt.date, settings: FundSettings, at: dt.datetime) -> list[HistoryEntry]:
    """Approved requests with nothing claimed after their deadline -> expired (reservation released)."""
    out = []
    for request in requests:
        deadline = expiry_date(request, settings)
        if request.status != "approved" or deadline is None or today <= deadline:
            continue
        if any(c.status in LIVE_CLAIMS for c in claims_by_request.get(request.id, ())):
            continue
        request.status = "expired"
        out.append(_entry("fund_request", request.id, "approved", "expired", request.approved_amount, "prm-sync",
                          f"nothing claimed by {deadline.isoformat()} ({settings.expiry_days} days after the "
                          "activity end)", at))
    return out


def claimable(request: RequestLike, claims: Iterable[ClaimLike], *, excluding: str | None = None) -> Decimal:
    """What may still be claimed against a request: its approved amount less its live claims."""
    taken = sum((c.amount for c in claims if c.status in LIVE_CLAIMS and c.id != excluding), ZERO)
    return (request.approved_amount or ZERO) - taken


def claim_amount(request: RequestLike, claims: Iterable[ClaimLike], amount: Decimal,
                 settings: FundSettings) -> tuple[Decimal, str | None]:
    """The amount a new claim of `amount` gets (and a note when it was capped); refused when the
    request is not approved, or above what remains of the approval under `refuse`."""
    if request.status != "approved":
        raise RuleViolation(f"fund request {request.id} is {request.status}: claims need an approved request")
    amount = money(amount, request.currency)
    if amount <= 0:
        raise RuleViolation("a claim must be for more than zero")
    left = claimable(request, claims)
    if amount <= left:
        return amount, None
    if settings.claim_over_approval == "cap" and left > 0:
        return left, (f"capped from {show(amount, request.currency)} to {show(left, request.currency)}, "
                      "what remains of the approved amount")
    raise RuleViolation(
        f"a claim of {show(amount, request.currency)} exceeds what remains of the approved "
        f"{show(request.approved_amount or ZERO, request.currency)}: {show(max(left, ZERO), request.currency)}")


def _covered(request: RequestLike, claims: Iterable[ClaimLike], states: frozenset[str]) -> bool:
    total = sum((c.amount for c in claims if c.status in states), ZERO)
    return request.approved_amount is not None and total >= request.approved_amount


def _claimed_when_covered(request: RequestLike, claims: list[ClaimLike], actor: str,
                          at: dt.datetime) -> list[HistoryEntry]:
    """approved -> claimed once the request's approved (or paid) claims cover its approved amount."""
    if request.status != "approved" or not _covered(request, claims, frozenset({"approved", "paid"})):
        return []
    request.status = "claimed"
    return [_entry("fund_request", request.id, "approved", "claimed", request.approved_amount, actor,
                   "its approved claims cover the approved amount", at)]


def approve_claim(claim: ClaimLike, request: RequestLike, claims: Iterable[ClaimLike], *, actor: str,
                  at: dt.datetime, reason: str | None = None) -> list[HistoryEntry]:
    """submitted -> approved; the request becomes `claimed` when approved claims cover it."""
    if claim.status != "submitted":
        raise RuleViolation(f"fund claim {claim.id} is {claim.status}: only a submitted claim can be approved")
    if request.status not in ("approved", "claimed"):
        raise RuleViolation(f"fund request {request.id} is {request.status}: its claims cannot be approved")
    if claim.amount > claimable(request, claims, excluding=claim.id):
        raise RuleViolation(f"fund claim {claim.id} exceeds what remains of the approved amount")
    claim.status = "approved"
    out = [_entry("fund_claim", claim.id, "submitted", "approved", claim.amount, actor, reason, at)]
    others = [c for c in claims if c.id != claim.id] + [claim]
    out.extend(_claimed_when_covered(request, others, actor, at))
    return out


def reject_claim(claim: ClaimLike, *, actor: str, at: dt.datetime, reason: str | None = None) -> HistoryEntry:
    if claim.status != "submitted":
        raise RuleViolation(f"fund claim {claim.id} is {claim.status}: only a submitted claim can be rejected")
    claim.status = "rejected"
    return _entry("fund_claim", claim.id, "submitted", "rejected", claim.amount, actor, reason, at)


def pay_claim(claim: ClaimLike, request: RequestLike, claims: Iterable[ClaimLike], *, actor: str,
              at: dt.datetime, reason: str | None = None) -> list[HistoryEntry]:
    """approved -> paid, exactly once (a second payment is refused, naming the first). The request
    becomes `paid` when its paid claims cover the approved amount."""
    if claim.status == "paid":
        when = claim.paid_at.date().isoformat() if claim.paid_at else "an earlier run"
        raise RuleViolation(f"fund claim {claim.id} was already paid on {when}: it is paid once only")
    if claim.status != "approved":
        raise RuleViolation(f"fund claim {claim.id} is {claim.status}: only an approved claim can be paid")
    claim.status, claim.paid_at = "paid", at
    out = [_entry("fund_claim", claim.id, "approved", "paid", claim.amount, actor, reason, at)]
    others = [c for c in claims if c.id != claim.id] + [claim]
    out.extend(_claimed_when_covered(request, others, actor, at))
    if request.status == "claimed" and _covered(request, others, frozenset({"paid"})):
        request.status = "paid"
        out.append(_entry("fund_request", request.id, "claimed", "paid", request.approved_amount, actor,
                          "its claims are paid", at))
    return out


@dataclass(frozen=True)
class PartnerFunds:
    """One partner's figures in one budget (the report's row)."""

    allocation: Decimal
    reserved: Decimal       # approved amounts of approved, claimed and paid requests
    claimed: Decimal        # approved and paid claims
    paid: Decimal           # paid claims
    remaining: Decimal      # allocation - reserved


def partner_funds(allocation: Decimal, requests: Iterable[RequestLike], claims: Iterable[ClaimLike]) -> PartnerFunds:
    requests = list(requests)
    claims = list(claims)
    held = reserved(requests)
    claimed = sum((c.amount for c in claims if c.status in ("approved", "paid")), ZERO)
    paid = sum((c.amount for c in claims if c.status == "paid"), ZERO)
    return PartnerFunds(allocation, held, claimed, paid, allocation - held)


@dataclass
class FundsReport:
    """`funds report`: rows per partner and budget, per tier (at the period start) and currency, per
    request (ROI), and per budget. A partner's tier is the one its allocation comes from: its tier on
    the first day of the period."""

    period: str
    partners: list[dict[str, object]]
    tiers: list[dict[str, object]]
    requests: list[dict[str, object]]
    budgets: list[dict[str, object]] = field(default_factory=list)   # per budget: total, allocated, ...
