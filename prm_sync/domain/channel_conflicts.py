"""Channel-conflict detection: does someone already hold this customer?

An index maps customer keys (see customer_identity) to the registrations and CRM deals that
hold them; it is built once (from the store, or from rows in memory during an import) and
asked once per candidate, so an import of thousands of rows makes no query per row.

Conflict reasons, in the order they are reported:
- other_partner      another partner's open/approved registration still in its protection period
- open_opportunity   the CRM has an open deal for the customer
- existing_customer  a won deal, or a registration already converted (or won), for the customer
- duplicate          the same partner already holds an open/approved registration for it
An expired registration (marked so, or past its protection end) conflicts with nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from prm_sync.domain.customer_identity import CustomerKeys, company_keys, explain_match
from prm_sync.domain.registrations import CUSTOMER_STATUSES, DEFAULT_PROTECTION_DAYS, OPEN_STATUSES, Protection

ConflictReason = Literal["other_partner", "open_opportunity", "existing_customer", "duplicate"]
REASON_ORDER: tuple[ConflictReason, ...] = ("other_partner", "open_opportunity", "existing_customer", "duplicate")
HolderState = Literal["protected", "customer", "opportunity"]
_DEAL_NAME_SEPARATORS = re.compile(r"\s+[-–—|:/]\s+|:\s")


@dataclass(frozen=True, slots=True)
class Holder:
    """A registration or deal that holds a customer. (Slots: a run's conflict index holds one per
    registration and open deal.)"""

    kind: Literal["registration", "deal"]
    id: str
    partner_id: str
    partner_name: str
    state: HolderState
    keys: CustomerKeys
    label: str  # the registration status or deal stage, for messages
    protected_until: dt.datetime | None = None
    registered_at: dt.datetime | None = None  # registrations only: who came first


@dataclass(frozen=True)
class ChannelConflict:
    reason: ConflictReason
    holder: Holder
    matched_on: str

    @property
    def other_party(self) -> str:
        """Who holds the customer: 'Partner name (registration <id>)' or '(deal <id>)'."""
        return _other_party(self.holder.partner_name, self.holder.kind, self.holder.id)

    @property
    def message(self) -> str:
        h = self.holder
        return _message(self.reason, h.kind, h.id, h.partner_name, h.label, h.protected_until, self.matched_on)


def _other_party(partner_name: str, kind: str, holder_id: str) -> str:
    return f"{partner_name} ({kind} {holder_id})"


@lru_cache(maxsize=4096)  # a popular customer's first holders are named in every later registration's detail
def _message(reason: ConflictReason, kind: str, holder_id: str, partner_name: str, label: str,
             protected_until: dt.datetime | None, matched_on: str) -> str:
    other_party = _other_party(partner_name, kind, holder_id)
    until = f" until {protected_until:%Y-%m-%d}" if protected_until else ""
    # only the text of this reason is formatted (a first load flags registrations by the thousand)
    if reason == "other_partner":
        text = f"registered by another partner: {other_party}, {label}{until}"
    elif reason == "open_opportunity":
        text = f"the CRM has an open deal for this customer: {other_party}, stage {label}"
    elif reason == "existing_customer":
        text = f"already a customer: {other_party}, {label}"
    else:
        text = f"already registered by the same partner: {other_party}, {label}{until}"
    return f"{text} (matched on {matched_on})"


def deal_keys(deal_name: str | None, registration_keys: CustomerKeys | None = None) -> list[CustomerKeys]:
    """Keys of a CRM deal: its registration's keys when it came from one, plus its name taken as a
    company name, whole and before a separator ("Acme Corp - 50 seats" -> acme)."""
    found = [registration_keys] if registration_keys is not None else []
    if deal_name:
        prefix = _DEAL_NAME_SEPARATORS.split(deal_name, maxsplit=1)[0]
        spellings = dict.fromkeys((company_keys(deal_name), company_keys(prefix)))
        found += [CustomerKeys(name=names[0], email_domain=None, web_domain=None, other_names=names[1:])
                  for names in spellings if names]
    return found


_SHARE_LOOKBACK = 4  # holders of a key compared by `ConflictIndex.shared_keys`, newest first


@dataclass
class ConflictIndex:
    """Customer key -> holders, in the order they were added (oldest registration first)."""

    _by_key: dict[str, list[Holder]] = field(default_factory=dict)
    #: `summary`'s answers by (keys, the holders found): holders are never removed from an index,
    #: so their ids name them for its lifetime (bounded: cleared past SUMMARY_MEMORY entries)
    _summaries: dict[tuple[CustomerKeys, tuple[tuple[str, int, str], ...]],
                     tuple[str | None, str | None, str | None]] = field(default_factory=dict)

    def add(self, holder: Holder) -> None:
        for key in holder.keys.keys:
            self._by_key.setdefault(key, []).append(holder)

    def shared_keys(self, keys: CustomerKeys) -> CustomerKeys:
        """An equal `CustomerKeys` a recent holder of the same customer already has, else `keys`.

        A run's index holds one entry per registration: a customer registered again (by another
        partner, or as a CRM deal) then costs its holder only, not one more copy of its keys and
        their strings (a pull of 100,000 registrations held ~20 MB of such copies). Only the last
        few holders of one key are compared, so a lookup costs the same however full the index."""
        if keys.name:
            probe = "name:" + keys.name
        elif keys.email_domain or keys.web_domain:
            probe = "domain:" + (keys.email_domain or keys.web_domain or "")
        else:
            return keys
        bucket = self._by_key.get(probe)
        if bucket:
            for holder in bucket[:-_SHARE_LOOKBACK - 1:-1]:
                if holder.keys == keys:
                    return holder.keys
        return keys

    def add_all(self, holders: Iterable[Holder]) -> None:
        for holder in holders:
            self.add(holder)

    def find(
        self, keys: CustomerKeys, partner_id: str, now: dt.datetime, *, exclude_id: str | None = None,
        registered_at: dt.datetime | None = None, limit: int | None = None,
    ) -> list[ChannelConflict]:
        """Every conflict (or the `limit` most important) for a candidate customer registered by
        `partner_id` at `now`.

        `registered_at` re-checks an existing registration: registrations made at or after it
        came second and do not count against it (the first to register holds the customer)."""
        # explaining a match is the costly part
        return [ChannelConflict(reason, holder, explain_match(keys, holder.keys) or key.split(":", 1)[1])
                for reason, holder, key in self._found(keys, partner_id, now, exclude_id, registered_at, limit)]

    def summary(
        self, keys: CustomerKeys, partner_id: str, now: dt.datetime, *, exclude_id: str | None = None,
        registered_at: dt.datetime | None = None,
    ) -> tuple[str | None, str | None, str | None]:
        """What a registration stores of its conflicts: `summarize(find(..., limit=DETAIL_LIMIT + 1))`.
        A first load's registrations of a popular customer name the same first holders one after
        another: their texts are made once (~12 us a registration), then remembered."""
        found = self._found(keys, partner_id, now, exclude_id, registered_at, DETAIL_LIMIT + 1)
        if not found:
            return None, None, None
        memo = (keys, tuple((reason, id(holder), key) for reason, holder, key in found))
        answer = self._summaries.get(memo)
        if answer is None:
            if len(self._summaries) >= SUMMARY_MEMORY:
                self._summaries.clear()
            answer = self._summaries[memo] = summarize(
                [ChannelConflict(reason, holder, explain_match(keys, holder.keys) or key.split(":", 1)[1])
                 for reason, holder, key in found])
        return answer

    def _found(
        self, keys: CustomerKeys, partner_id: str, now: dt.datetime, exclude_id: str | None,
        registered_at: dt.datetime | None, limit: int | None,
    ) -> list[tuple[ConflictReason, Holder, str]]:
        """`find`'s conflicts as (reason, holder, the key it was found by), in `find`'s order."""
        seen: set[tuple[str, str]] = set()
        buckets: dict[ConflictReason, list[tuple[Holder, str]]] = {reason: [] for reason in REASON_ORDER}
        top = buckets[REASON_ORDER[0]]
        for key in sorted(keys.keys):
            for holder in self._by_key.get(key, ()):
                if holder.id == exclude_id or (holder.kind, holder.id) in seen:
                    continue
                if registered_at and holder.registered_at and holder.registered_at >= registered_at:
                    continue
                reason = _reason(holder, partner_id, now)
                if reason is None:
                    continue
                seen.add((holder.kind, holder.id))
                bucket = buckets[reason]
                if limit is None or len(bucket) < limit:
                    bucket.append((holder, key))
                if limit is not None and len(top) >= limit:
                    break  # nothing found later can outrank what is kept (a very popular customer)
            if limit is not None and len(top) >= limit:
                break
        # most important first, oldest first within a reason
        return [(reason, holder, key) for reason in REASON_ORDER for holder, key in buckets[reason]][:limit]


def _reason(holder: Holder, partner_id: str, now: dt.datetime) -> ConflictReason | None:
    if holder.state == "customer":
        return "existing_customer"
    if holder.state == "opportunity":
        return "open_opportunity"
    if holder.protected_until is not None and now >= holder.protected_until:
        return None
    return "duplicate" if holder.partner_id == partner_id else "other_partner"


DETAIL_LIMIT = 10  # conflicts spelled out on a registration; the rest are counted
SUMMARY_MEMORY = 1024  # summaries an index remembers (ConflictIndex.summary): ~2.5 MB at most


def summarize(conflicts: list[ChannelConflict]) -> tuple[str | None, str | None, str | None]:
    """What a registration row stores: (conflict_reason, conflict_with, conflict_detail)."""
    if not conflicts:
        return None, None, None
    first = conflicts[0]
    shown = conflicts[:DETAIL_LIMIT]
    detail = "\n".join(c.message for c in shown)
    if len(conflicts) > len(shown):
        detail += "\n(and more)"
    return first.reason, first.other_party, detail


def registration_holder(
    reg_id: str, partner_id: str, partner_name: str, keys: CustomerKeys, protection: Protection, *,
    converted: bool = False, protection_days: int = DEFAULT_PROTECTION_DAYS,
) -> Holder | None:
    """The holder a registration makes, or None when it holds nothing (rejected, lost, expired)."""
    at = protection.created_at
    if converted or protection.status in CUSTOMER_STATUSES:
        label = protection.status if protection.status in CUSTOMER_STATUSES else "converted"
        return Holder("registration", reg_id, partner_id, partner_name, "customer", keys, label, registered_at=at)
    if protection.status not in OPEN_STATUSES:
        return None
    return Holder("registration", reg_id, partner_id, partner_name, "protected", keys, protection.status,
                  protected_until=protection.ends_at(protection_days), registered_at=at)


def deal_holders(
    deal_id: str, partner_id: str, partner_name: str, keys: list[CustomerKeys], *,
    stage: str | None, is_closed: bool, is_won: bool,
) -> list[Holder]:
    """The holders a CRM deal makes (one per key set): open -> opportunity, won -> customer."""
    if is_closed and not is_won:
        return []
    state: HolderState = "customer" if is_won else "opportunity"
    label = stage or ("won" if is_won else "open")
    return [Holder("deal", deal_id, partner_id, partner_name, state, k, label) for k in keys]
