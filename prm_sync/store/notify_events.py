"""Which outbox events a registration change makes, and the time-driven scan.

Both run inside the caller's unit of work (CLI command or sync page), so an event exists exactly
when the change that caused it was committed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, or_, select

from prm_sync.domain.notifications import Kind, NotifyPolicy, crossed_threshold
from prm_sync.store.outbox import record
from prm_sync.store.tables.partners import Certification, Contract
from prm_sync.store.tables.registrations import Registration

STATUS_KINDS: dict[str, Kind] = {
    "approved": Kind.REGISTRATION_APPROVED,
    "rejected": Kind.REGISTRATION_REJECTED,
    "expired": Kind.REGISTRATION_EXPIRED,
}


def registration_payload(reg: Registration) -> dict[str, Any]:
    ends = reg.extended_until or reg.expires_at
    return {"registration_id": reg.id, "company": reg.company, "status": reg.status,
            "reason": reg.status_reason, "expires_on": ends.date().isoformat() if ends else None,
            "estimated_value": str(reg.estimated_value) if reg.estimated_value is not None else None,
            "currency": reg.currency, "conflict_with": reg.conflict_with, "conflict_reason": reg.conflict_reason}


def registration_changed(session: Session, policy: NotifyPolicy | None, reg: Registration, *, created: bool,
                         status_changed: bool, occurred_at: dt.datetime, now: dt.datetime) -> None:
    """Record what a new or changed registration tells its partner."""
    if policy is None:
        return
    if created and reg.status == "submitted":
        record(session, policy, Kind.REGISTRATION_RECEIVED, partner_id=reg.partner_id, subject_id=reg.id,
               occurred_at=occurred_at, now=now, payload=registration_payload(reg))
    if (created or status_changed) and reg.status in STATUS_KINDS:
        # a registration may be approved again after it expired: each approval is its own event
        record(session, policy, STATUS_KINDS[reg.status], partner_id=reg.partner_id, subject_id=reg.id,
               occurred_at=occurred_at, now=now, payload=registration_payload(reg),
               extra_key=occurred_at.isoformat() if reg.status == "approved" else None)


def conflict_flagged(session: Session, policy: NotifyPolicy | None, reg: Registration, *,
                     occurred_at: dt.datetime, now: dt.datetime) -> None:
    """A channel conflict was found on `reg`: its channel manager hears about it (once per other party)."""
    if policy is None or not reg.conflict_reason:
        return
    record(session, policy, Kind.CHANNEL_CONFLICT, partner_id=reg.partner_id, subject_id=reg.id,
           occurred_at=occurred_at, now=now, payload=registration_payload(reg), extra_key=reg.conflict_with)


def scan(session: Session, policy: NotifyPolicy | None, now: dt.datetime) -> int:
    """Time-driven notices: registrations expiring, contracts to renew, certifications expiring.
    One per record, kind and threshold; the smallest threshold reached is the one sent (a record
    first seen 5 days before its date gets the 7-day notice, not the 30-day one as well)."""
    if policy is None or not policy.live:
        return 0
    count = 0
    today = now.date()
    soon = now + dt.timedelta(days=max(policy.expiring_days, default=0) + 1)  # only rows that may be due
    for reg in session.exec(select(Registration).where(
            col(Registration.status).in_(["submitted", "approved"]), col(Registration.deleted_at).is_(None),
            col(Registration.expires_at).is_not(None),
            or_(col(Registration.expires_at) <= soon, col(Registration.extended_until) <= soon))).all():
        ends = reg.extended_until or reg.expires_at
        assert ends is not None
        threshold = crossed_threshold((ends.date() - today).days, policy.expiring_days)
        if threshold is not None and record(
                session, policy, Kind.REGISTRATION_EXPIRING, partner_id=reg.partner_id, subject_id=reg.id,
                threshold=threshold, occurred_at=now, now=now, extra_key=ends.date().isoformat(),
                payload={**registration_payload(reg), "days_left": (ends.date() - today).days}):
            count += 1
    for contract in session.exec(select(Contract).where(Contract.state == "active",
                                                        col(Contract.ends_on).is_not(None))).all():
        assert contract.ends_on is not None
        due = contract.ends_on - dt.timedelta(days=contract.notice_days or 0)
        threshold = crossed_threshold((due - today).days, policy.renewal_days)
        if threshold is not None and record(
                session, policy, Kind.CONTRACT_RENEWAL_DUE, partner_id=contract.partner_id, subject_id=contract.id,
                threshold=threshold, occurred_at=now, now=now, extra_key=contract.ends_on.isoformat(),
                payload={"contract_id": contract.id, "ends_on": contract.ends_on.isoformat(),
                         "notice_deadline": due.isoformat(), "auto_renew": contract.auto_renew,
                         "days_left": (due - today).days}):
            count += 1
    cert_soon = today + dt.timedelta(days=max(policy.certification_days, default=0) + 1)
    for cert in session.exec(select(Certification).where(col(Certification.expires_on).is_not(None),
                                                         col(Certification.expires_on) <= cert_soon)).all():
        assert cert.expires_on is not None
        threshold = crossed_threshold((cert.expires_on - today).days, policy.certification_days)
        if threshold is not None and record(
                session, policy, Kind.CERTIFICATION_EXPIRING, partner_id=cert.partner_id, subject_id=str(cert.id),
                threshold=threshold, occurred_at=now, now=now, extra_key=cert.expires_on.isoformat(),
                payload={"certification": cert.name, "holder": cert.holder, "expires_on": cert.expires_on.isoformat(),
                         "days_left": (cert.expires_on - today).days}):
            count += 1
    return count
