"""Deal registration use cases: register, approve, reject, extend, expire, list, conflict checks.

The conflict index is built once per unit of work from the store (registrations that hold a
customer, and CRM deals), then asked in memory for each candidate.

Sync hooks (called by the engine, not by people):
- `expire_registrations(session, now)`: open registrations past their protection end -> expired.
- `check_pulled_registrations(session, ids, now, settings)`: after registrations come in from
  the CRM: a CRM approval starts the protection period, and the channel conflict is computed
  and stored (conflict_reason / conflict_with / conflict_detail).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from prm_sync.config import RegistrationSettings
from prm_sync.domain.channel_conflicts import (
    DETAIL_LIMIT,
    ChannelConflict,
    ConflictIndex,
    deal_holders,
    deal_keys,
    registration_holder,
    summarize,
)
from prm_sync.domain.customer_identity import CustomerKeys, customer_keys
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.domain.partners import may_register
from prm_sync.domain.registrations import (
    CUSTOMER_STATUSES,
    OPEN_STATUSES,
    Protection,
    check_registration_transition,
    extended_end,
    parse_registration,
)
from prm_sync.errors import UsageError
from prm_sync.services.partners import find_partner
from prm_sync.store import Deal, Partner, Registration
from prm_sync.store.notify_events import conflict_flagged, registration_changed

MIN_ID_PREFIX = 6


def keys_of(settings: RegistrationSettings, company: str | None, email: str | None,
            website: str | None) -> CustomerKeys:
    return customer_keys(company, email, website, match_on=settings.match_on,
                         extra_free_mail=settings.free_mail_domains)


def protection_of(reg: Registration) -> Protection:
    return Protection(reg.status, reg.created_at, reg.approved_at, reg.expires_at, reg.extended_until)


def build_conflict_index(session: Session, settings: RegistrationSettings) -> ConflictIndex:
    """Every registration and deal that holds a customer, indexed by customer key (3 queries)."""
    names = dict(session.exec(select(Partner.id, Partner.name)).all())
    index = ConflictIndex()
    holding = list(OPEN_STATUSES | CUSTOMER_STATUSES)
    regs = session.exec(
        select(Registration.id, Registration.partner_id, Registration.company, Registration.email,
               Registration.website, Registration.status, Registration.converted, Registration.created_at,
               Registration.approved_at, Registration.expires_at, Registration.extended_until)
        .where(col(Registration.deleted_at).is_(None))
        .where(or_(col(Registration.status).in_(holding), col(Registration.converted).is_(True)))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    reg_keys: dict[str, CustomerKeys] = {}
    for rid, pid, company, email, website, status, converted, created, approved, expires, extended in regs:
        keys = reg_keys[rid] = keys_of(settings, company, email, website)
        holder = registration_holder(rid, pid, names.get(pid, pid), keys,
                                     Protection(status, created, approved, expires, extended),
                                     converted=converted, protection_days=settings.protection_days)
        if holder is not None:
            index.add(holder)
    deals = session.exec(
        select(Deal.id, Deal.partner_id, Deal.name, Deal.stage, Deal.is_closed, Deal.is_won, Deal.registration_id)
        .where(col(Deal.deleted_at).is_(None))
        .where(or_(col(Deal.is_closed).is_(False), col(Deal.is_won).is_(True)))
    ).all()
    missing = {d[6] for d in deals if d[6] and d[6] not in reg_keys}
    if missing:
        for rid, company, email, website in session.exec(
            select(Registration.id, Registration.company, Registration.email, Registration.website)
            .where(col(Registration.id).in_(missing))
        ).all():
            reg_keys[rid] = keys_of(settings, company, email, website)
    for did, pid, name, stage, closed, won, reg_id in deals:
        keys = deal_keys(name, reg_keys.get(reg_id) if reg_id else None)
        index.add_all(deal_holders(did, pid, names.get(pid, pid), keys, stage=stage, is_closed=closed, is_won=won))
    return index


def flag(reg: Registration, conflicts: list[ChannelConflict]) -> None:
    reg.conflict_reason, reg.conflict_with, reg.conflict_detail = summarize(conflicts)


def register_lead(
    session: Session, raw: Mapping[str, str | None], settings: RegistrationSettings, now: dt.datetime,
    notify: NotifyPolicy | None = None,
) -> tuple[Registration, list[ChannelConflict]]:
    """Validate and store one registration; a channel conflict flags it (it is still registered).
    With `notify`, the partner hears it was received and its channel manager of a conflict."""
    try:
        data = parse_registration(raw, today=now.date(), name_order=settings.name_order)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    partner = find_partner(session, data.partner)
    if not may_register(partner.status):
        raise UsageError(f"partner '{partner.name}' is {partner.status} and may not register deals")
    keys = keys_of(settings, data.company, data.email, data.website)
    conflicts = build_conflict_index(session, settings).find(keys, partner.id, now)
    reg = Registration(
        partner_id=partner.id, company=data.company, contact_first_name=data.contact_first_name,
        contact_last_name=data.contact_last_name, email=data.email, website=data.website,
        estimated_value=data.estimated_value, currency=data.currency, expected_close=data.expected_close,
        products=data.products, status="submitted", created_at=now, updated_at=now,
        expires_at=now + dt.timedelta(days=settings.protection_days),
    )
    flag(reg, conflicts)
    session.add(reg)
    session.flush()
    registration_changed(session, notify, reg, created=True, status_changed=False, occurred_at=now, now=now)
    if conflicts:
        conflict_flagged(session, notify, reg, occurred_at=now, now=now)
    return reg, conflicts


def find_registration(session: Session, key: str) -> Registration:
    """A registration by id, or by a unique id prefix of at least 6 characters."""
    key = key.strip().lower()
    reg = session.get(Registration, key)
    if reg is not None:
        return reg
    if len(key) >= MIN_ID_PREFIX:
        matches = session.exec(select(Registration).where(col(Registration.id).startswith(key))
                               .order_by(col(Registration.id)).limit(11)).all()
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "\n".join(f"  {r.id}  {r.company}  ({r.status})" for r in matches[:10])
            raise UsageError(f"registration id prefix '{key}' is ambiguous: it matches these registrations; "
                             f"give more of the id\n{listed}" + ("\n  …" if len(matches) > 10 else ""))
    raise UsageError(f"no registration with id '{key}'")


def _move(reg: Registration, target: str) -> None:
    try:
        check_registration_transition(reg.status, target)
    except RuleViolation as exc:
        raise UsageError(f"registration {reg.id}: {exc}") from None


def recheck_conflicts(
    session: Session, reg: Registration, settings: RegistrationSettings, now: dt.datetime,
    index: ConflictIndex | None = None,
) -> list[ChannelConflict]:
    """Recompute and store a registration's conflicts against what was registered before it."""
    index = index or build_conflict_index(session, settings)
    keys = keys_of(settings, reg.company, reg.email, reg.website)
    conflicts = index.find(keys, reg.partner_id, now, exclude_id=reg.id, registered_at=reg.created_at,
                           limit=DETAIL_LIMIT + 1)
    flag(reg, conflicts)
    return conflicts


def approve_registration(
    session: Session, key: str, settings: RegistrationSettings, now: dt.datetime, *, force: bool = False,
    note: str | None = None, notify: NotifyPolicy | None = None,
) -> Registration:
    """Approve (or re-approve an expired one): the protection period starts again from now.
    A registration in conflict is refused unless `force`."""
    reg = find_registration(session, key)
    _move(reg, "approved")
    conflicts = recheck_conflicts(session, reg, settings, now)
    if conflicts and not force:
        raise UsageError(f"registration {reg.id} conflicts: {conflicts[0].message}; "
                         "use --force to approve it anyway")
    reg.status, reg.approved_at = "approved", now
    reg.expires_at, reg.extended_until = now + dt.timedelta(days=settings.protection_days), None
    reg.status_reason = note or ("approved despite conflict" if conflicts else None)
    session.add(reg)
    registration_changed(session, notify, reg, created=False, status_changed=True, occurred_at=now, now=now)
    return reg


def reject_registration(session: Session, key: str, reason: str, *, notify: NotifyPolicy | None = None,
                        now: dt.datetime | None = None) -> Registration:
    if not reason.strip():
        raise UsageError("reject needs a reason")
    reg = find_registration(session, key)
    _move(reg, "rejected")
    reg.status, reg.status_reason = "rejected", reason.strip()
    session.add(reg)
    if notify is not None:
        when = now or dt.datetime.now(dt.UTC)
        registration_changed(session, notify, reg, created=False, status_changed=True, occurred_at=when, now=when)
    return reg


def extend_registration(
    session: Session, key: str, days: int, settings: RegistrationSettings, now: dt.datetime,
) -> Registration:
    """Lengthen an open registration's protection by `days` (from its end, or from now if past)."""
    reg = find_registration(session, key)
    if reg.status not in OPEN_STATUSES:
        hint = " (re-approve it with `leads approve`)" if reg.status == "expired" else ""
        raise UsageError(f"registration {reg.id} is {reg.status}: only open registrations are extended{hint}")
    try:
        reg.extended_until = extended_end(protection_of(reg).ends_at(settings.protection_days), now, days)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    session.add(reg)
    return reg


def expire_registrations(session: Session, now: dt.datetime, *, protection_days: int = 90,
                         notify: NotifyPolicy | None = None) -> list[str]:
    """Mark open registrations whose protection has ended as expired; return their ids.
    Pure store work (no CRM call): the next sync pushes the new status. Only the dates it needs
    are read, so one hand-edited row with a broken amount cannot stop every sync."""
    expired = []
    rows = session.exec(
        select(Registration.id, Registration.status, Registration.created_at, Registration.approved_at,
               Registration.expires_at, Registration.extended_until)
        .where(col(Registration.status).in_(list(OPEN_STATUSES)))
        .where(col(Registration.deleted_at).is_(None))
    ).all()
    for reg_id, status, created, approved, expires, extended in rows:
        protection = Protection(status, created, approved, expires, extended)
        if protection.should_expire(now, protection_days):
            session.execute(
                update(Registration).where(col(Registration.id) == reg_id).values(
                    status="expired", updated_at=now,
                    status_reason=f"protection ended {protection.ends_at(protection_days):%Y-%m-%d}"))
            expired.append(reg_id)
    if notify is not None and expired:
        for reg in session.exec(select(Registration).where(col(Registration.id).in_(expired))).all():
            session.refresh(reg)
            registration_changed(session, notify, reg, created=False, status_changed=True, occurred_at=now, now=now)
    return expired


def check_pulled_registrations(
    session: Session, ids: Iterable[str], now: dt.datetime, settings: RegistrationSettings,
) -> list[Registration]:
    """For registrations the sync just brought in: a CRM approval without an approval time gets
    one (the protection period starts), a new registration without an end gets one, and open ones
    are checked for channel conflicts. Returns the rows now flagged."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    regs = list(session.exec(select(Registration).where(col(Registration.id).in_(wanted))).all())
    return check_registrations(session, regs, now, settings, build_conflict_index(session, settings))


def check_registrations(
    session: Session, regs: Iterable[Registration], now: dt.datetime, settings: RegistrationSettings,
    index: ConflictIndex, *, add_to_index: bool = False, names: dict[str, str] | None = None,
) -> list[Registration]:
    """`check_pulled_registrations` with the rows and a conflict index at hand: the sync builds
    the index (and the partner names) once per run and, with `add_to_index`, adds each checked
    registration to it. It adds nothing to the session: rows loaded from it are written with their
    changes at its next flush; rows not yet stored are the caller's to write."""
    flagged = []
    for reg in regs:
        if reg.status == "approved" and reg.approved_at is None:
            reg.approved_at = now
            reg.expires_at = now + dt.timedelta(days=settings.protection_days)
        elif reg.expires_at is None:
            reg.expires_at = reg.created_at + dt.timedelta(days=settings.protection_days)
        if reg.status in OPEN_STATUSES and recheck_conflicts(session, reg, settings, now, index):
            flagged.append(reg)
        if add_to_index:
            if names is None:
                names = dict(session.exec(select(Partner.id, Partner.name)).all())
            holder = registration_holder(
                reg.id, reg.partner_id, names.get(reg.partner_id, reg.partner_id),
                keys_of(settings, reg.company, reg.email, reg.website),
                Protection(reg.status, reg.created_at, reg.approved_at, reg.expires_at, reg.extended_until),
                converted=reg.converted, protection_days=settings.protection_days)
            if holder is not None:
                index.add(holder)
    return flagged


def list_registrations(
    session: Session, *, status: str | None = None, partner: str | None = None, conflicts_only: bool = False,
) -> list[tuple[Registration, str]]:
    """Registrations (not deleted) with their partner's name, newest first."""
    query = select(Registration, Partner.name).join(Partner, col(Partner.id) == Registration.partner_id)
    query = query.where(col(Registration.deleted_at).is_(None))
    if status:
        query = query.where(Registration.status == status)
    if partner:
        query = query.where(Registration.partner_id == find_partner(session, partner).id)
    if conflicts_only:
        query = query.where(col(Registration.conflict_reason).is_not(None))
    query = query.order_by(col(Registration.created_at).desc(), Registration.id)
    return [(reg, name) for reg, name in session.exec(query).all()]

