"""Partner contracts: add, list what is due, renew or expire on the end date, flag partners.

Sync hook: `renew_contracts(session, today)` (idempotent; safe to run on every sync or daily).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, select

from prm_sync.domain.contracts import (
    ContractTerms,
    PartnerContract,
    check_terms,
    due_reasons,
    notice_deadline,
    partner_contract_flags,
)
from prm_sync.domain.errors import RuleViolation
from prm_sync.errors import UsageError
from prm_sync.rules.contracts import terms_of
from prm_sync.services.partners import find_partner
from prm_sync.store import Contract, Partner


def add_contract(
    session: Session, partner_key: str, *, starts_on: dt.date, ends_on: dt.date | None, auto_renew: bool = False,
    notice_days: int = 0, terms_url: str | None = None,
) -> Contract:
    partner = find_partner(session, partner_key)
    terms = ContractTerms(starts_on, ends_on, auto_renew, notice_days)
    try:
        check_terms(terms)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    contract = Contract(partner_id=partner.id, starts_on=starts_on, ends_on=ends_on, auto_renew=auto_renew,
                        notice_days=notice_days, terms_url=terms_url)
    session.add(contract)
    session.flush()
    return contract


def list_contracts(
    session: Session, *, partner: str | None = None, due_within: int | None = None, today: dt.date,
) -> list[dict[str, object]]:
    """Contracts as display rows (active ones only when `due_within` is given, with why they are due)."""
    query = select(Contract, Partner.name).join(Partner, col(Partner.id) == Contract.partner_id)
    if partner:
        query = query.where(Contract.partner_id == find_partner(session, partner).id)
    if due_within is not None:
        query = query.where(Contract.state == "active")
    rows = []
    for contract, name in session.exec(query.order_by(col(Contract.ends_on), Contract.id)).all():
        terms = terms_of(contract)
        reasons = due_reasons(terms, today, due_within) if due_within is not None else []
        if due_within is not None and not reasons:
            continue
        rows.append({**contract.model_dump(), "partner": name, "notice_deadline": notice_deadline(terms),
                     "due": "; ".join(reasons) or None})
    return rows


def contract_flags(session: Session, partner_ids: Iterable[str], today: dt.date) -> dict[str, str]:
    """Partner id -> flag for partners whose contract has ended without renewal (no active contract
    left), or whose active contract has passed its end date and awaits `contracts renew`."""
    wanted = list(partner_ids)
    if not wanted:
        return {}
    found = session.exec(select(Contract).where(col(Contract.partner_id).in_(wanted))
                         .order_by(col(Contract.starts_on), Contract.id)).all()
    return partner_contract_flags((PartnerContract(c.partner_id, c.state, terms_of(c)) for c in found), today)
