"""Partner contacts: the people at a partner, who receive its notifications.

A contact is named on the command line by its id, a unique id prefix, or its email (case does not
matter: email addresses are compared case-insensitively, as HubSpot and mail servers do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from prm_sync.domain.fields import CONTACT_ROLES
from prm_sync.errors import UsageError
from prm_sync.services.partner_lookup import MIN_ID_PREFIX, resolve_partner
from prm_sync.services.partners import apply_changes
from prm_sync.store import Partner, PartnerContact
from prm_sync.store.types import utcnow

EDITABLE = ("first_name", "last_name", "email", "phone", "role", "language", "opt_outs")
REMOVED_IN_PRM = "removed in the PRM"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def clean_contact_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Checked, trimmed values ('' clears an optional field); a bad value is a UsageError naming it."""
    out: dict[str, Any] = {}
    for name, raw in values.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value == "":
            if name in ("role", "language"):
                raise UsageError(f"--{name} cannot be cleared")
            value = None
        if name == "email" and value is not None and not _EMAIL.match(value):
            raise UsageError(f"--email: {value!r} is not an email address")
        if name == "role" and value not in CONTACT_ROLES:
            raise UsageError(f"--role: {value!r} is not one of {', '.join(CONTACT_ROLES)}")
        if name == "language" and not _LANGUAGE.match(str(value)):
            raise UsageError(f"--language: {value!r} is not a language code such as en or vi")
        if name == "opt_outs" and value is not None:
            value = ",".join(sorted({kind.strip() for kind in value.split(",") if kind.strip()})) or None
        out[name] = value
    return out


def add_contact(session: Session, partner_key: str, values: Mapping[str, Any]) -> PartnerContact:
    """A new contact of the partner `partner_key` names; pushed to the CRM by the next sync."""
    partner = resolve_partner(session, partner_key)
    if partner.deleted_at is not None:
        raise UsageError(f"partner {partner.name!r} is deleted")
    clean = clean_contact_values({k: v for k, v in values.items() if v is not None})
    if not clean.get("last_name") and not clean.get("email"):
        raise UsageError("give at least --last-name or --email")
    if clean.get("email"):
        _refuse_duplicate_email(session, partner.id, clean["email"])
    contact = PartnerContact(partner_id=partner.id, **clean)
    session.add(contact)
    session.flush()
    return contact


def _refuse_duplicate_email(session: Session, partner_id: str, email: str, exclude: str | None = None) -> None:
    query = select(PartnerContact).where(
        PartnerContact.partner_id == partner_id, func.lower(PartnerContact.email) == email.lower(),
        col(PartnerContact.deleted_at).is_(None))
    if exclude:
        query = query.where(PartnerContact.id != exclude)
    other = session.exec(query).first()
    if other is not None:
        raise UsageError(f"partner already has a contact with email {email} ({other.id})")


def find_contact(session: Session, key: str) -> PartnerContact:
    """The contact `key` names: its id, a unique id prefix, or its email."""
    key = key.strip()
    if not key:
        raise UsageError("give a contact id or email")
    contact = session.get(PartnerContact, key)
    if contact is not None:
        return contact
    live = col(PartnerContact.deleted_at).is_(None)
    if "@" in key:
        matches = list(session.exec(select(PartnerContact).where(
            func.lower(PartnerContact.email) == key.lower(), live).limit(11)).all())
    elif len(key) >= MIN_ID_PREFIX:
        matches = list(session.exec(select(PartnerContact).where(
            col(PartnerContact.id).startswith(key.lower()), live).limit(11)).all())
    else:
        matches = []
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = "\n".join(f"  {c.id}  {display_name(c)}  <{c.email or '-'}>" for c in matches[:10])
        raise UsageError(f"contact '{key}' is ambiguous: it matches these contacts; give the id\n{shown}")
    raise UsageError(f"no contact with id or email '{key}' (see `prm-sync partners contacts list`)")


def display_name(contact: PartnerContact) -> str:
    return " ".join(p for p in (contact.first_name, contact.last_name) if p) or (contact.email or contact.id)


def edit_contact(session: Session, key: str, changes: Mapping[str, Any]) -> tuple[PartnerContact, dict[str, Any]]:
    """Set the given fields (None: leave, '': clear); returns the contact and {field: (old, new)}."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise UsageError(f"cannot edit {', '.join(unknown)} (editable: {', '.join(EDITABLE)})")
    contact = find_contact(session, key)
    if contact.deleted_at is not None:
        raise UsageError(f"contact {contact.id} was removed ({contact.deleted_reason})")
    values = clean_contact_values({k: v for k, v in changes.items() if v is not None})
    if not values:
        raise UsageError(f"edit what? give one or more of {', '.join('--' + f.replace('_', '-') for f in EDITABLE)}")
    if values.get("email"):
        _refuse_duplicate_email(session, contact.partner_id, values["email"], exclude=contact.id)
    return contact, apply_changes(session, contact, values)


def contacts_to_remove(session: Session, keys: Sequence[str], partner_key: str | None) -> list[PartnerContact]:
    """The live contacts `keys` name, or every live contact of `partner_key`."""
    if partner_key:
        partner = resolve_partner(session, partner_key)
        return list(session.exec(select(PartnerContact).where(
            PartnerContact.partner_id == partner.id, col(PartnerContact.deleted_at).is_(None))
            .order_by(col(PartnerContact.id))).all())
    found = {c.id: c for c in (find_contact(session, key) for key in keys)}
    return [c for c in found.values() if c.deleted_at is None]


def remove_contacts(session: Session, contacts: Sequence[PartnerContact]) -> int:
    """Mark contacts removed (kept, like every synced row); the sync applies the mapping's on_delete."""
    now = utcnow()
    for contact in contacts:
        contact.deleted_at, contact.deleted_reason = now, REMOVED_IN_PRM
        session.add(contact)
    session.flush()
    return len(contacts)


def list_contacts(session: Session, *, partner_key: str | None = None, role: str | None = None,
                  include_deleted: bool = False) -> list[dict[str, Any]]:
    """Contacts with their partner's name, by partner then last name."""
    query = select(PartnerContact, Partner.name).join(Partner, col(Partner.id) == col(PartnerContact.partner_id))
    if partner_key:
        query = query.where(PartnerContact.partner_id == resolve_partner(session, partner_key).id)
    if role:
        query = query.where(PartnerContact.role == role)
    if not include_deleted:
        query = query.where(col(PartnerContact.deleted_at).is_(None))
    rows = session.exec(query.order_by(col(Partner.name_key), col(PartnerContact.last_name),
                                       col(PartnerContact.id))).all()
    return [{**contact.model_dump(), "partner": name, "name": display_name(contact)} for contact, name in rows]
