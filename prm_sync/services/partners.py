"""Partner use cases: add, find, list."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session, col, func, select

from prm_sync.domain.fields import PARTNER_STATUSES, PARTNER_TIERS
from prm_sync.errors import UsageError
from prm_sync.store import Partner, PartnerStatusChange

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_partner(
    session: Session, *, name: str, tier: str = "registered", status: str = "prospect",
    country: str | None = None, website: str | None = None, channel_manager: str | None = None,
    joined_on: dt.date | None = None, actor: str = "cli",
) -> Partner:
    problems = []
    name = name.strip()
    if not name:
        problems.append("name: must not be empty")
    if tier not in PARTNER_TIERS:
        problems.append(f"tier: '{tier}' is not one of {', '.join(PARTNER_TIERS)}")
    if status not in PARTNER_STATUSES:
        problems.append(f"status: '{status}' is not one of {', '.join(PARTNER_STATUSES)}")
    if country is not None:
        country = country.strip().upper()
        if not _COUNTRY.match(country):
            problems.append(f"country: '{country}' is not an ISO 3166 two-letter code such as US or VN")
    if channel_manager is not None and not _EMAIL.match(channel_manager):
        problems.append(f"channel manager: '{channel_manager}' is not an email address")
    if problems:
        raise UsageError("; ".join(problems))
    partner = Partner(
        name=name, tier=tier, status=status, country=country, website=website,
        channel_manager=channel_manager, joined_on=joined_on,
    )
    session.add(partner)
    session.flush()
    session.add(PartnerStatusChange(
        partner_id=partner.id, from_status=None, to_status=status, reason="added", actor=actor,
    ))
    return partner


def find_partner(session: Session, key: str) -> Partner:
    """A partner by id, or by name (case-insensitive, exact); a clear error when none or several."""
    partner = session.get(Partner, key)
    if partner is not None:
        return partner
    matches = session.exec(
        select(Partner).where(func.lower(Partner.name) == key.strip().lower())
    ).all()
    if not matches:
        raise UsageError(f"no partner with id or name '{key}'")
    if len(matches) > 1:
        ids = ", ".join(p.id for p in matches)
        raise UsageError(f"several partners are named '{key}' ({ids}): give the id")
    return matches[0]


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
    return list(session.exec(query.order_by(func.lower(Partner.name), Partner.id)).all())
