"""Registration rules applied to the store: the conflict index, channel-conflict checks, expiry.

The conflict index is built once per unit of work from the store (registrations that hold a
customer, and CRM deals), then asked in memory for each candidate.

Run by the sync (and by the registration use cases in prm_sync.services.registrations):
- `expire_registrations(session, now)`: open registrations past their protection end -> expired.
- `check_pulled_registrations(session, ids, now, settings)`: after registrations come in from
  the CRM: a CRM approval starts the protection period, and the channel conflict is computed
  and stored (conflict_reason / conflict_with / conflict_detail).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, func, update
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
from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.domain.registrations import CUSTOMER_STATUSES, OPEN_STATUSES, Protection, RegistrationLike
from prm_sync.store import Deal, Partner, Registration
from prm_sync.store.notify_events import registration_changed

R = TypeVar("R", bound=RegistrationLike)


def keys_of(settings: RegistrationSettings, company: str | None, email: str | None,
            website: str | None) -> CustomerKeys:
    return customer_keys(company, email, website, match_on=settings.match_on,
                         extra_free_mail=settings.free_mail_domains)


def protection_of(reg: RegistrationLike) -> Protection:
    return Protection(reg.status, reg.created_at, reg.approved_at, reg.expires_at, reg.extended_until)


def build_conflict_index(session: Session, settings: RegistrationSettings) -> ConflictIndex:
    """Every registration and deal that holds a customer, indexed by customer key (3 queries).

    Partner names come with the rows (an outer join), not as a map of every partner: a first load
    of 100,000 partners would otherwise hold them all (~20 MB) to name the holders of an index that
    is empty. Each partner's name is one string, shared by its holders."""
    names: dict[str, str] = {}
    index = ConflictIndex()
    holding = list(OPEN_STATUSES | CUSTOMER_STATUSES)
    regs = session.exec(
        select(Registration.id, Registration.partner_id, Registration.company, Registration.email,  # type: ignore[call-overload, misc]  # sqlmodel types select() for at most 4 columns
               Registration.website, Registration.status, Registration.converted, Registration.created_at,
               Registration.approved_at, Registration.expires_at, Registration.extended_until, Partner.name)
        .outerjoin(Partner, col(Partner.id) == col(Registration.partner_id))
        .where(col(Registration.deleted_at).is_(None))
        .where(or_(col(Registration.status).in_(holding), col(Registration.converted).is_(True)))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    reg_keys: dict[str, CustomerKeys] = {}
    for rid, pid, company, email, website, status, converted, created, approved, expires, extended, pname in regs:
        keys = reg_keys[rid] = index.shared_keys(keys_of(settings, company, email, website))
        holder = registration_holder(rid, pid, _shared_name(names, pid, pname), keys,
                                     Protection(status, created, approved, expires, extended),
                                     converted=converted, protection_days=settings.protection_days)
        if holder is not None:
            index.add(holder)
    deals = session.exec(
        select(Deal.id, Deal.partner_id, Deal.name, Deal.stage, Deal.is_closed, Deal.is_won, Deal.registration_id,  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
               Partner.name)
        .outerjoin(Partner, col(Partner.id) == col(Deal.partner_id))
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
    for did, pid, name, stage, closed, won, reg_id, pname in deals:
        held = deal_keys(name, reg_keys.get(reg_id) if reg_id else None)
        index.add_all(deal_holders(did, pid, _shared_name(names, pid, pname), held, stage=stage, is_closed=closed,
                                   is_won=won))
    return index


def _shared_name(names: dict[str, str], partner_id: str, name: str | None) -> str:
    """The partner's name (its id when the partner is not in the store), one string per partner."""
    shared = names.get(partner_id)
    if shared is None:
        shared = names[partner_id] = name if name is not None else partner_id
    return shared


def flag(reg: RegistrationLike, conflicts: list[ChannelConflict]) -> None:
    reg.conflict_reason, reg.conflict_with, reg.conflict_detail = summarize(conflicts)


def recheck_conflicts(
    session: Session, reg: RegistrationLike, settings: RegistrationSettings, now: dt.datetime,
    index: ConflictIndex | None = None, keys: CustomerKeys | None = None,
) -> list[ChannelConflict]:
    """Recompute and store a registration's conflicts against what was registered before it
    (`keys`: its customer keys, when the caller has them already)."""
    index = index or build_conflict_index(session, settings)
    keys = keys if keys is not None else keys_of(settings, reg.company, reg.email, reg.website)
    conflicts = index.find(keys, reg.partner_id, now, exclude_id=reg.id, registered_at=reg.created_at,
                           limit=DETAIL_LIMIT + 1)
    flag(reg, conflicts)
    return conflicts


#: how far past `now` the database's filter of ended protections looks (`may_have_ended`): the rule
#: itself decides at the second, the filter only has to keep every registration that may have ended
FILTER_SLACK = dt.timedelta(days=1)


def may_have_ended(now: dt.datetime, protection_days: int) -> ColumnElement[bool]:
    """A condition met by every registration whose protection may have ended at `now`
    (`Protection.ends_at` in SQL, a day later: a superset the rule then decides row by row). Every
    sync checks expiry; the database leaves out the registrations still protected, instead of the
    run reading every open one (100,000 of them: ~5 % of a no-op run)."""
    by = now + FILTER_SLACK
    started = func.coalesce(col(Registration.approved_at), col(Registration.created_at))
    return and_(or_(col(Registration.extended_until).is_(None), col(Registration.extended_until) <= by),
                or_(col(Registration.expires_at) <= by,
                    and_(col(Registration.expires_at).is_(None), started <= by - dt.timedelta(days=protection_days))))


def expire_registrations(session: Session, now: dt.datetime, *, protection_days: int = 90,
                         notify: NotifyPolicy | None = None) -> list[str]:
    """Mark open registrations whose protection has ended as expired; return their ids (with `notify`,
    each partner hears of it through the outbox, in the same transaction).
    Pure store work (no CRM call): the next sync pushes the new status. Only the dates it needs
    are read, so one hand-edited row with a broken amount cannot stop every sync."""
    expired = []
    rows = session.exec(
        select(Registration.id, Registration.status, Registration.created_at, Registration.approved_at,  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
               Registration.expires_at, Registration.extended_until)
        .where(col(Registration.status).in_(list(OPEN_STATUSES)))
        .where(col(Registration.deleted_at).is_(None), may_have_ended(now, protection_days))
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
    session: Session, regs: Iterable[R], now: dt.datetime, settings: RegistrationSettings,
    index: ConflictIndex, *, add_to_index: bool = False, names: dict[str, str] | None = None,
) -> list[R]:
    """`check_pulled_registrations` with the rows (stored rows or the sync's drafts: anything
    RegistrationLike) and a conflict index at hand: the sync builds
    the index (and the partner names) once per run and, with `add_to_index`, adds each checked
    registration to it. It adds nothing to the session: rows loaded from it are written with their
    changes at its next flush; rows not yet stored are the caller's to write."""
    flagged = []
    protection = dt.timedelta(days=settings.protection_days)
    # registration time -> the end of its protection: the registrations of a pulled page share one
    # creation time, and so one end (one object, which the store's writer sends and formats once)
    ends: dict[dt.datetime, dt.datetime] = {now: now + protection}
    for reg in regs:
        if reg.status == "approved" and reg.approved_at is None:
            reg.approved_at = now
            reg.expires_at = ends[now]
        elif reg.expires_at is None:
            end = ends.get(reg.created_at)
            if end is None:
                end = ends[reg.created_at] = reg.created_at + protection
            reg.expires_at = end
        keys = keys_of(settings, reg.company, reg.email, reg.website)  # once: the check and the index use them
        if add_to_index:
            keys = index.shared_keys(keys)
        if reg.status in OPEN_STATUSES:  # recheck_conflicts, through the index's remembered summaries
            reg.conflict_reason, reg.conflict_with, reg.conflict_detail = index.summary(
                keys, reg.partner_id, now, exclude_id=reg.id, registered_at=reg.created_at)
            if reg.conflict_reason is not None:
                flagged.append(reg)
        if add_to_index:
            if names is None:
                names = dict(session.exec(select(Partner.id, Partner.name)).all())
            holder = registration_holder(
                reg.id, reg.partner_id, names.get(reg.partner_id, reg.partner_id),
                keys,
                Protection(reg.status, reg.created_at, reg.approved_at, reg.expires_at, reg.extended_until),
                converted=reg.converted, protection_days=settings.protection_days)
            if holder is not None:
                index.add(holder)
    return flagged
