"""Scorecards: load a period's partners, registrations, deals and commission lines, convert the
money into one report currency, and ask the domain for the figures.

The report currency is the currency of the commission plan in force at the period's end (else
the first plan's, else USD); amounts in other currencies are converted with `commissions.fx`.
Amounts that cannot be converted are left out, and said so in `ScorecardReport.notes`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from prm_sync.commission_config import CommissionSettings
from prm_sync.domain.commissions import MissingFx, Period, convert, plan_for
from prm_sync.domain.scorecards import (
    DealFact,
    LineFact,
    PartnerInfo,
    RegistrationFact,
    Scorecard,
    TierTarget,
    scorecards,
)
from prm_sync.store import CommissionLine, Deal, Partner, Registration
from prm_sync.store.types import utcnow

APPROVED = frozenset({"approved", "converted", "won", "lost"})


@dataclass
class ScorecardReport:
    period: Period
    currency: str
    generated_at: dt.datetime
    cards: list[Scorecard]
    notes: list[str] = field(default_factory=list)


def report_currency(settings: CommissionSettings | None, period: Period) -> str:
    if settings is None or not settings.plans:
        return "USD"
    plan = plan_for(settings, period.end - dt.timedelta(days=1)) or settings.plans[0]
    return plan.currency


def build_scorecards(session: Session, settings: CommissionSettings | None, period: Period,
                     now: dt.datetime | None = None, targets: Sequence[TierTarget] = ()) -> ScorecardReport:
    fx = settings or CommissionSettings()
    currency = report_currency(settings, period)
    skipped: Counter[str] = Counter()

    def to_report(amount: Decimal | None, cur: str | None) -> Decimal | None:
        if amount is None:
            return None
        try:
            return convert(fx, amount, cur or currency, currency)
        except MissingFx:
            skipped[cur or "?"] += 1
            return None

    partners = [PartnerInfo(p.id, p.name, p.tier) for p in
                session.exec(select(Partner).where(col(Partner.deleted_at).is_(None))).all()]
    regs = session.exec(select(Registration).where(col(Registration.deleted_at).is_(None))).all()
    reg_created = {r.id: r.created_at.date() for r in regs}
    registrations = [RegistrationFact(
        r.partner_id, r.created_at.date(), approved=r.approved_at is not None or r.status in APPROVED,
        rejected=r.status == "rejected", conflict=bool(getattr(r, "conflict_reason", None)),
    ) for r in regs]
    deal_rows = session.exec(select(Deal).where(col(Deal.deleted_at).is_(None))).all()
    deals = [DealFact(d.partner_id, d.close_date, d.is_won, d.is_closed or d.is_won,
                      to_report(d.amount, d.currency) if d.is_won and d.close_date in period else None,
                      reg_created.get(d.registration_id or "", d.created_at.date()))
             for d in deal_rows]
    close_dates = {d.id: d.close_date for d in deal_rows}
    lines = []
    for line in session.exec(select(CommissionLine).where(col(CommissionLine.deleted_at).is_(None))).all():
        day = close_dates.get(line.deal_id) or (line.calculated_at or line.created_at).date()
        if day in period and (amount := to_report(line.amount, line.currency)) is not None:
            lines.append(LineFact(line.partner_id, day, amount, line.status == "paid"))
    report = ScorecardReport(period, currency, now or utcnow(),
                             scorecards(period, currency, partners, registrations, deals, lines, targets))
    for cur, count in sorted(skipped.items()):
        report.notes.append(f"{count} amount(s) in {cur} left out: no commissions.fx rate to convert into {currency}")
    return report


COLUMNS = ("partner", "tier", "registrations", "approval_rate", "conflict_rate", "deals_won", "revenue",
           "win_rate", "average_deal_size", "average_cycle_days", "commission_earned", "commission_paid",
           "next_tier", "tier_progress")


def card_rows(report: ScorecardReport) -> list[dict[str, object]]:
    """Flat rows (Decimal kept) for table/CSV/JSON output."""
    return [{"partner_id": c.partner_id, "period": c.period, "currency": c.currency,
             **{k: getattr(c, k) for k in COLUMNS}} for c in report.cards]
