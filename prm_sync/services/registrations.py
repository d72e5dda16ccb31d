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
from collections.abc import Mapping

from sqlmodel import Session, col, select

from prm_sync.config import RegistrationSettings
from prm_sync.domain.channel_conflicts import (
    ChannelConflict,
)
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.notifications import NotifyPolicy
from prm_sync.domain.partners import may_register
from prm_sync.domain.registrations import (
    OPEN_STATUSES,
    check_registration_transition,
    extended_end,
    parse_registration,
)
from prm_sync.errors import UsageError
from prm_sync.rules.registrations import build_conflict_index, flag, keys_of, protection_of, recheck_conflicts
from prm_sync.services.partners import find_partner
from prm_sync.store import Partner, Registration
from prm_sync.store.notify_events import conflict_flagged, registration_changed

MIN_ID_PREFIX = 6


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

