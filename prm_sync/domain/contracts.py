"""Partner contracts: notice deadlines, what is due for renewal, and the next term.

A contract runs from `starts_on` to `ends_on` inclusive. On its end date an auto-renewing
contract is renewed for a term of the same length (whole months when the term is whole
months, else the same number of days); the day after its end date a non-renewing contract
expires. The notice deadline is `ends_on - notice_days`: the last day to give notice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from prm_sync.domain.errors import RuleViolation

ONE_DAY = dt.timedelta(days=1)
RenewalAction = Literal["renew", "expire"]


@dataclass(frozen=True)
class ContractTerms:
    starts_on: dt.date
    ends_on: dt.date | None
    auto_renew: bool = False
    notice_days: int = 0


def check_terms(terms: ContractTerms) -> None:
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise RuleViolation(f"contract: ends {terms.ends_on} before it starts ({terms.starts_on})")
    if terms.notice_days < 0:
        raise RuleViolation("contract: notice days must be 0 or more")
    if terms.auto_renew and terms.ends_on is None:
        raise RuleViolation("contract: an auto-renewing contract needs an end date")


def notice_deadline(terms: ContractTerms) -> dt.date | None:
    if terms.ends_on is None:
        return None
    return terms.ends_on - dt.timedelta(days=terms.notice_days)


def due_reasons(terms: ContractTerms, today: dt.date, within_days: int) -> list[str]:
    """Why a contract is due within `within_days` of `today` (empty: not due)."""
    if terms.ends_on is None:
        return []
    horizon = today + dt.timedelta(days=within_days)
    reasons = []
    deadline = notice_deadline(terms)
    if terms.notice_days and deadline is not None and deadline <= horizon and terms.ends_on >= today:
        when = "passed" if deadline < today else "due"
        reasons.append(f"notice deadline {deadline} ({when})")
    if terms.ends_on <= horizon:
        verb = "renews" if terms.auto_renew else "ends"
        reasons.append(f"{verb} {terms.ends_on}" + (" (overdue)" if terms.ends_on < today else ""))
    return reasons


def renewal_action(terms: ContractTerms, today: dt.date) -> RenewalAction | None:
    """What an active contract needs on `today`: renew (on/after its end date), expire, or nothing."""
    if terms.ends_on is None:
        return None
    if terms.auto_renew and today >= terms.ends_on:
        return "renew"
    if not terms.auto_renew and today > terms.ends_on:
        return "expire"
    return None


@dataclass(frozen=True)
class PartnerContract:
    """One contract as the partner flags see it: whose, its state, its terms."""

    partner_id: str
    state: str
    terms: ContractTerms


def partner_contract_flags(contracts: Iterable[PartnerContract], today: dt.date) -> dict[str, str]:
    """Partner id -> flag for partners whose contract has ended without renewal (no active contract
    left), or whose active contract has passed its end date and awaits `contracts renew`.
    `contracts` come in (starts_on, id) order: the last one of a partner is its latest."""
    latest: dict[str, PartnerContract] = {}
    has_active: dict[str, PartnerContract] = {}
    for contract in contracts:
        latest[contract.partner_id] = contract
        if contract.state == "active":
            has_active[contract.partner_id] = contract
    flags = {}
    for pid, contract in latest.items():
        active = has_active.get(pid)
        if active is None and contract.state == "expired":
            flags[pid] = f"contract expired {contract.terms.ends_on}"
        elif active is None and contract.state == "terminated":
            flags[pid] = "contract terminated"
        elif active is not None and renewal_action(active.terms, today) == "expire":
            flags[pid] = f"contract ended {active.terms.ends_on}"
    return flags


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _whole_months(starts_on: dt.date, ends_on: dt.date) -> int | None:
    after = ends_on + ONE_DAY
    months = (after.year - starts_on.year) * 12 + after.month - starts_on.month
    return months if months > 0 and add_months(starts_on, months) == after else None


def next_term(terms: ContractTerms) -> tuple[dt.date, dt.date]:
    """The renewal's (starts_on, ends_on): it starts the day after the end, for the same length."""
    if terms.ends_on is None:
        raise RuleViolation("contract: an open-ended contract is not renewed")
    starts = terms.ends_on + ONE_DAY
    months = _whole_months(terms.starts_on, terms.ends_on)
    if months is not None:
        return starts, add_months(starts, months) - ONE_DAY
    return starts, starts + (terms.ends_on - terms.starts_on)
