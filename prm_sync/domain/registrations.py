"""Deal registration rules: the workflow, the protection period, and what a valid registration is.

    submitted -> approved | rejected | expired
    approved  -> converted | won | lost | rejected | expired
    converted -> won | lost
    expired   -> approved         (re-approved: a new protection period starts)
    rejected, won, lost           (final)

A registration is protected from its submission (then from its approval) for the protection
period; `extend` pushes the end further. An open (submitted/approved) registration past its
end is expired. Statuses set in the CRM and brought back by sync are the CRM's word and are
not checked against this table (see `accept_crm_status`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from prm_sync.domain.currencies import is_iso_currency
from prm_sync.domain.customer_identity import website_domain
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.fields import REGISTRATION_STATUSES
from prm_sync.domain.person_names import NameOrder, split_full_name

REGISTRATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("approved", "rejected", "expired"),
    "approved": ("converted", "won", "lost", "rejected", "expired"),
    "converted": ("won", "lost"),
    "expired": ("approved",),
    "rejected": (),
    "won": (),
    "lost": (),
}
OPEN_STATUSES: frozenset[str] = frozenset({"submitted", "approved"})
CUSTOMER_STATUSES: frozenset[str] = frozenset({"converted", "won"})
DEFAULT_PROTECTION_DAYS = 90
INPUT_FIELDS: tuple[str, ...] = (
    "partner", "company", "contact", "first_name", "last_name", "contact_first_name", "contact_last_name",
    "email", "website", "estimated_value", "currency", "expected_close", "products",
)
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def check_registration_transition(current: str, target: str) -> None:
    if target not in REGISTRATION_STATUSES:
        raise RuleViolation(f"status: '{target}' is not one of {', '.join(REGISTRATION_STATUSES)}")
    allowed = REGISTRATION_TRANSITIONS.get(current, ())
    if target not in allowed:
        options = ", ".join(allowed) if allowed else f"nothing: {current} is final"
        raise RuleViolation(f"cannot go from {current} to {target} (allowed: {options})")


def accept_crm_status(status: str | None) -> bool:
    """A status brought back from the CRM is taken as is when it is a known status."""
    return status in REGISTRATION_STATUSES


class RegistrationLike(Protocol):
    """What the registration rules read and set on a registration: a stored row
    (prm_sync.store.Registration) and a row the sync is about to insert (a draft) both have it."""

    # set by the rules
    approved_at: dt.datetime | None
    expires_at: dt.datetime | None
    conflict_reason: str | None
    conflict_with: str | None
    conflict_detail: str | None

    # read only
    @property
    def id(self) -> str: ...
    @property
    def partner_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def company(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def website(self) -> str | None: ...
    @property
    def converted(self) -> bool: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def extended_until(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class Protection:
    """The protection-period facts of one registration."""

    status: str
    created_at: dt.datetime
    approved_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    extended_until: dt.datetime | None = None

    def ends_at(self, protection_days: int = DEFAULT_PROTECTION_DAYS) -> dt.datetime:
        """When the protection ends: the stored end, or (for rows that came from the CRM without
        one) approval or submission plus the protection period; an extension only lengthens it."""
        start = self.approved_at or self.created_at
        end = self.expires_at or start + dt.timedelta(days=protection_days)
        if self.extended_until is not None and self.extended_until > end:
            end = self.extended_until
        return end

    def is_protected(self, now: dt.datetime, protection_days: int = DEFAULT_PROTECTION_DAYS) -> bool:
        return self.status in OPEN_STATUSES and now < self.ends_at(protection_days)

    def should_expire(self, now: dt.datetime, protection_days: int = DEFAULT_PROTECTION_DAYS) -> bool:
        return self.status in OPEN_STATUSES and now >= self.ends_at(protection_days)


def extended_end(current_end: dt.datetime, now: dt.datetime, days: int) -> dt.datetime:
    """The new end after extending by `days`: from the current end, or from now if that has passed."""
    if days < 1:
        raise RuleViolation("extend: days must be 1 or more")
    return max(current_end, now) + dt.timedelta(days=days)


@dataclass(frozen=True)
class RegistrationInput:
    """A validated registration as a partner submits it (partner still a name or id)."""

    partner: str
    company: str
    contact_first_name: str | None
    contact_last_name: str
    email: str | None
    website: str | None
    estimated_value: Decimal | None
    currency: str | None
    expected_close: dt.date | None
    products: str | None


def _text(raw: Mapping[str, str | None], name: str) -> str | None:
    value = raw.get(name)
    value = value.strip() if isinstance(value, str) else value
    return value or None


def _money(text: str | None, problems: list[str]) -> Decimal | None:
    if text is None:
        return None
    cleaned = text.replace(",", "") if _THOUSANDS.match(text) else text
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        problems.append(f"estimated_value: '{text}' is not a number")
        return None
    if not value.is_finite() or value < 0:
        problems.append(f"estimated_value: '{text}' must be 0 or more")
        return None
    return value


def _date(text: str | None, today: dt.date | None, problems: list[str]) -> dt.date | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"expected_close: '{text}' is not a date YYYY-MM-DD")
        return None
    if today is not None and day < today:
        problems.append(f"expected_close: {day} is in the past")
    return day


def _contact_names(raw: Mapping[str, str | None], order: NameOrder) -> tuple[str | None, str | None]:
    """(first, last): given separately (first_name/last_name, or contact_first_name/contact_last_name),
    else split from the full name `contact` in the configured order (see person_names)."""
    first = _text(raw, "first_name") or _text(raw, "contact_first_name")
    last = _text(raw, "last_name") or _text(raw, "contact_last_name")
    contact = _text(raw, "contact")
    if last is None and contact is not None:
        given, family = split_full_name(contact, order)
        first, last = first or given, family
    return first, last


def parse_registration(
    raw: Mapping[str, str | None], *, today: dt.date | None = None, name_order: NameOrder = "given_first",
) -> RegistrationInput:
    """Validate raw text fields (CLI options or a CSV row); RuleViolation lists every problem."""
    problems: list[str] = []
    partner, company = _text(raw, "partner"), _text(raw, "company")
    if partner is None:
        problems.append("partner: missing")
    if company is None:
        problems.append("company: missing")
    first, last = _contact_names(raw, name_order)
    if last is None:
        problems.append("contact: missing (a contact name is needed)")
    email = _text(raw, "email")
    if email is not None and not _EMAIL.match(email):
        problems.append(f"email: '{email}' is not an email address")
    website = _text(raw, "website")
    if website is not None and website_domain(website) is None and "." not in website:
        problems.append(f"website: '{website}' is not a web address")
    value = _money(_text(raw, "estimated_value"), problems)
    currency = _text(raw, "currency")
    currency = currency.upper() if currency else None
    if currency is not None and not is_iso_currency(currency):
        problems.append(f"currency: '{currency}' is not an ISO 4217 currency code (such as USD, EUR, JPY)")
    if value is not None and currency is None:
        problems.append("currency: needed with an estimated value")
    close = _date(_text(raw, "expected_close"), today, problems)
    if problems:
        raise RuleViolation("; ".join(problems))
    assert partner is not None and company is not None and last is not None
    return RegistrationInput(
        partner=partner, company=company, contact_first_name=first, contact_last_name=last,
        email=email.lower() if email else None, website=website, estimated_value=value, currency=currency,
        expected_close=close, products=_text(raw, "products"),
    )
