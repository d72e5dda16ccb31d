"""Scorecards: load a period's partners, registrations, deals and commission lines, convert the
money into one report currency, and ask the domain for the figures.

The report currency is the currency of the commission plan in force at the period's end (else
the first plan's, else USD); amounts in other currencies are converted with `commissions.fx`.
Amounts that cannot be converted are left out, and said so in `ScorecardReport.notes`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from prm_sync.domain.commissions import MissingFx, Period, convert, plan_for
from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.domain.partner_score import PartnerScore
from prm_sync.domain.scorecard_trends import RollUp, TrendRow, last_periods, roll_up, trends
from prm_sync.domain.scorecards import (
    DealFact,
    LineFact,
    PartnerInfo,
    PipelineFact,
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


@dataclass
class ScorecardFacts:
    """Everything the scorecards read, converted into one report currency (loaded once, used for
    every period of a trend)."""

    currency: str
    partners: list[PartnerInfo]
    registrations: list[RegistrationFact]
    deals: list[DealFact]
    lines: list[LineFact]
    pipeline: list[PipelineFact]
    notes: list[str]


def load_facts(session: Session, settings: CommissionSettings | None, currency: str) -> ScorecardFacts:
    fx = settings or CommissionSettings()
    skipped: Counter[str] = Counter()

    def to_report(amount: Decimal | None, cur: str | None) -> Decimal | None:
        if amount is None:
            return None
        try:
            return convert(fx, amount, cur or currency, currency)
        except MissingFx:
            skipped[cur or "?"] += 1
            return None

    partners = [PartnerInfo(p.id, p.name, p.tier, p.channel_manager,
                            tuple(t for t in (p.territories or "").split(",") if t)) for p in
                session.exec(select(Partner).where(col(Partner.deleted_at).is_(None))).all()]
    regs = session.exec(select(Registration).where(col(Registration.deleted_at).is_(None))).all()
    reg_created = {r.id: r.created_at.date() for r in regs}
    registrations = [RegistrationFact(
        r.partner_id, r.created_at.date(), approved=r.approved_at is not None or r.status in APPROVED,
        rejected=r.status == "rejected", conflict=bool(getattr(r, "conflict_reason", None)),
    ) for r in regs]
    deal_rows = session.exec(select(Deal).where(col(Deal.deleted_at).is_(None))).all()
    deals = [DealFact(d.partner_id, d.close_date, d.is_won, d.is_closed or d.is_won,
                      to_report(d.amount, d.currency) if d.is_won and d.close_date else None,
                      reg_created.get(d.registration_id or "", d.created_at.date()))
             for d in deal_rows]
    pipeline = [PipelineFact(d.partner_id, d.close_date, amount) for d in deal_rows
                if not (d.is_closed or d.is_won) and d.close_date is not None
                and (amount := to_report(d.amount, d.currency)) is not None]
    pipeline += [PipelineFact(r.partner_id, r.expected_close, amount) for r in regs
                 if r.status == "approved" and r.expected_close is not None
                 and (amount := to_report(r.estimated_value, r.currency)) is not None]
    close_dates = {d.id: d.close_date for d in deal_rows}
    lines = []
    for line in session.exec(select(CommissionLine).where(col(CommissionLine.deleted_at).is_(None))).all():
        day = close_dates.get(line.deal_id) or (line.calculated_at or line.created_at).date()
        if (amount := to_report(line.amount, line.currency)) is not None:
            lines.append(LineFact(line.partner_id, day, amount, line.status == "paid"))
    notes = [f"{count} amount(s) in {cur} left out: no commissions.fx rate to convert into {currency}"
             for cur, count in sorted(skipped.items())]
    return ScorecardFacts(currency, partners, registrations, deals, lines, pipeline, notes)


def cards_for(facts: ScorecardFacts, period: Period, targets: Sequence[TierTarget] = ()) -> list[Scorecard]:
    return scorecards(period, facts.currency, facts.partners, facts.registrations, facts.deals, facts.lines,
                      targets, facts.pipeline)


def build_scorecards(session: Session, settings: CommissionSettings | None, period: Period,
                     now: dt.datetime | None = None, targets: Sequence[TierTarget] = ()) -> ScorecardReport:
    facts = load_facts(session, settings, report_currency(settings, period))
    return ScorecardReport(period, facts.currency, now or utcnow(), cards_for(facts, period, targets),
                           list(facts.notes))


@dataclass
class TrendReport:
    periods: list[Period]
    currency: str
    generated_at: dt.datetime
    by: RollUp | None
    series: list[list[Scorecard]]        # per period, oldest first (partners, or groups)
    rows: list[TrendRow]
    notes: list[str] = field(default_factory=list)


def build_trend(session: Session, settings: CommissionSettings | None, period: Period, count: int, *,
                by: RollUp | None = None, now: dt.datetime | None = None) -> TrendReport:
    """The last `count` periods ending with `period`, per partner or rolled up `by`."""
    periods = last_periods(period, count)
    facts = load_facts(session, settings, report_currency(settings, period))
    info = {p.id: p for p in facts.partners}
    series = []
    for each in periods:
        cards = cards_for(facts, each)
        series.append(roll_up(cards, info, by) if by else cards)
    return TrendReport(periods, facts.currency, now or utcnow(), by, series, trends(series), list(facts.notes))


def rolled_up(report: ScorecardReport, session: Session, by: RollUp) -> ScorecardReport:
    """The report's cards rolled up `by` (a single period)."""
    partners = {p.id: PartnerInfo(p.id, p.name, p.tier, p.channel_manager,
                                  tuple(t for t in (p.territories or "").split(",") if t))
                for p in session.exec(select(Partner)).all()}
    return ScorecardReport(report.period, report.currency, report.generated_at,
                           roll_up(report.cards, partners, by), report.notes)


COLUMNS = ("partner", "tier", "registrations", "approval_rate", "conflict_rate", "deals_won", "revenue",
           "open_pipeline", "win_rate", "average_deal_size", "average_cycle_days", "commission_earned",
           "commission_paid", "next_tier", "tier_progress", "score")


def add_scores(report: ScorecardReport, scores: Mapping[str, PartnerScore]) -> None:
    """Put each partner's score (on the period's last day) on its card."""
    for card in report.cards:
        if (scored := scores.get(card.partner_id)) is not None:
            card.score = scored.score


def card_rows(report: ScorecardReport) -> list[dict[str, object]]:
    """Flat rows (Decimal kept) for table/CSV/JSON output."""
    return [{"partner_id": c.partner_id, "period": c.period, "currency": c.currency,
             **{k: getattr(c, k) for k in COLUMNS}} for c in report.cards]
