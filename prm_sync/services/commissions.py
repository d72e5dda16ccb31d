"""Commission use cases: calculate (idempotent), list, explain, approve, pay, payout rows.

`calculate` reads every won deal (the accelerator and the per-period cap depend on the
partner's other deals of the period) and every deal that already has lines (a deal that left
closed-won is clawed back), asks the domain what each earns, and writes only differences:
new lines, open lines updated in place, open lines retired (soft-deleted). Lines approved or
paid (here or in the CRM, through sync) are never modified. Rows written here are pushed by
the next `prm-sync sync` (entity `commission`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session, col, or_, select

from prm_sync.domain.commissions import (
    LOCKED_STATUSES,
    DealFacts,
    Earned,
    LineState,
    LineValues,
    Period,
    SpiffEarned,
    calculate,
    calculate_spiffs,
    parse_period,
    reconcile,
)
from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.errors import Problem, UsageError
from prm_sync.store import CommissionLine, Deal, Partner, Registration
from prm_sync.store.types import utcnow

if TYPE_CHECKING:
    from prm_sync.config import Config

APPROVED_REGISTRATION = frozenset({"approved", "converted", "won"})
SPIFF = "spiff:"


@dataclass
class CalculationReport:
    deals: int = 0
    created: int = 0
    updated: int = 0
    retired: int = 0
    clawbacks: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (deal id, reason)


def period_arg(text: str | None) -> Period | None:
    if text is None:
        return None
    try:
        return parse_period(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def no_plan_problem(config: Config) -> Problem | None:
    """What to say when config.yaml has no commission plan (None: it has one): where to add it."""
    settings = config.commissions
    if settings is not None and settings.plans:
        return None
    line = config.key_lines.get("commissions")
    where = ("add a plan under commissions.plans" if line is not None
             else "add a top-level `commissions:` section with `plans:` to this file")
    return Problem(config.source, line, "commissions.plans",
                   f"no commission plan is configured: {where} (name, currency, effective, tier_rates or "
                   "bands; config.example.yaml shows every key)")


def require_settings(config: Config) -> CommissionSettings:
    """The commission settings; UsageError naming where to add a plan when there is none."""
    problem = no_plan_problem(config)
    if problem is not None:
        raise UsageError([problem])
    assert config.commissions is not None
    return config.commissions


def deal_facts(session: Session) -> list[DealFacts]:
    """Won deals, and deals that have commission lines, as the calculation sees them."""
    with_lines = select(CommissionLine.deal_id).where(col(CommissionLine.deleted_at).is_(None))
    deals = session.exec(select(Deal).where(or_(col(Deal.is_won).is_(True), col(Deal.id).in_(with_lines)))).all()
    tiers = dict(session.exec(select(Partner.id, Partner.tier)).all())
    reg_ids = {d.registration_id for d in deals if d.registration_id}
    approved: set[str] = set()
    if reg_ids:
        regs = session.exec(select(Registration).where(col(Registration.id).in_(reg_ids))).all()
        approved = {r.id for r in regs
                    if r.deleted_at is None and (r.approved_at is not None or r.status in APPROVED_REGISTRATION)}
    return [DealFacts(
        deal_id=d.id, partner_id=d.partner_id, amount=d.amount, currency=d.currency, close_date=d.close_date,
        is_won=d.is_won, tier=tiers.get(d.partner_id, "registered"), deal_type=d.deal_type,
        product_line=d.product_line, from_approved_registration=d.registration_id in approved,
        stage=d.stage, deleted=d.deleted_at is not None,
    ) for d in deals]


def _state(line: CommissionLine) -> LineState:
    return LineState(line.id, line.amount, line.currency, line.status, line.kind, line.period, line.plan,
                     line.explanation)


def _in_scope(period: Period | None, facts: DealFacts, lines: Sequence[CommissionLine]) -> bool:
    if period is None or (facts.close_date is not None and facts.close_date in period):
        return True
    for line in lines:
        if line.period:
            try:
                other = parse_period(line.period)
            except ValueError:
                continue
            if other.start < period.end and period.start < other.end:
                return True
    return False


def calculate_commissions(session: Session, settings: CommissionSettings, *, period: Period | None = None,
                          now: dt.datetime | None = None) -> CalculationReport:
    now = now or utcnow()
    facts = deal_facts(session)
    earned = calculate(settings, facts)
    lines: dict[str, list[CommissionLine]] = defaultdict(list)
    for line in session.exec(select(CommissionLine).where(col(CommissionLine.deleted_at).is_(None))):
        lines[line.deal_id].append(line)
    spiffs = calculate_spiffs(settings, facts, earned, _locked_spiffs(lines), _spiff_keys(lines))
    spiffs_of: dict[str, list[SpiffEarned]] = defaultdict(list)
    for (deal_id, _), result in sorted(spiffs.items()):
        spiffs_of[deal_id].append(result)
    report = CalculationReport()
    for fact in sorted(facts, key=lambda f: f.deal_id):
        mine = sorted(lines.get(fact.deal_id, []), key=lambda x: (x.created_at, x.id))
        if not _in_scope(period, fact, mine):
            continue
        report.deals += 1
        targets: list[tuple[str | None, Earned | SpiffEarned]] = [(None, earned[fact.deal_id])]
        targets += [(s.component, s) for s in spiffs_of.get(fact.deal_id, [])]
        for component, target in targets:
            if target.problem:
                report.problems.append((fact.deal_id, target.reason))
            _write(session, fact, component, target, [x for x in mine if x.component == component], report, now)
    session.flush()
    return report


def _locked_spiffs(lines: dict[str, list[CommissionLine]]) -> dict[tuple[str, str], Decimal]:
    """(deal, spiff) -> what its approved or paid SPIFF lines hold (deal currency)."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for deal_id, mine in lines.items():
        for line in mine:
            if line.component and line.component.startswith(SPIFF) and line.status in LOCKED_STATUSES:
                out[(deal_id, line.component[len(SPIFF):])] += line.amount
    return dict(out)


def _spiff_keys(lines: dict[str, list[CommissionLine]]) -> set[tuple[str, str]]:
    return {(deal_id, line.component[len(SPIFF):]) for deal_id, mine in lines.items() for line in mine
            if line.component and line.component.startswith(SPIFF)}


def _write(session: Session, fact: DealFacts, component: str | None, result: Earned | SpiffEarned,
           mine: list[CommissionLine], report: CalculationReport, now: dt.datetime) -> None:
    changes = reconcile(result, [_state(x) for x in mine])
    by_id = {x.id: x for x in mine}
    for values in changes.create:
        session.add(_apply(CommissionLine(deal_id=fact.deal_id, partner_id=fact.partner_id, amount=values.amount,
                                          currency=values.currency, component=component), values, now))
        report.created += 1
        report.clawbacks += values.kind == "clawback"
    for line_id, values in changes.update:
        session.add(_apply(by_id[line_id], values, now))
        report.updated += 1
    for line_id in changes.retire:
        by_id[line_id].deleted_at = now
        session.add(by_id[line_id])
        report.retired += 1


def _apply(line: CommissionLine, values: LineValues, now: dt.datetime) -> CommissionLine:
    line.kind, line.status, line.amount, line.currency = values.kind, values.status, values.amount, values.currency
    line.period, line.plan, line.explanation, line.calculated_at = values.period, values.plan, values.explanation, now
    return line


def list_lines(session: Session, *, period: Period | None = None, status: str | None = None,
               partner_id: str | None = None) -> list[CommissionLine]:
    query = select(CommissionLine).where(col(CommissionLine.deleted_at).is_(None))
    if status:
        query = query.where(CommissionLine.status == status)
    if partner_id:
        query = query.where(CommissionLine.partner_id == partner_id)
    rows = session.exec(query.order_by(col(CommissionLine.period), col(CommissionLine.partner_id),
                                       col(CommissionLine.created_at), col(CommissionLine.id))).all()
    return [r for r in rows if period is None or _label_in(r.period, period)]


class LineNames:
    """The partner and deal names of some lines, read in two queries (lists show names, not ids)."""

    def __init__(self, session: Session, lines: Sequence[CommissionLine]) -> None:
        partner_ids = sorted({x.partner_id for x in lines})
        deal_ids = sorted({x.deal_id for x in lines})
        self.partners: dict[str, str] = {}
        self.deals: dict[str, str | None] = {}
        for start in range(0, max(len(partner_ids), len(deal_ids)), 500):
            chunk = partner_ids[start:start + 500]
            if chunk:
                self.partners.update(session.exec(select(Partner.id, Partner.name)
                                                  .where(col(Partner.id).in_(chunk))).all())
            chunk = deal_ids[start:start + 500]
            if chunk:
                self.deals.update(session.exec(select(Deal.id, Deal.name).where(col(Deal.id).in_(chunk))).all())

    def of(self, line: CommissionLine) -> tuple[str | None, str | None]:
        return self.partners.get(line.partner_id), self.deals.get(line.deal_id)


def _label_in(label: str | None, period: Period) -> bool:
    try:
        other = parse_period(label or "")
    except ValueError:
        return False
    return other.start < period.end and period.start < other.end


def find_line(session: Session, key: str) -> CommissionLine:
    """A live line by id, or by a unique id prefix (6 characters or more)."""
    line = session.get(CommissionLine, key)
    if line is None and len(key) >= 6:
        found = session.exec(select(CommissionLine).where(col(CommissionLine.id).startswith(key))
                             .order_by(col(CommissionLine.id)).limit(11)).all()
        if len(found) > 1:
            listed = "\n".join(f"  {x.id}  {x.period or ''}  {x.kind}  {x.currency} {x.amount}" for x in found[:10])
            raise UsageError(f"commission line id prefix '{key}' is ambiguous: it matches these lines; give more "
                             f"of the id\n{listed}" + ("\n  …" if len(found) > 10 else ""))
        line = found[0] if found else None
    if line is None or line.deleted_at is not None:
        raise UsageError(f"no commission line '{key}' (see `prm-sync commissions list`)")
    return line


def approve_lines(session: Session, keys: Sequence[str], now: dt.datetime | None = None) -> list[CommissionLine]:
    """calculated / clawback -> approved (already approved: unchanged; paid: refused)."""
    lines = [find_line(session, key) for key in keys]
    paid = [x.id for x in lines if x.status == "paid"]
    if paid:
        raise UsageError(f"already paid, cannot be approved again: {', '.join(paid)}")
    for line in lines:
        if line.status != "approved":
            line.status, line.approved_at = "approved", now or utcnow()
            session.add(line)
    return lines


def pay_lines(session: Session, keys: Sequence[str], now: dt.datetime | None = None) -> list[CommissionLine]:
    """approved -> paid; a line not approved yet is refused (approve it first)."""
    lines = [find_line(session, key) for key in keys]
    unapproved = [f"{x.id} ({x.status})" for x in lines if x.status not in ("approved", "paid")]
    if unapproved:
        raise UsageError(f"approve these lines before paying them: {', '.join(unapproved)}")
    for line in lines:
        if line.status != "paid":
            line.status, line.paid_at = "paid", now or utcnow()
            session.add(line)
    return lines


PAYOUT_COLUMNS = ("line_id", "partner_id", "partner_name", "deal_id", "deal_name", "period", "kind", "status",
                  "currency", "amount")


def payout_rows(session: Session, period: Period, statuses: Sequence[str] = ("approved",)) -> list[dict[str, object]]:
    """One row per line to pay (approved, by default) in the period; amounts stay Decimal."""
    names = dict(session.exec(select(Partner.id, Partner.name)).all())
    deals = dict(session.exec(select(Deal.id, Deal.name)).all())
    rows = [line for line in list_lines(session, period=period) if line.status in statuses]
    return [{"line_id": x.id, "partner_id": x.partner_id, "partner_name": names.get(x.partner_id),
             "deal_id": x.deal_id, "deal_name": deals.get(x.deal_id), "period": x.period, "kind": x.kind,
             "status": x.status, "currency": x.currency, "amount": x.amount} for x in rows]
