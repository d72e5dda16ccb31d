"""Partner use cases: add, find, list, lifecycle (status, tier), assignment, certifications."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.fields import PARTNER_STATUSES, PARTNER_TIERS
from prm_sync.domain.partners import check_certification, check_partner_transition, check_tier
from prm_sync.domain.territories import format_territories, parse_territories
from prm_sync.errors import UsageError
from prm_sync.services.partner_fields import SETTABLE, clean_values
from prm_sync.services.partner_lookup import describe, partners_named, resolve_partner
from prm_sync.store import Certification, Partner, PartnerStatusChange
from prm_sync.store.name_keys import name_key
from prm_sync.store.types import utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email_problem(email: str) -> str | None:
    return None if _EMAIL.match(email) else f"channel manager: '{email}' is not an email address"


def add_partner(
    session: Session, *, name: str, tier: str = "registered", status: str = "prospect",
    country: str | None = None, website: str | None = None, channel_manager: str | None = None,
    joined_on: dt.date | None = None, actor: str = "cli", territories: str | None = None,
    tiers: Sequence[str] = PARTNER_TIERS, phone: str | None = None, industry: str | None = None,
    allow_duplicate: bool = False,
) -> Partner:
    """Add a partner. A name another live partner already has (up to case and accents' encoding)
    is refused unless `allow_duplicate`: two such partners make every look-up by name ambiguous."""
    given = {"name": name, "tier": tier, "country": country, "website": website, "phone": phone,
             "industry": industry, "joined_on": joined_on, "channel_manager": channel_manager,
             "territories": territories}
    problems = []
    if status not in PARTNER_STATUSES:
        problems.append(f"status: '{status}' is not one of {', '.join(PARTNER_STATUSES)}")
    try:
        values = clean_values({k: v for k, v in given.items() if v is not None or k == "name"}, tiers)
    except UsageError as exc:
        problems.append(str(exc))
        values = {}
    if problems:
        raise UsageError("; ".join(problems))
    check_duplicate_name(session, values["name"], allow_duplicate=allow_duplicate)
    values.setdefault("territories", format_territories([]))
    partner = Partner(status=status, **values)
    session.add(partner)
    session.flush()
    session.add(PartnerStatusChange(
        partner_id=partner.id, from_status=None, to_status=status, reason="added", actor=actor,
    ))
    return partner


def check_duplicate_name(session: Session, name: str, *, allow_duplicate: bool, exclude: str | None = None) -> None:
    """Refuse a name another live partner has, unless `allow_duplicate` (UsageError listing them)."""
    same = partners_named(session, name, exclude=exclude)
    if same and not allow_duplicate:
        listed = "\n".join(f"  {describe(p)}" for p in same[:10])
        raise UsageError(f"a partner named '{name}' already exists:\n{listed}\nedit that one, or give "
                         "--allow-duplicate to keep two partners with one name (look-ups by name then need the id)")


def edit_partner(session: Session, key: str, changes: Mapping[str, Any], *, tiers: Sequence[str] = PARTNER_TIERS,
                 allow_duplicate: bool = False) -> tuple[Partner, dict[str, tuple[Any, Any]]]:
    """Set the given fields (None: leave, '': clear); returns the partner and what changed (old, new).
    Any change makes the next sync push the partner, which also lets `errors retry` resend a record
    the CRM rejected."""
    unknown = sorted(set(changes) - set(SETTABLE))
    if unknown:
        raise UsageError(f"cannot edit {', '.join(unknown)} (editable: {', '.join(SETTABLE)})")
    partner = find_partner(session, key)
    values = clean_values({k: v for k, v in changes.items() if v is not None}, tiers)
    if not values:
        raise UsageError(f"edit what? give one or more of {', '.join('--' + f.replace('_', '-') for f in SETTABLE)}")
    if "name" in values and name_key(values["name"]) != partner.name_key:
        check_duplicate_name(session, values["name"], allow_duplicate=allow_duplicate, exclude=partner.id)
    return partner, apply_changes(session, partner, values)


def apply_changes(session: Session, row: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set `values` on `row`; return {field: (before, after)} for those that differ (flushed if any)."""
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        if getattr(row, name) != value:
            changed[name] = (getattr(row, name), value)
            setattr(row, name, value)
    if changed:
        session.add(row)
        session.flush()
    return changed


def find_partner(session: Session, key: str) -> Partner:
    """A partner by id, name (Unicode case-insensitive) or unique id prefix; see `resolve_partner`."""
    return resolve_partner(session, key)


def list_partners(
    session: Session, *, status: str | None = None, tier: str | None = None, include_deleted: bool = False,
) -> list[Partner]:
    query = select(Partner)
    if status:
        query = query.where(Partner.status == status)
    if tier:
        query = query.where(Partner.tier == tier)
    if not include_deleted:
        query = query.where(col(Partner.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(Partner.name_key), Partner.id)).all())


def set_partner_status(
    session: Session, key: str, status: str, *, reason: str, actor: str, now: dt.datetime | None = None,
) -> PartnerStatusChange:
    """Move a partner through its lifecycle (allowed transitions only) and keep the step in history."""
    partner = find_partner(session, key)
    if not reason or not reason.strip():
        raise UsageError("a status change needs a reason (--reason)")
    try:
        check_partner_transition(partner.status, status, reason=reason)
    except RuleViolation as exc:
        raise UsageError(f"partner '{partner.name}': {exc}") from None
    change = record_status_change(session, partner, status, reason=reason.strip(), actor=actor, now=now)
    if status == "active" and partner.joined_on is None:
        partner.joined_on = (now or utcnow()).date()
    return change


def record_status_change(
    session: Session, partner: Partner, status: str, *, reason: str | None, actor: str,
    now: dt.datetime | None = None, previous: str | None = None,
) -> PartnerStatusChange:
    """Set the status and write the history row, without checking the lifecycle: for the CRM's
    word brought back by sync (actor "crm"; pass `previous` when the row already holds the new value)."""
    change = PartnerStatusChange(
        partner_id=partner.id, from_status=previous if previous is not None else partner.status,
        to_status=status, reason=reason, actor=actor, at=now or utcnow(),
    )
    partner.status = status
    session.add(partner)
    session.add(change)
    return change


def set_partner_tier(session: Session, key: str, tier: str, *, tiers: Sequence[str] = PARTNER_TIERS) -> Partner:
    partner = find_partner(session, key)
    try:
        partner.tier = check_tier(tier, tiers)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    session.add(partner)
    return partner


def assign_partner(
    session: Session, key: str, *, territories: str | None = None, channel_manager: str | None = None,
) -> Partner:
    """Set the partner's territories (replacing them; '' clears) and/or its channel manager."""
    if territories is None and channel_manager is None:
        raise UsageError("assign what? give --territories and/or --channel-manager")
    partner = find_partner(session, key)
    if territories is not None:
        try:
            partner.territories = format_territories(parse_territories(territories))
        except RuleViolation as exc:
            raise UsageError(str(exc)) from None
    if channel_manager is not None:
        manager = channel_manager.strip().lower()
        if problem := _email_problem(manager):
            raise UsageError(problem)
        partner.channel_manager = manager
    session.add(partner)
    return partner


def status_history(session: Session, partner_id: str) -> list[PartnerStatusChange]:
    query = select(PartnerStatusChange).where(PartnerStatusChange.partner_id == partner_id)
    return list(session.exec(query.order_by(col(PartnerStatusChange.at), col(PartnerStatusChange.id))).all())


def add_certification(
    session: Session, key: str, name: str, earned_on: dt.date, expires_on: dt.date | None = None,
) -> Certification:
    partner = find_partner(session, key)
    try:
        check_certification(name, earned_on, expires_on)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    cert = Certification(partner_id=partner.id, name=name.strip(), earned_on=earned_on, expires_on=expires_on)
    session.add(cert)
    return cert


def certifications(session: Session, partner_id: str) -> list[Certification]:
    query = select(Certification).where(Certification.partner_id == partner_id)
    return list(session.exec(query.order_by(col(Certification.earned_on), col(Certification.id))).all())
