"""Market development funds: budgets, allocations, requests, claims, the report and its ROI.

The rules are prm_sync.domain.funds; this module finds the rows they apply to, records every
state change in fund_history, and turns a refused action (RuleViolation) into a UsageError
(exit 2, the message as the rule wrote it). The sync's side (CRM status edits coming back) is
`apply_crm_changes`, called by prm_sync.sync.hooks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from prm_sync.domain import funds as rules
from prm_sync.domain.commissions.periods import Period, parse_period
from prm_sync.domain.currencies import is_iso_currency
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.funds import ZERO, FundSettings, FundsReport, HistoryEntry
from prm_sync.errors import UsageError
from prm_sync.rules.funds import (
    allocation_of,
    budget_for_request,
    budget_of,
    claims_of,
    record,
    requests_of,
    tier_at,
    touch,
)
from prm_sync.services.partner_lookup import MIN_ID_PREFIX, resolve_partner
from prm_sync.store import (
    Deal,
    FundAllocation,
    FundBudget,
    FundClaim,
    FundHistory,
    FundRequest,
    Partner,
    Registration,
)
from prm_sync.store.types import utcnow

CRM_ACTOR = "crm"


@contextmanager
def refused() -> Iterator[None]:
    """A rule's refusal becomes a usage error (exit 2), its message unchanged."""
    try:
        yield
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None


def _currency(code: str) -> str:
    code = code.strip().upper()
    if not is_iso_currency(code):
        raise UsageError(f"--currency: '{code}' is not an ISO 4217 currency code (such as USD, EUR, JPY)")
    return code


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None


# -- budgets and allocations -------------------------------------------------------------------

def set_budget(session: Session, period: str, currency: str, total: str | None, actor: str, *,
               partner_key: str | None = None, allocation: str | None = None) -> tuple[FundBudget, str]:
    """Create or change a budget (total), or set one partner's allocation in it. Returns the
    budget and what changed, in words."""
    span, code = _period(period), _currency(currency)
    budget = budget_of(session, span.label, code)
    now = utcnow()
    done = []
    if budget is None:
        if total is None:
            raise UsageError(f"there is no {code} budget for {span.label} yet: give --total to create it")
        with refused():
            budget = FundBudget(period=span.label, starts_on=span.start, ends_on=span.end, currency=code,
                                total=rules.money(total, code), created_at=now, updated_at=now)
        session.add(budget)
        session.flush()
        done.append(f"created the {code} budget for {span.label}: {rules.show(budget.total, code)}")
    elif total is not None:
        with refused():
            budget.total = rules.money(total, code)
        budget.updated_at = now
        session.add(budget)
        done.append(f"{code} budget for {span.label}: total {rules.show(budget.total, code)}")
    if (partner_key is None) != (allocation is None):
        raise UsageError("give --partner and --allocation together")
    if partner_key is not None and allocation is not None:
        partner = resolve_partner(session, partner_key)
        with refused():
            amount = rules.money(allocation, code)
        row = session.exec(select(FundAllocation).where(FundAllocation.budget_id == budget.id,
                                                        FundAllocation.partner_id == partner.id)).first()
        others = sum((a.amount for a in session.exec(select(FundAllocation).where(
            FundAllocation.budget_id == budget.id, FundAllocation.partner_id != partner.id))), ZERO)
        if others + amount > budget.total:
            raise UsageError(
                f"allocating {rules.show(amount, code)} to {partner.name} would exceed the budget: "
                f"{rules.show(budget.total - others, code)} of {rules.show(budget.total, code)} is not allocated")
        held = rules.reserved(requests_of(session, budget, partner.id))
        if amount < held:
            raise UsageError(f"{partner.name} has {rules.show(held, code)} approved in this budget: "
                             "the allocation cannot go below it")
        row = row or FundAllocation(budget_id=budget.id, partner_id=partner.id, amount=amount, set_by=actor)
        row.amount, row.set_by, row.set_at = amount, actor, now
        session.add(row)
        done.append(f"{partner.name}: allocation {rules.show(amount, code)} in {span.label}")
    return budget, "; ".join(done) or "no change"


def show_budget(session: Session, settings: FundSettings, period: str,
                currency: str | None = None) -> list[dict[str, Any]]:
    """One row per partner and budget of the period: allocation and where it comes from."""
    span = _period(period)
    query = select(FundBudget).where(FundBudget.period == span.label)
    if currency:
        query = query.where(FundBudget.currency == _currency(currency))
    budgets = list(session.exec(query.order_by(col(FundBudget.currency))))
    if not budgets:
        raise UsageError(f"no budget for {span.label}: set one with `prm-sync funds budget set`")
    rows = []
    partners = _live_partners(session)
    for budget in budgets:
        for partner in partners:
            amount, source = allocation_of(session, settings, budget, partner)
            rows.append({"period": budget.period, "currency": budget.currency, "total": budget.total,
                         "partner": partner.name, "partner_id": partner.id, "tier": partner.tier,
                         "allocation": amount, "source": source})
    return rows


def _live_partners(session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).where(col(Partner.deleted_at).is_(None))
                             .order_by(col(Partner.name), col(Partner.id))))


# -- requests -------------------------------------------------------------------------------

def _date(text: str | None, option: str) -> dt.date | None:
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None


def add_request(session: Session, partner_key: str, amount: str, currency: str, actor: str, *,
                period: str | None = None, activity_type: str | None = None, description: str | None = None,
                planned_start: str | None = None, planned_end: str | None = None,
                expected_leads: int | None = None) -> FundRequest:
    """A submitted request; the budget is --period's (else the one holding the planned start)."""
    partner = resolve_partner(session, partner_key)
    if partner.deleted_at is not None:
        raise UsageError(f"partner {partner.name!r} is deleted")
    code = _currency(currency)
    start, end = _date(planned_start, "--start"), _date(planned_end, "--end")
    if start and end and end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    with refused():
        requested = rules.money(amount, code)
    if requested <= 0:
        raise UsageError("--amount must be more than zero")
    request = FundRequest(partner_id=partner.id, period=_period(period).label if period else None,
                          activity_type=activity_type, description=description, planned_start=start,
                          planned_end=end, requested_amount=requested, currency=code,
                          expected_leads=expected_leads, status="submitted")
    budget = budget_for_request(session, request)
    if budget is None:
        where = f"for {request.period}" if request.period else (
            f"holding {start.isoformat()}" if start else "(give --period or --start)")
        raise UsageError(f"no {code} budget {where}: set one with `prm-sync funds budget set`")
    request.period = budget.period
    session.add(request)
    session.flush()
    record(session, [HistoryEntry("fund_request", request.id, None, "submitted", requested, actor, description,
                                  utcnow())])
    return request


def find_request(session: Session, key: str) -> FundRequest:
    key = key.strip()
    found = session.get(FundRequest, key)
    if found is None and len(key) >= MIN_ID_PREFIX:
        matches = list(session.exec(select(FundRequest).where(col(FundRequest.id).startswith(key.lower()))
                                    .limit(2)))
        found = matches[0] if len(matches) == 1 else None
    if found is None or found.deleted_at is not None:
        raise UsageError(f"no fund request '{key}' (see `prm-sync funds request list`)")
    return found


def find_claim(session: Session, key: str) -> FundClaim:
    key = key.strip()
    found = session.get(FundClaim, key)
    if found is None and len(key) >= MIN_ID_PREFIX:
        matches = list(session.exec(select(FundClaim).where(col(FundClaim.id).startswith(key.lower())).limit(2)))
        found = matches[0] if len(matches) == 1 else None
    if found is None or found.deleted_at is not None:
        raise UsageError(f"no fund claim '{key}' (see `prm-sync funds claim list`)")
    return found


def approve(session: Session, settings: FundSettings, key: str, actor: str, *, amount: str | None = None,
            reason: str | None = None) -> FundRequest:
    request = find_request(session, key)
    partner = session.get(Partner, request.partner_id)
    assert partner is not None
    budget = budget_for_request(session, request)
    if budget is None:
        raise UsageError(f"no {request.currency} budget for {request.period or 'the request'}: "
                         "set one with `prm-sync funds budget set`")
    allocation, _ = allocation_of(session, settings, budget, partner)
    with refused():
        approved = None if amount is None else rules.money(amount, request.currency)
        entry = rules.approve_request(request, allocation=allocation, partner=partner.name, actor=actor, at=utcnow(),
                                      partner_requests=requests_of(session, budget, partner.id), amount=approved,
                                      reason=reason)
    touch(session, request)
    record(session, [entry])
    return request


def reject(session: Session, key: str, actor: str, reason: str | None = None) -> FundRequest:
    request = find_request(session, key)
    with refused():
        entry = rules.reject_request(request, claims_of(session, request.id), actor=actor, at=utcnow(), reason=reason)
    touch(session, request)
    record(session, [entry])
    return request


def list_requests(session: Session, *, partner_key: str | None = None, status: str | None = None,
                  period: str | None = None) -> list[dict[str, Any]]:
    query = select(FundRequest, Partner.name).join(Partner, col(Partner.id) == col(FundRequest.partner_id)).where(
        col(FundRequest.deleted_at).is_(None))
    if partner_key:
        query = query.where(FundRequest.partner_id == resolve_partner(session, partner_key).id)
    if status:
        query = query.where(FundRequest.status == status)
    if period:
        query = query.where(FundRequest.period == _period(period).label)
    claimed = _claim_totals(session)
    return [{"id": r.id, "partner": name, "period": r.period, "activity": r.activity_type,
             "description": r.description, "start": r.planned_start, "end": r.planned_end,
             "currency": r.currency, "requested": r.requested_amount, "approved": r.approved_amount,
             "claimed": rules.in_units(claimed.get(r.id, ZERO), r.currency), "expected_leads": r.expected_leads,
             "status": r.status}
            for r, name in session.exec(query.order_by(col(FundRequest.created_at), col(FundRequest.id)))]


def _claim_totals(session: Session) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for c in session.exec(select(FundClaim).where(col(FundClaim.deleted_at).is_(None),
                                                  col(FundClaim.status).in_(("approved", "paid")))):
        out[c.request_id] += c.amount
    return out


def history(session: Session, subject_id: str) -> list[FundHistory]:
    return list(session.exec(select(FundHistory).where(FundHistory.subject_id == subject_id)
                             .order_by(col(FundHistory.at), col(FundHistory.id))))


def attach_fund_request(session: Session, registration: Registration, key: str) -> FundRequest:
    """Credit a registration to the fund request whose activity produced it (the ROI report)."""
    request = find_request(session, key)
    if request.partner_id != registration.partner_id:
        raise UsageError(f"fund request {request.id} is another partner's")
    if request.status in ("submitted", "rejected"):
        raise UsageError(f"fund request {request.id} is {request.status}: only funded activities produce leads")
    registration.fund_request_id = request.id
    session.add(registration)
    return request


# -- claims ---------------------------------------------------------------------------------

def add_claim(session: Session, settings: FundSettings, request_key: str, amount: str, actor: str, *,
              proof: Sequence[str] = ()) -> tuple[FundClaim, str | None]:
    """A submitted claim against an approved request (capped or refused above the approval)."""
    request = find_request(session, request_key)
    with refused():
        claimed, note = rules.claim_amount(request, claims_of(session, request.id),
                                           rules.money(amount, request.currency), settings)
    if not proof:
        raise UsageError("give at least one --proof (a URL or a file path)")
    claim = FundClaim(request_id=request.id, partner_id=request.partner_id, amount=claimed, currency=request.currency,
                      proof="\n".join(p.strip() for p in proof if p.strip()), status="submitted")
    session.add(claim)
    session.flush()
    record(session, [HistoryEntry("fund_claim", claim.id, None, "submitted", claimed, actor, note, utcnow())])
    return claim, note


def _claim_action(session: Session, key: str, action: str, actor: str, reason: str | None) -> FundClaim:
    claim = find_claim(session, key)
    request = session.get(FundRequest, claim.request_id)
    assert request is not None
    claims = claims_of(session, request.id)
    now = utcnow()
    with refused():
        if action == "approve":
            entries = rules.approve_claim(claim, request, claims, actor=actor, at=now, reason=reason)
        elif action == "reject":
            entries = [rules.reject_claim(claim, actor=actor, at=now, reason=reason)]
        else:
            entries = rules.pay_claim(claim, request, claims, actor=actor, at=now, reason=reason)
    touch(session, claim)
    if any(e.subject == "fund_request" for e in entries):
        touch(session, request)
    record(session, entries)
    return claim


def approve_claim(session: Session, key: str, actor: str, reason: str | None = None) -> FundClaim:
    return _claim_action(session, key, "approve", actor, reason)


def reject_claim(session: Session, key: str, actor: str, reason: str | None = None) -> FundClaim:
    return _claim_action(session, key, "reject", actor, reason)


def pay_claim(session: Session, key: str, actor: str, reason: str | None = None) -> FundClaim:
    return _claim_action(session, key, "pay", actor, reason)


def list_claims(session: Session, *, partner_key: str | None = None, request_key: str | None = None,
                status: str | None = None) -> list[dict[str, Any]]:
    query = select(FundClaim, Partner.name).join(Partner, col(Partner.id) == col(FundClaim.partner_id)).where(
        col(FundClaim.deleted_at).is_(None))
    if partner_key:
        query = query.where(FundClaim.partner_id == resolve_partner(session, partner_key).id)
    if request_key:
        query = query.where(FundClaim.request_id == find_request(session, request_key).id)
    if status:
        query = query.where(FundClaim.status == status)
    return [{"id": c.id, "request": c.request_id, "partner": name, "currency": c.currency, "amount": c.amount,
             "proof": (c.proof or "").replace("\n", " "), "status": c.status, "paid_at": c.paid_at}
            for c, name in session.exec(query.order_by(col(FundClaim.created_at), col(FundClaim.id)))]


# -- the report ---------------------------------------------------------------------------------

REPORT_COLUMNS = ("partner", "tier", "period", "currency", "allocation", "reserved", "claimed", "paid", "remaining",
                  "requests", "leads", "pipeline", "won_revenue", "revenue_per_paid")
ROI_COLUMNS = ("request", "partner", "activity", "currency", "approved", "paid", "status", "leads", "pipeline",
               "won_revenue", "revenue_per_paid")


def _ratio(revenue: Decimal, paid: Decimal) -> Decimal | None:
    return None if paid == 0 else (revenue / paid).quantize(Decimal("0.01"))


def _attribution(session: Session, request_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per request: registrations naming it, and the deals naming it (directly, or through one of
    those registrations): open pipeline and won revenue."""
    out: dict[str, dict[str, Any]] = {r: {"leads": 0, "pipeline": ZERO, "won_revenue": ZERO, "deals": set()}
                                      for r in request_ids}
    if not request_ids:
        return out
    regs = list(session.exec(select(Registration).where(col(Registration.fund_request_id).in_(request_ids),
                                                        col(Registration.deleted_at).is_(None))))
    by_reg = {r.id: r.fund_request_id for r in regs}
    for reg in regs:
        out[str(reg.fund_request_id)]["leads"] += 1
    deals = session.exec(select(Deal).where(col(Deal.deleted_at).is_(None)).where(
        col(Deal.fund_request_id).in_(request_ids) | col(Deal.registration_id).in_(list(by_reg) or [""])))
    for deal in deals:
        request_id = deal.fund_request_id if deal.fund_request_id in out else by_reg.get(deal.registration_id or "")
        if request_id is None:
            continue
        figures = out[request_id]
        figures["deals"].add(deal.id)
        if deal.is_won:
            figures["won_revenue"] += deal.amount or ZERO
        elif not deal.is_closed:
            figures["pipeline"] += deal.amount or ZERO
    return out


def build_report(session: Session, settings: FundSettings, period: str) -> FundsReport:
    """Per partner and budget of the period: allocation, reserved, claimed, paid, remaining, and
    the ROI of its requests; per tier: the same sums; per request: its ROI."""
    span = _period(period)
    budgets = list(session.exec(select(FundBudget).where(FundBudget.period == span.label)
                                .order_by(col(FundBudget.currency))))
    requests = list(session.exec(select(FundRequest).where(FundRequest.period == span.label,
                                                           col(FundRequest.deleted_at).is_(None))
                                 .order_by(col(FundRequest.created_at), col(FundRequest.id))))
    claims: dict[str, list[FundClaim]] = defaultdict(list)
    if requests:
        for c in session.exec(select(FundClaim).where(col(FundClaim.request_id).in_([r.id for r in requests]),
                                                      col(FundClaim.deleted_at).is_(None))):
            claims[c.request_id].append(c)
    roi = _attribution(session, [r.id for r in requests])
    partners = {p.id: p for p in _live_partners(session)}
    partner_rows: list[dict[str, Any]] = []
    tier_sums: dict[tuple[str, str], dict[str, Any]] = {}
    request_rows: list[dict[str, Any]] = []
    for r in requests:
        paid = sum((c.amount for c in claims[r.id] if c.status == "paid"), ZERO)
        f = roi[r.id]
        request_rows.append({
            "request": r.id, "partner": partners[r.partner_id].name if r.partner_id in partners else r.partner_id,
            "activity": r.activity_type, "currency": r.currency, "approved": r.approved_amount, "paid": paid,
            "status": r.status, "leads": f["leads"], "pipeline": rules.in_units(f["pipeline"], r.currency),
            "won_revenue": rules.in_units(f["won_revenue"], r.currency),
            "revenue_per_paid": _ratio(f["won_revenue"], paid)})
    budget_rows: list[dict[str, Any]] = []
    for budget in budgets:
        allocated = ZERO
        for partner in partners.values():
            mine = [r for r in requests if r.partner_id == partner.id and r.currency == budget.currency]
            allocation, _ = allocation_of(session, settings, budget, partner)
            allocated += allocation
            if not mine and allocation == 0:
                continue
            tier = tier_at(session, partner, budget.starts_on)   # the tier the allocation comes from
            figures = rules.partner_funds(allocation, mine, [c for r in mine for c in claims[r.id]])
            leads = sum(roi[r.id]["leads"] for r in mine)
            pipeline = rules.in_units(sum((roi[r.id]["pipeline"] for r in mine), ZERO), budget.currency)
            won = rules.in_units(sum((roi[r.id]["won_revenue"] for r in mine), ZERO), budget.currency)
            amounts = {name: rules.in_units(getattr(figures, name), budget.currency)
                       for name in ("allocation", "reserved", "claimed", "paid", "remaining")}
            row = {"partner": partner.name, "partner_id": partner.id, "tier": tier, "period": budget.period,
                   "currency": budget.currency, **amounts,
                   "requests": len(mine), "leads": leads, "pipeline": pipeline, "won_revenue": won,
                   "revenue_per_paid": _ratio(won, figures.paid)}
            partner_rows.append(row)
            key = (tier, budget.currency)
            sums = tier_sums.setdefault(key, {"tier": tier, "period": budget.period,
                                              "currency": budget.currency, "partners": 0,
                                              **{k: ZERO for k in ("allocation", "reserved", "claimed", "paid",
                                                                   "remaining", "pipeline", "won_revenue")},
                                              "requests": 0, "leads": 0})
            sums["partners"] += 1
            for k in ("allocation", "reserved", "claimed", "paid", "remaining", "pipeline", "won_revenue", "requests",
                      "leads"):
                sums[k] += row[k]
        in_budget = [row for row in partner_rows if row["currency"] == budget.currency]
        budget_rows.append({
            "period": budget.period, "currency": budget.currency, "total": budget.total, "allocated": allocated,
            "unallocated": budget.total - allocated, "reserved": sum((r["reserved"] for r in in_budget), ZERO),
            "paid": sum((r["paid"] for r in in_budget), ZERO)})
    tier_rows = []
    for s in tier_sums.values():
        s["revenue_per_paid"] = _ratio(s["won_revenue"], s["paid"])
        tier_rows.append(s)
    tier_rows.sort(key=lambda s: (s["currency"], s["tier"]))
    return FundsReport(span.label, partner_rows, tier_rows, request_rows, budget_rows)
