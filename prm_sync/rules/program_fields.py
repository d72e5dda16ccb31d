"""The partner fields the program drives, applied to the store: the discount that follows the tier,
the count of valid certifications, the history of a tier the CRM changed.

`refresh_program_fields` runs in the sync (before the run's pushes and after the partners'
pull), so a tier set in the CRM gets its discount in the same run and a certification that
expired yesterday lowers the CRM's count today. It writes only rows whose values differ.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from prm_sync.program_config import ProgramSettings
from prm_sync.store import Certification, Partner, PartnerTierChange

HUNDRED = Decimal(100)


CENT = Decimal("0.01")


def discount_percent(program: ProgramSettings | None, tier: str) -> Decimal | None:
    """The tier's discount as a percentage (20.00 for "20%"); None without a program or a discount."""
    rate = program.discount_for(tier) if program is not None else None
    return None if rate is None else (rate * HUNDRED).quantize(CENT)


def valid_certification_counts(session: Session, day: dt.date) -> dict[str, int]:
    """Per partner: distinct (certification, holder) pairs valid on `day`."""
    query = select(Certification.partner_id, Certification.catalogue_id, Certification.name,
                   Certification.holder).where(
        col(Certification.earned_on) <= day,
        or_(col(Certification.expires_on).is_(None), col(Certification.expires_on) >= day))
    held: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    for partner_id, catalogue_id, name, holder in session.exec(query):
        held[partner_id].add((catalogue_id or name, holder))
    return {partner_id: len(pairs) for partner_id, pairs in held.items()}


def may_be_stale(session: Session, program: ProgramSettings | None) -> ColumnElement[bool]:
    """A condition met by every partner whose program fields may need a change: one with a count
    or a certification, and one whose discount is not its tier's (each tier's discount worked out
    in Python, by `discount_percent`). A superset: the caller still decides each row. The database
    filters, so a run reads the few partners that may change instead of all of them (two reads of
    100,000 partners took ~0.25 s of a 1 s no-op run)."""
    conditions: list[ColumnElement[bool]] = [
        col(Partner.valid_certifications).is_not(None),
        col(Partner.id).in_(select(Certification.partner_id)),
    ]
    if program is None or not program.discounts:
        conditions.append(col(Partner.discount_percent).is_not(None))
    else:
        tiers = session.exec(select(col(Partner.tier)).distinct()).all()
        conditions += [(col(Partner.tier) == tier) & col(Partner.discount_percent).is_distinct_from(
            discount_percent(program, tier)) for tier in tiers]
    return or_(*conditions)


def refresh_program_fields(session: Session, program: ProgramSettings | None, now: dt.datetime) -> int:
    """Bring every live partner's discount (with a program) and valid certification count up to
    date; returns how many partners changed (their `updated_at` moves, so the push carries them).
    A partner that never held a certification keeps an empty count (a first sync pushes nothing new)."""
    counts = valid_certification_counts(session, now.date())
    rows = session.exec(select(col(Partner.id), col(Partner.tier), col(Partner.discount_percent),
                               col(Partner.valid_certifications))
                        .where(col(Partner.deleted_at).is_(None), may_be_stale(session, program))).all()
    changed = []
    for partner_id, tier, discount, valid in rows:
        values: dict[str, object] = {}
        if program is not None and (want := discount_percent(program, tier)) != discount:
            values["discount_percent"] = want
        count = counts.get(partner_id, 0)
        if count != valid and (count or valid is not None):   # None: never held one (left empty, not 0)
            values["valid_certifications"] = count
        if values:
            changed.append({"id": partner_id, **values})
    before = {partner_id: (tier, discount) for partner_id, tier, discount, _ in rows}
    if changed:   # one executemany per set of columns (ORM bulk UPDATE by primary key)
        session.execute(update(Partner), [{**values, "updated_at": now} for values in changed])
    for values in changed:
        tier, old = before[str(values["id"])]
        if "discount_percent" in values and old is not None:   # a first discount is no change
            _discount_history(session, str(values["id"]), tier, old, cast(Decimal | None, values["discount_percent"]),
                              now)
    return len(changed)


def _discount_history(session: Session, partner_id: str, tier: str, old: Decimal | None,
                      discount: Decimal | None,
                      now: dt.datetime) -> None:
    """A discount that moved without a tier change (program.discounts edited) gets its history
    row, unless the last row already records it (a tier change written by the CLI or the CRM)."""
    last = session.exec(select(PartnerTierChange).where(PartnerTierChange.partner_id == partner_id)
                        .order_by(col(PartnerTierChange.at).desc(), col(PartnerTierChange.id).desc())).first()
    if last is not None and last.to_tier == tier and last.to_discount == discount:
        return
    session.add(PartnerTierChange(partner_id=partner_id, from_tier=tier, to_tier=tier,
                                  from_discount=old, to_discount=discount,
                                  reason="discount of the tier from program.discounts",
                                  actor="program", at=now))


def record_crm_tier_change(new_rows: Any, partner: Any, before_after: tuple[Any, Any],
                           program: ProgramSettings | None, now: dt.datetime) -> None:
    """History for a tier the CRM changed (the row already holds the new tier). `new_rows` is the
    sync's pending-row writer; the discount itself is set by `refresh_program_fields`."""
    before, after = before_after
    to_discount = discount_percent(program, after) if program is not None else partner.discount_percent
    reason = "set in the CRM"
    if program is not None and program.crm_tier_pin_days:
        partner.tier_pinned_until = now.date() + dt.timedelta(days=program.crm_tier_pin_days)
        reason += f" (pinned until {partner.tier_pinned_until})"
    new_rows.new(PartnerTierChange, {
        "partner_id": partner.id, "from_tier": before, "to_tier": after, "from_discount": partner.discount_percent,
        "to_discount": to_discount, "reason": reason, "actor": "crm", "at": now})
