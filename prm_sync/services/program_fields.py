"""The partner fields the program drives: tier changes with history, the discount that follows
the tier, and the count of valid certifications (pushed to the CRM, recomputed each sync).

`refresh_program_fields` runs in the sync (before the run's pushes and after the partners'
pull), so a tier set in the CRM gets its discount in the same run and a certification that
expired yesterday lowers the CRM's count today. It writes only rows whose values differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.partners import check_tier
from prm_sync.errors import UsageError
from prm_sync.program_config import ProgramSettings
from prm_sync.rules.program_fields import discount_percent
from prm_sync.store import Partner, PartnerTierChange
from prm_sync.store.types import utcnow


def change_tier(session: Session, partner: Partner, tier: str, *, program: ProgramSettings | None, reason: str,
                actor: str, now: dt.datetime | None = None) -> PartnerTierChange:
    """Set the tier (and, with a program, the discount that goes with it) and keep the step in history."""
    to_discount = discount_percent(program, tier) if program is not None else partner.discount_percent
    change = PartnerTierChange(partner_id=partner.id, from_tier=partner.tier, to_tier=tier,
                               from_discount=partner.discount_percent, to_discount=to_discount,
                               reason=reason, actor=actor, at=now or utcnow())
    partner.tier, partner.discount_percent = tier, to_discount
    session.add(partner)
    session.add(change)
    return change


def tier_history(session: Session, partner_id: str) -> list[PartnerTierChange]:
    query = select(PartnerTierChange).where(PartnerTierChange.partner_id == partner_id)
    return list(session.exec(query.order_by(col(PartnerTierChange.at), col(PartnerTierChange.id))).all())


def set_tier_by_hand(session: Session, key: str, tier: str, *, tiers: Sequence[str],
                     program: ProgramSettings | None, actor: str, reason: str | None = None,
                     pinned_until: dt.date | None = None, now: dt.datetime | None = None) -> PartnerTierChange:
    """`partners set-tier`: a tier chosen by a person, optionally pinned (tier review leaves it alone
    until that day, inclusive)."""
    from prm_sync.services.partners import find_partner

    partner = find_partner(session, key)
    try:
        tier = check_tier(tier, tiers)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    when = now or utcnow()
    if pinned_until is not None and pinned_until < when.date():
        raise UsageError(f"--pin-until {pinned_until} is in the past")
    text = (reason or "").strip() or "set by hand"
    if pinned_until is not None:
        text += f" (pinned until {pinned_until})"
    partner.tier_pinned_until = pinned_until
    return change_tier(session, partner, tier, program=program, reason=text, actor=actor, now=when)


