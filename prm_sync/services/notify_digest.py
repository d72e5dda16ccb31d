"""The weekly channel-manager digest: per channel manager, their partners' registrations waiting
for approval, registrations expiring this week, open channel conflicts, commission lines waiting
for approval, and partners whose score dropped (last month's revenue below the month before, from
the scorecards).

`notify send` records it on `notifications.digest_weekday` (once per manager and ISO week);
`notify digest` records it now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from prm_sync.config import Config
from prm_sync.domain.commissions.periods import period_of
from prm_sync.domain.notifications import Kind, NotifyPolicy
from prm_sync.services.scorecards import build_scorecards
from prm_sync.store import CommissionLine, Partner, Registration
from prm_sync.store.outbox import record

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OPEN = ("submitted", "approved")


def _by_manager(session: Session) -> dict[str, dict[str, str]]:
    """channel manager email -> {partner id: name} (live partners)."""
    out: dict[str, dict[str, str]] = {}
    for pid, name, manager in session.exec(select(Partner.id, Partner.name, Partner.channel_manager).where(
            col(Partner.deleted_at).is_(None), col(Partner.channel_manager).is_not(None))).all():
        out.setdefault(str(manager).strip().lower(), {})[pid] = name
    return out


def _score_dropped(session: Session, config: Config, today: dt.date) -> set[str]:
    last = period_of(today.replace(day=1) - dt.timedelta(days=1), "month")
    before = period_of(last.start - dt.timedelta(days=1), "month")
    now_cards = {c.partner_id: c.revenue for c in build_scorecards(session, config.commissions, last).cards}
    old_cards = {c.partner_id: c.revenue for c in build_scorecards(session, config.commissions, before).cards}
    return {pid for pid, revenue in now_cards.items() if revenue < old_cards.get(pid, revenue)}


def digest_sections(session: Session, partners: dict[str, str], today: dt.date,
                    dropped: set[str]) -> dict[str, list[dict[str, Any]]]:
    ids = list(partners)
    regs = session.exec(select(Registration).where(col(Registration.partner_id).in_(ids),
                                                   col(Registration.deleted_at).is_(None),
                                                   col(Registration.status).in_(OPEN))).all()
    week_end = today + dt.timedelta(days=7)

    def reg_item(reg: Registration) -> dict[str, Any]:
        ends = reg.extended_until or reg.expires_at
        return {"id": reg.id, "partner": partners[reg.partner_id], "company": reg.company,
                "expires_on": ends.date().isoformat() if ends else None, "conflict_with": reg.conflict_with}

    lines = session.exec(select(CommissionLine).where(col(CommissionLine.partner_id).in_(ids),
                                                      CommissionLine.status == "calculated",
                                                      col(CommissionLine.deleted_at).is_(None))).all()
    return {
        "waiting_approval": [reg_item(r) for r in regs if r.status == "submitted"],
        "expiring": [reg_item(r) for r in regs
                     if (r.extended_until or r.expires_at) and today <= (r.extended_until or r.expires_at).date()  # type: ignore[union-attr]
                     <= week_end],
        "conflicts": [reg_item(r) for r in regs if r.conflict_reason],
        "commissions_waiting": [{"id": x.id, "partner": partners[x.partner_id], "amount": str(x.amount),
                                 "currency": x.currency, "period": x.period} for x in lines],
        "score_dropped": [{"id": pid, "partner": partners[pid]} for pid in sorted(dropped & set(ids))],
    }


def record_digests(session: Session, config: Config, policy: NotifyPolicy, now: dt.datetime) -> int:
    """A digest event per channel manager for this ISO week (idempotent); returns how many were new."""
    today = now.date()
    year, week, _ = today.isocalendar()
    dropped = _score_dropped(session, config, today)
    count = 0
    for manager, partners in sorted(_by_manager(session).items()):
        sections = digest_sections(session, partners, today, dropped)
        if record(session, policy, Kind.DIGEST, partner_id=None, subject_id=manager, extra_key=f"{year}-W{week:02d}",
                  occurred_at=now, now=now,
                  payload={"channel_manager": manager, "today": today.isoformat(), "sections": sections}):
            count += 1
    return count


def digest_due(weekday: str, now: dt.datetime) -> bool:
    return WEEKDAYS[now.weekday()] == weekday
