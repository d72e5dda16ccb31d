"""Contract renewal applied to the store (run by every sync, and by `partners contracts renew`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from prm_sync.domain.contracts import ContractTerms, next_term, renewal_action
from prm_sync.store import Contract

MAX_RENEWALS_PER_RUN = 100  # a long-missed contract catches up term by term, within reason


def terms_of(contract: Contract) -> ContractTerms:
    return ContractTerms(contract.starts_on, contract.ends_on, contract.auto_renew, contract.notice_days)


@dataclass
class RenewalReport:
    renewed: list[tuple[str, str]] = field(default_factory=list)  # (old contract id, new contract id)
    expired: list[str] = field(default_factory=list)  # contract ids


def renew_contracts(session: Session, today: dt.date) -> RenewalReport:
    """Renew auto-renewing contracts on (or after) their end date — the old row becomes expired and
    a new one with `renewed_from` covers the next term — and expire the others after their end."""
    report = RenewalReport()
    active = session.exec(select(Contract).where(Contract.state == "active")
                          .where(col(Contract.ends_on).is_not(None))).all()
    for contract in active:
        current = contract
        for _ in range(MAX_RENEWALS_PER_RUN):
            action = renewal_action(terms_of(current), today)
            if action is None:
                break
            current.state = "expired"
            session.add(current)
            if action == "expire":
                report.expired.append(current.id)
                break
            starts, ends = next_term(terms_of(current))
            renewal = Contract(partner_id=current.partner_id, starts_on=starts, ends_on=ends, auto_renew=True,
                               notice_days=current.notice_days, terms_url=current.terms_url, renewed_from=current.id)
            session.add(renewal)
            session.flush()
            report.renewed.append((current.id, renewal.id))
            current = renewal
    return report
