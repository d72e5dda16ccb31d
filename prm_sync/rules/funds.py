"""MDF rules the sync applies and the services share: budgets and allocations as stored, expiry,
and CRM-side status edits checked against prm_sync.domain.funds (a history row for each change).

Below the sync layer: prm_sync.sync.hooks calls `apply_crm_request_changes`,
`apply_crm_claim_changes` and `expire_due`; prm_sync.services.funds builds the CLI's actions on
the same helpers. A refused rule raises RuleViolation (the services make it a usage error).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from prm_sync.domain import funds as rules
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.funds import FundSettings, HistoryEntry
from prm_sync.store import (
    FundAllocation,
    FundBudget,
    FundClaim,
    FundHistory,
    FundRequest,
    Partner,
    PartnerTierChange,
)
from prm_sync.store.types import utcnow

CRM_ACTOR = "crm"

def record(session: Session, entries: Iterable[HistoryEntry]) -> None:
    for e in entries:
        session.add(FundHistory(subject=e.subject, subject_id=e.subject_id, from_status=e.from_status,
                                to_status=e.to_status, amount=e.amount, actor=e.actor, reason=e.reason, at=e.at))


def budget_of(session: Session, period: str, currency: str) -> FundBudget | None:
    return session.exec(select(FundBudget).where(FundBudget.period == period,
                                                 FundBudget.currency == currency)).first()


def tier_at(session: Session, partner: Partner, day: dt.date) -> str:
    """The partner's tier at the start of `day` (its tier history; else its tier now)."""
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    changes = list(session.exec(select(PartnerTierChange).where(PartnerTierChange.partner_id == partner.id)
                                .order_by(col(PartnerTierChange.at), col(PartnerTierChange.id))))
    before = [c for c in changes if c.at < start]
    if before:
        return before[-1].to_tier
    after = [c for c in changes if c.at >= start]
    if after and after[0].from_tier:
        return after[0].from_tier
    return partner.tier


def allocation_of(session: Session, settings: FundSettings, budget: FundBudget,
                  partner: Partner) -> tuple[Decimal, str]:
    """(allocation, where it comes from): set directly, or the default of the tier at the period start."""
    row = session.exec(select(FundAllocation).where(FundAllocation.budget_id == budget.id,
                                                    FundAllocation.partner_id == partner.id)).first()
    if row is not None:
        return row.amount, f"set by {row.set_by}"
    tier = tier_at(session, partner, budget.starts_on)
    amount = rules.allocation_for(None, tier, settings, budget.currency)
    return amount, f"tier {tier} on {budget.starts_on.isoformat()}"


def requests_of(session: Session, budget: FundBudget, partner_id: str) -> list[FundRequest]:
    return list(session.exec(select(FundRequest).where(
        FundRequest.partner_id == partner_id, FundRequest.period == budget.period,
        FundRequest.currency == budget.currency, col(FundRequest.deleted_at).is_(None))))


def budget_for_request(session: Session, request: FundRequest) -> FundBudget | None:
    """The request's budget: its period (else the one holding its planned start) in its currency."""
    if request.period:
        return budget_of(session, request.period, request.currency)
    if request.planned_start is None:
        return None
    return session.exec(select(FundBudget).where(
        FundBudget.currency == request.currency, col(FundBudget.starts_on) <= request.planned_start,
        col(FundBudget.ends_on) > request.planned_start).order_by(col(FundBudget.ends_on))).first()


def claims_of(session: Session, request_id: str) -> list[FundClaim]:
    return list(session.exec(select(FundClaim).where(FundClaim.request_id == request_id,
                                                     col(FundClaim.deleted_at).is_(None))))


def touch(session: Session, row: FundRequest | FundClaim) -> None:
    row.updated_at = utcnow()
    session.add(row)


# -- time-driven: expiry ----------------------------------------------------------------------

def expire_due(session: Session, settings: FundSettings, now: dt.datetime) -> int:
    """Approved requests with nothing claimed by their deadline expire (the sync runs this)."""
    candidates = list(session.exec(select(FundRequest).where(FundRequest.status == "approved",
                                                             col(FundRequest.deleted_at).is_(None),
                                                             col(FundRequest.planned_end).is_not(None))))
    if not candidates:
        return 0
    claims: dict[str, list[FundClaim]] = defaultdict(list)
    for c in session.exec(select(FundClaim).where(col(FundClaim.request_id).in_([r.id for r in candidates]),
                                                  col(FundClaim.deleted_at).is_(None))):
        claims[c.request_id].append(c)
    entries = rules.expire_requests(candidates, claims, now.date(), settings, now)
    expired = {e.subject_id for e in entries}
    for request in candidates:
        if request.id in expired:
            touch(session, request)
    record(session, entries)
    return len(entries)


# -- the CRM's side: status edits pulled by the sync ------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """A CRM edit the PRM rules refuse: kept out of the store and parked as a conflict."""

    entity: str
    prm_id: str
    field: str
    prm_value: str | None
    crm_value: str | None
    reason: str


def _admit_crm_claim(session: Session, settings: FundSettings, claim: FundClaim, request: FundRequest,
                     now: dt.datetime) -> bool:
    """A claim made in the CRM: within what remains of the approval (capped under `cap`), else
    rejected by the PRM with the reason. False when it was rejected."""
    claim.status = "submitted"
    others = [c for c in claims_of(session, request.id) if c.id != claim.id]
    try:
        amount, note = rules.claim_amount(request, others, claim.amount, settings)
    except RuleViolation as exc:
        claim.status = "rejected"
        record(session, [HistoryEntry("fund_claim", claim.id, "submitted", "rejected", claim.amount, "prm-sync",
                                      str(exc), now)])
        return False
    if note is not None:
        claim.amount = amount
        record(session, [HistoryEntry("fund_claim", claim.id, "submitted", "submitted", amount, "prm-sync", note,
                                      now)])
    return True


def apply_crm_request_changes(session: Session, settings: FundSettings,
                              changes: Sequence[tuple[FundRequest, Mapping[str, tuple[Any, Any]]]],
                              now: dt.datetime) -> list[Refusal]:
    """Pulled request changes (`changes`: row, {field: (before, after)} in canonical text).

    A CRM status edit goes through the rules: an approval beyond the partner's remaining
    allocation (or any transition the lifecycle does not have) is refused: the row keeps its
    status, nothing is reserved, and the edit comes back as a Refusal (parked as a conflict with
    the reason). An accepted edit gets its history row, actor `crm`. A request made in the CRM
    gets its budget period. Approvals are first all undone, then re-applied one by one in page
    order, so that two approvals in one page never count each other before they are checked."""
    out: list[Refusal] = []
    page = {request.id: request for request, _ in changes}
    approvals: list[tuple[FundRequest, str, Decimal | None]] = []
    for request, diffs in changes:
        if not request.period:
            budget = budget_for_request(session, request)
            if budget is not None:
                request.period = budget.period
        if "status" not in diffs:
            continue
        before, after = diffs["status"]
        if before is None:  # created in the CRM
            record(session, [HistoryEntry("fund_request", request.id, None, "submitted", request.requested_amount,
                                          CRM_ACTOR, "created in the CRM", now)])
            if after == "submitted":
                continue
            before = "submitted"
        request.status = str(before)
        if after == "approved" and before == "submitted":
            crm_amount = request.approved_amount if "approved_amount" in diffs else None
            approvals.append((request, str(before), crm_amount))
            continue
        refusal = None
        if after == "rejected" and before in ("submitted", "approved"):
            try:
                record(session, [rules.reject_request(request, claims_of(session, request.id), actor=CRM_ACTOR,
                                                      at=now, reason="set in the CRM")])
            except RuleViolation as exc:
                refusal = Refusal("fund_request", request.id, "status", before, after, str(exc))
        else:
            refusal = Refusal("fund_request", request.id, "status", before, after,
                              f"a fund request cannot go from {before} to {after} in the CRM")
        if refusal is not None:
            out.append(refusal)
    for request, before, crm_amount in approvals:
        refusal = _crm_approval(session, settings, request, crm_amount, page, now)
        if refusal is not None:
            request.status = before
            request.approved_amount = crm_amount   # as the CRM holds it: not reserved (the status says so)
            out.append(refusal)
    return out


def _crm_approval(session: Session, settings: FundSettings, request: FundRequest, crm_amount: Decimal | None,
                  page: Mapping[str, FundRequest], now: dt.datetime) -> Refusal | None:
    partner = session.get(Partner, request.partner_id)
    budget = budget_for_request(session, request)
    if partner is None or budget is None:
        return Refusal("fund_request", request.id, "status", "submitted", "approved",
                       f"no {request.currency} budget for {request.period or 'its planned start'}: "
                       "nothing can be approved")
    request.approved_amount = None
    allocation, _ = allocation_of(session, settings, budget, partner)
    mine = {r.id: r for r in requests_of(session, budget, partner.id)}
    mine.update({r.id: r for r in page.values() if r.partner_id == partner.id and r.period == budget.period
                 and r.currency == budget.currency and r.deleted_at is None})
    try:
        entry = rules.approve_request(request, allocation=allocation, partner=partner.name, actor=CRM_ACTOR, at=now,
                                      partner_requests=mine.values(), amount=crm_amount, reason="approved in the CRM")
    except RuleViolation as exc:
        return Refusal("fund_request", request.id, "status", "submitted", "approved", str(exc))
    record(session, [entry])
    return None


def apply_crm_claim_changes(session: Session, settings: FundSettings,
                            changes: Sequence[tuple[FundClaim, Mapping[str, tuple[Any, Any]]]],
                            now: dt.datetime) -> list[Refusal]:
    """Pulled claim changes: approve / reject / pay set in the CRM go through the rules (a payment
    is recorded once, and marks the request); a refused edit is parked as a conflict. A claim made
    in the CRM is checked like one made in the PRM: above what remains of the approved amount it
    is rejected (`claim_over_approval: refuse`, the reason in its history) or capped (`cap`); both
    go back to the CRM with the next push."""
    out: list[Refusal] = []
    for claim, diffs in changes:
        if "status" not in diffs:
            continue
        before, after = diffs["status"]
        request = session.get(FundRequest, claim.request_id)
        if before is None:
            record(session, [HistoryEntry("fund_claim", claim.id, None, "submitted", claim.amount, CRM_ACTOR,
                                          "created in the CRM", now)])
            if request is None or not _admit_crm_claim(session, settings, claim, request, now):
                continue
            if after == "submitted":
                continue
            before = "submitted"
        if request is None:
            continue
        claim.status = str(before)
        claims = claims_of(session, request.id)
        try:
            if after == "approved":
                entries = rules.approve_claim(claim, request, claims, actor=CRM_ACTOR, at=now, reason="set in the CRM")
            elif after == "rejected":
                entries = [rules.reject_claim(claim, actor=CRM_ACTOR, at=now, reason="set in the CRM")]
            elif after == "paid":
                if claim.status == "submitted":  # approved and paid in one edit
                    entries = rules.approve_claim(claim, request, claims, actor=CRM_ACTOR, at=now,
                                                  reason="set in the CRM")
                else:
                    entries = []
                entries += rules.pay_claim(claim, request, claims, actor=CRM_ACTOR, at=now, reason="set in the CRM")
            else:
                raise RuleViolation(f"a fund claim cannot go from {before} to {after} in the CRM")
        except RuleViolation as exc:
            claim.status = str(before)
            out.append(Refusal("fund_claim", claim.id, "status", before, after, str(exc)))
            continue
        if any(e.subject == "fund_request" for e in entries):
            touch(session, request)
        record(session, entries)
    return out


