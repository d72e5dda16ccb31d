"""Notification kinds, who gets them by default, and the rule that history is never notified.

A notification is an event the PRM writes to its outbox (prm_sync.store.outbox) in the same
transaction as the change that causes it; `prm-sync notify send` delivers it later. Time-driven
kinds (expiring, renewal due, certification expiring) come from a scan, once per record, kind
and threshold (days before the date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    REGISTRATION_RECEIVED = "registration_received"
    REGISTRATION_APPROVED = "registration_approved"
    REGISTRATION_REJECTED = "registration_rejected"
    REGISTRATION_EXPIRING = "registration_expiring"
    REGISTRATION_EXPIRED = "registration_expired"
    CHANNEL_CONFLICT = "channel_conflict"
    CONTRACT_RENEWAL_DUE = "contract_renewal_due"
    CERTIFICATION_EXPIRING = "certification_expiring"
    STATEMENT_READY = "statement_ready"
    DIGEST = "digest"


CHANNEL_MANAGER = "channel_manager"
#: kind -> contact roles it goes to (CHANNEL_MANAGER: the partner's channel manager). A kind whose
#: roles find no contact with an email (or whose contacts opted out) goes to the channel manager.
DEFAULT_RECIPIENTS: dict[Kind, tuple[str, ...]] = {
    Kind.REGISTRATION_RECEIVED: ("primary", "sales"),
    Kind.REGISTRATION_APPROVED: ("primary", "sales"),
    Kind.REGISTRATION_REJECTED: ("primary", "sales"),
    Kind.REGISTRATION_EXPIRING: ("primary", "sales"),
    Kind.REGISTRATION_EXPIRED: ("primary", "sales"),
    Kind.CHANNEL_CONFLICT: (CHANNEL_MANAGER,),
    Kind.CONTRACT_RENEWAL_DUE: ("primary", CHANNEL_MANAGER),
    Kind.CERTIFICATION_EXPIRING: ("technical", "primary"),
    Kind.STATEMENT_READY: ("finance", "primary"),
    Kind.DIGEST: (CHANNEL_MANAGER,),
}


@dataclass(frozen=True)
class NotifyPolicy:
    """What the outbox records: the horizon past which an event is history, and the thresholds."""

    horizon: dt.timedelta = dt.timedelta(days=7)
    expiring_days: tuple[int, ...] = (30, 7)
    renewal_days: tuple[int, ...] = (60, 30)
    certification_days: tuple[int, ...] = (30,)
    live: bool = True       # False: the change replays history (first sync, --full, merge, import)
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def history(self) -> NotifyPolicy:
        """The same policy for a change that replays history: it records nothing."""
        return NotifyPolicy(self.horizon, self.expiring_days, self.renewal_days, self.certification_days,
                            live=False, recipients=self.recipients)

    def records(self, occurred_at: dt.datetime, now: dt.datetime) -> bool:
        """Is an event that happened at `occurred_at` news at `now`? Never for history, nor past the horizon."""
        return self.live and now - occurred_at <= self.horizon

    def roles(self, kind: str) -> tuple[str, ...]:
        return self.recipients.get(kind) or DEFAULT_RECIPIENTS.get(Kind(kind), (CHANNEL_MANAGER,))


def crossed_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The smallest threshold `days_left` is within (so 5 days left with [30, 7] is the 7-day
    notice), or None when no threshold is reached yet or the date has passed."""
    if days_left < 0:
        return None
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None
