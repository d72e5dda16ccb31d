"""Who receives a notification: the partner's contacts in the kind's roles, else its channel manager.

A contact who opted out of the kind (or of `all`) is skipped; a contact without an email cannot
be reached. When no contact is left, the channel manager gets the message instead (the fallback),
so an event never silently reaches nobody while the partner has a channel manager.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from prm_sync.domain.notifications import CHANNEL_MANAGER
from prm_sync.store import Partner, PartnerContact


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    role: str


def opted_out(contact: PartnerContact, kind: str) -> bool:
    kinds = {k.strip() for k in (contact.opt_outs or "").split(",") if k.strip()}
    return kind in kinds or "all" in kinds


def recipients_for(session: Session, partner: Partner | None, kind: str, roles: tuple[str, ...],
                   default_language: str) -> list[Recipient]:
    """The people `kind` goes to for `partner`, each once (by email, case-insensitively)."""
    found: list[Recipient] = []
    contact_roles = [r for r in roles if r != CHANNEL_MANAGER]
    if partner is not None and contact_roles:
        contacts = session.exec(select(PartnerContact).where(
            PartnerContact.partner_id == partner.id, col(PartnerContact.role).in_(contact_roles),
            col(PartnerContact.deleted_at).is_(None)).order_by(col(PartnerContact.created_at))).all()
        for contact in contacts:
            if contact.email and not opted_out(contact, kind):
                name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.email
                found.append(Recipient(contact.email, name, contact.language or default_language, contact.role))
    manager = partner.channel_manager if partner is not None else None
    if manager and (CHANNEL_MANAGER in roles or not found):
        found.append(Recipient(manager, manager.split("@")[0], default_language, CHANNEL_MANAGER))
    unique: dict[str, Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.email.lower(), recipient)
    return list(unique.values())
