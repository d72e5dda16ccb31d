"""Partner lifecycle and tiers: which status changes are allowed, which tiers exist.

    prospect   -> onboarding | terminated
    onboarding -> active | terminated
    active     -> suspended | terminated
    suspended  -> active | terminated
    terminated    (final)

These rules bind people using the PRM (CLI, services). A status set in the CRM and brought
back by sync is accepted as the CRM's word (the history then records actor "crm").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.fields import PARTNER_STATUSES, PARTNER_TIERS

PARTNER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "prospect": ("onboarding", "terminated"),
    "onboarding": ("active", "terminated"),
    "active": ("suspended", "terminated"),
    "suspended": ("active", "terminated"),
    "terminated": (),
}
DEFAULT_TIERS: tuple[str, ...] = PARTNER_TIERS
# Partners in these statuses may not register new deals.
NO_REGISTRATION_STATUSES: frozenset[str] = frozenset({"suspended", "terminated"})


def check_partner_transition(current: str, target: str, *, reason: str | None = None) -> None:
    """Raise RuleViolation unless `current -> target` is in the lifecycle table (with a reason)."""
    if target not in PARTNER_STATUSES:
        raise RuleViolation(f"status: '{target}' is not one of {', '.join(PARTNER_STATUSES)}")
    if target == current:
        raise RuleViolation(f"the partner is already {current}")
    allowed = PARTNER_TRANSITIONS.get(current, ())
    if target not in allowed:
        options = ", ".join(allowed) if allowed else f"nothing: {current} is final"
        raise RuleViolation(f"cannot go from {current} to {target} (allowed: {options})")
    if reason is not None and not reason.strip():
        raise RuleViolation("reason: must not be empty")


def check_tier(tier: str, tiers: Sequence[str] = DEFAULT_TIERS) -> str:
    """The tier, lower-cased, if it is one of the configured tiers."""
    value = tier.strip().lower()
    if value not in tiers:
        raise RuleViolation(f"tier: '{tier}' is not one of {', '.join(tiers)}")
    return value


def may_register(status: str) -> bool:
    """Whether a partner in `status` may submit deal registrations."""
    return status not in NO_REGISTRATION_STATUSES


@dataclass(frozen=True)
class CertificationState:
    name: str
    earned_on: dt.date
    expires_on: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return self.earned_on <= day and (self.expires_on is None or day <= self.expires_on)


def check_certification(name: str, earned_on: dt.date, expires_on: dt.date | None) -> None:
    if not name.strip():
        raise RuleViolation("certification: name must not be empty")
    if expires_on is not None and expires_on < earned_on:
        raise RuleViolation(f"certification: expires {expires_on} before it was earned ({earned_on})")
