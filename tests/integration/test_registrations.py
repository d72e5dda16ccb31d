"""Registration services on a real store (SQLite and PostgreSQL): conflicts stored on the row,
workflow, expiry with a controlled clock, rows pulled from the CRM, contracts renewal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from prm_sync.config import RegistrationSettings
from prm_sync.errors import UsageError
from prm_sync.rules.contracts import renew_contracts
from prm_sync.rules.registrations import check_pulled_registrations, expire_registrations
from prm_sync.services.contracts import add_contract, contract_flags, list_contracts
from prm_sync.services.partners import add_partner, set_partner_status, status_history
from prm_sync.services.registrations import (
    approve_registration,
    extend_registration,
    register_lead,
    reject_registration,
)
from prm_sync.store import Contract, Deal, Registration, Store

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SETTINGS = RegistrationSettings(protection_days=90)


def lead(partner: str, company: str, **extra: str) -> dict[str, str | None]:
    return {"partner": partner, "company": company, "contact": "Pat Doe", **extra}


@pytest.fixture
def session(store: Store) -> Session:
    with store.session(write=True) as s:
        for name in ("Alpha", "Beta"):
            add_partner(s, name=name, status="active")
        yield s


def test_second_partner_is_flagged_with_the_first_named_and_stored(session: Session) -> None:
    first, none = register_lead(session, lead("Alpha", "ACME, Inc.", email="a@acme.com",
                                              estimated_value="1000.10", currency="eur"), SETTINGS, T0)
    assert none == [] and first.conflict_reason is None and first.expires_at == T0 + 90 * DAY
    second, conflicts = register_lead(session, lead("beta", "Acme Incorporated"), SETTINGS, T0 + DAY)
    assert [c.reason for c in conflicts] == ["other_partner"]
    session.expire_all()
    stored = session.get(Registration, second.id)
    assert stored is not None and stored.conflict_reason == "other_partner"
    assert stored.conflict_with == f"Alpha (registration {first.id})"
    assert stored.conflict_detail and "matched on name 'acme'" in stored.conflict_detail
    assert session.get(Registration, first.id).estimated_value == Decimal("1000.10")  # type: ignore[union-attr]


def test_crm_deals_count_open_as_opportunity_and_won_as_customer(session: Session) -> None:
    alpha = register_lead(session, lead("Alpha", "Seed"), SETTINGS, T0)[0].partner_id
    session.add(Deal(partner_id=alpha, name="Globex Corp - 200 seats", stage="Negotiation"))
    session.add(Deal(partner_id=alpha, name="Initech", stage="Closed Won", is_closed=True, is_won=True))
    session.add(Deal(partner_id=alpha, name="Hooli", stage="Closed Lost", is_closed=True))
    session.flush()
    assert register_lead(session, lead("Beta", "Globex"), SETTINGS, T0)[0].conflict_reason == "open_opportunity"
    assert register_lead(session, lead("Beta", "Initech LLC"), SETTINGS, T0)[0].conflict_reason == "existing_customer"
    assert register_lead(session, lead("Beta", "Hooli"), SETTINGS, T0)[0].conflict_reason is None


def test_workflow_approve_reject_extend_and_refusals(session: Session) -> None:
    reg = register_lead(session, lead("Alpha", "Globex"), SETTINGS, T0)[0]
    dup = register_lead(session, lead("Beta", "Globex"), SETTINGS, T0 + DAY)[0]
    approved = approve_registration(session, reg.id[:8], SETTINGS, T0 + 2 * DAY)
    assert approved.status == "approved" and approved.expires_at == T0 + 92 * DAY
    with pytest.raises(UsageError, match=r"conflicts: registered by another partner: Alpha.*--force"):
        approve_registration(session, dup.id, SETTINGS, T0 + 3 * DAY)
    with pytest.raises(UsageError, match="needs a reason"):
        reject_registration(session, dup.id, " ")
    assert reject_registration(session, dup.id, "Alpha was first").status_reason == "Alpha was first"
    with pytest.raises(UsageError, match="cannot go from rejected to approved"):
        approve_registration(session, dup.id, SETTINGS, T0)
    extended = extend_registration(session, reg.id, 30, SETTINGS, T0 + 3 * DAY)
    assert extended.extended_until == T0 + 122 * DAY
    with pytest.raises(UsageError, match="only open registrations"):
        extend_registration(session, dup.id, 30, SETTINGS, T0)
    with pytest.raises(UsageError, match="no registration"):
        approve_registration(session, "zzzzzzzz", SETTINGS, T0)


def test_expiry_with_a_controlled_clock_frees_the_customer(session: Session) -> None:
    old = register_lead(session, lead("Alpha", "Globex"), SETTINGS, T0)[0]
    kept = register_lead(session, lead("Alpha", "Initech"), SETTINGS, T0)[0]
    extend_registration(session, kept.id, 30, SETTINGS, T0 + DAY)
    assert expire_registrations(session, T0 + 90 * DAY - dt.timedelta(seconds=1)) == []
    assert expire_registrations(session, T0 + 90 * DAY) == [old.id]
    assert old.status == "expired" and old.status_reason == "protection ended 2026-05-30"
    assert expire_registrations(session, T0 + 120 * DAY) == [kept.id]
    newer = register_lead(session, lead("Beta", "Globex Inc"), SETTINGS, T0 + 91 * DAY)[0]
    assert newer.conflict_reason is None  # the expired older registration does not conflict
    assert approve_registration(session, old.id, SETTINGS, T0 + 92 * DAY, force=True).status == "approved"


def test_registrations_pulled_from_the_crm_get_protection_and_conflict_flags(session: Session) -> None:
    first = register_lead(session, lead("Alpha", "Globex"), SETTINGS, T0)[0]
    beta = register_lead(session, lead("Beta", "Seed"), SETTINGS, T0)[0].partner_id
    pulled = Registration(partner_id=beta, company="GLOBEX LTD", contact_last_name="X", status="approved",
                          created_at=T0 + DAY, updated_at=T0 + DAY)
    session.add(pulled)
    session.flush()
    flagged = check_pulled_registrations(session, [pulled.id, first.id], T0 + 2 * DAY, SETTINGS)
    assert [r.id for r in flagged] == [pulled.id]
    assert pulled.approved_at == T0 + 2 * DAY and pulled.expires_at == T0 + 92 * DAY
    assert pulled.conflict_with == f"Alpha (registration {first.id})" and first.conflict_reason is None


def test_partner_status_history_and_suspended_partners_cannot_register(session: Session) -> None:
    set_partner_status(session, "Beta", "suspended", reason="unpaid", actor="ops", now=T0)
    history = status_history(session, register_lead(session, lead("Alpha", "X"), SETTINGS, T0)[0].partner_id)
    assert [(h.from_status, h.to_status) for h in history] == [(None, "active")]
    with pytest.raises(UsageError, match="'Beta' is suspended and may not register"):
        register_lead(session, lead("Beta", "Globex"), SETTINGS, T0)
    with pytest.raises(UsageError, match="cannot go from suspended to onboarding"):
        set_partner_status(session, "Beta", "onboarding", reason="x", actor="ops")


def test_contracts_renew_on_end_date_and_expired_ones_flag_the_partner(session: Session) -> None:
    yearly = add_contract(session, "Alpha", starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 12, 31),
                          auto_renew=True, notice_days=30)
    fixed = add_contract(session, "Beta", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 6, 30))
    due = list_contracts(session, due_within=30, today=dt.date(2024, 12, 15))
    assert [(r["id"], r["due"]) for r in due] == [(yearly.id, "notice deadline 2024-12-01 (passed); renews 2024-12-31")]
    report = renew_contracts(session, dt.date(2025, 7, 1))  # missed a while: catches up term by term
    assert len(report.renewed) == 1 and report.expired == [fixed.id]
    current = session.exec(select(Contract).where(Contract.state == "active")).one()
    assert (current.starts_on, current.ends_on, current.renewed_from) == (
        dt.date(2025, 1, 1), dt.date(2025, 12, 31), yearly.id)
    assert renew_contracts(session, dt.date(2025, 7, 1)).renewed == []  # idempotent
    flags = contract_flags(session, [yearly.partner_id, fixed.partner_id], dt.date(2025, 7, 1))
    assert flags == {fixed.partner_id: "contract expired 2025-06-30"}


def test_expiry_reads_only_registrations_whose_protection_may_have_ended(store: Store) -> None:
    """Every sync checks expiry: the database leaves out the open registrations still protected a day
    from now, and the rule decides the rest exactly (an end at `now` expires, a second later not)."""
    from sqlmodel import select

    from prm_sync.rules.registrations import may_have_ended

    now = T0 + 200 * DAY
    with store.session(write=True) as s:
        partner = add_partner(s, name="Đông Á", status="active").id
        made = {
            "ended": dict(created_at=T0, expires_at=T0 + 90 * DAY),
            "ends now": dict(created_at=T0, expires_at=now),
            "ends in a second": dict(created_at=T0, expires_at=now + dt.timedelta(seconds=1)),
            "ends in a week": dict(created_at=T0, expires_at=now + 7 * DAY),
            "extended": dict(created_at=T0, expires_at=T0 + 90 * DAY, extended_until=now + 30 * DAY),
            "extension ended": dict(created_at=T0, expires_at=T0 + 90 * DAY, extended_until=now - DAY),
            "no end, approved long ago": dict(created_at=T0, approved_at=T0 + DAY),
            "no end, approved lately": dict(created_at=T0, approved_at=now - 10 * DAY),
        }
        ids = {}
        for name, dates in made.items():
            reg = Registration(partner_id=partner, company=name, contact_last_name="Lê", status="approved",
                               updated_at=T0, **dates)
            s.add(reg)
            s.flush()
            ids[reg.id] = name
    with store.session() as s:
        read = {ids[i] for i in s.exec(select(Registration.id).where(may_have_ended(now, 90))).all()}
    assert {"ended", "ends now", "extension ended", "no end, approved long ago"} <= read
    assert not read & {"ends in a week", "extended", "no end, approved lately"}
    with store.session(write=True) as s:
        expired = {ids[i] for i in expire_registrations(s, now, protection_days=90)}
    assert expired == {"ended", "ends now", "extension ended", "no end, approved long ago"}
