"""The store on SQLite and PostgreSQL: every table round-trips, money stays exact, times stay
aware UTC, constraints hold, and a unit of work is all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from prm_sync.store import (
    Certification,
    CommissionLine,
    Conflict,
    Contract,
    Deal,
    Link,
    Partner,
    PartnerStatusChange,
    Quarantine,
    Registration,
    Store,
    SyncRun,
    link_for_crm,
    link_for_prm,
    load_cursor,
    save_cursor,
)

T0 = datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=UTC)
PLUS7 = timezone(timedelta(hours=7))


def _partner(store: Store, **values: object) -> str:
    with store.session() as session:
        partner = Partner(name="Acme", **values)
        session.add(partner)
    return partner.id


def test_partner_round_trip_keeps_every_field(store: Store) -> None:
    pid = _partner(
        store, tier="gold", status="active", country="VN", website="https://acme.example",
        phone="+84 1", industry="Software", joined_on=date(2024, 2, 29),
        channel_manager="cm@example.com", territories="APAC;EMEA",
    )
    with store.session() as session:
        partner = session.get(Partner, pid)
        assert partner is not None
        assert (partner.tier, partner.status, partner.joined_on) == ("gold", "active", date(2024, 2, 29))
        assert partner.territories == "APAC;EMEA"
        assert partner.created_at.tzinfo is UTC and partner.deleted_at is None
        assert len(pid) == 32


def test_partner_children_round_trip(store: Store) -> None:
    pid = _partner(store)
    with store.session() as session:
        session.add(PartnerStatusChange(partner_id=pid, from_status="prospect", to_status="active",
                                        reason="signed", actor="cli:ops", at=T0))
        session.add(Certification(partner_id=pid, name="Cloud 101", earned_on=date(2026, 1, 5)))
        first = Contract(partner_id=pid, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                         auto_renew=True, notice_days=30, terms_url="https://t.example/1")
        session.add(first)
        session.flush()
        session.add(Contract(partner_id=pid, starts_on=date(2027, 1, 1), renewed_from=first.id))
    with store.session() as session:
        change = session.exec(select(PartnerStatusChange)).one()
        assert (change.to_status, change.at) == ("active", T0)
        assert session.exec(select(Certification)).one().earned_on == date(2026, 1, 5)
        renewal = session.exec(select(Contract).where(Contract.renewed_from.is_not(None))).one()
        assert renewal.renewed_from == first.id and renewal.state == "active"
        assert session.get(Contract, first.id).auto_renew is True


def test_registration_deal_and_commission_round_trip(store: Store) -> None:
    pid = _partner(store)
    with store.session() as session:
        reg = Registration(partner_id=pid, company="Globex", contact_first_name="Ann",
                           contact_last_name="Lee", email="ann@globex.example",
                           estimated_value=Decimal("125000.50"), currency="EUR",
                           expected_close=date(2026, 9, 30), products="Widgets",
                           approved_at=T0, expires_at=T0 + timedelta(days=90))
        deal = Deal(partner_id=pid, name="Globex expansion", amount=Decimal("99999.99"),
                    currency="EUR", stage="Closed Won", close_date=date(2026, 9, 1),
                    is_won=True, is_closed=True, deal_type="new", product_line="software",
                    registration_id=reg.id)
        session.add_all([reg, deal])
        session.flush()
        session.add(CommissionLine(deal_id=deal.id, partner_id=pid, amount=Decimal("-12.345678"),
                                   currency="EUR", status="clawback", kind="clawback",
                                   period="2026-Q3", plan="standard-2026", explanation="x" * 5000))
    with store.session() as session:
        got_reg = session.get(Registration, reg.id)
        assert got_reg.estimated_value == Decimal("125000.50") and str(got_reg.estimated_value) == "125000.50"
        assert got_reg.status == "submitted" and got_reg.converted is False
        assert got_reg.expires_at == T0 + timedelta(days=90)
        got_deal = session.exec(select(Deal).where(Deal.registration_id == reg.id)).one()
        assert got_deal.amount == Decimal("99999.99") and got_deal.is_won is True
        line = session.exec(select(CommissionLine)).one()
        assert line.amount == Decimal("-12.345678") and len(line.explanation) == 5000


@pytest.mark.parametrize(
    "amount",
    [Decimal("0.1") + Decimal("0.2"), Decimal("1234567890123456789012345678"),
     Decimal("0.0000000000000000000000000001"), Decimal("-98765432109876543210.12345678"),
     Decimal("1E+3"), Decimal("1.10")],
)
def test_money_is_exact(store: Store, amount: Decimal) -> None:
    pid = _partner(store)
    with store.session() as session:
        deal = Deal(partner_id=pid, name="d", amount=amount)
        session.add(deal)
    with store.session() as session:
        stored = session.get(Deal, deal.id).amount
    assert isinstance(stored, Decimal)
    assert stored == amount
    assert stored.as_tuple().exponent == min(amount.as_tuple().exponent, 0)


def test_money_refuses_float(store: Store) -> None:
    pid = _partner(store)
    with pytest.raises(StatementError, match="money must be Decimal"), store.session() as session:
        session.add(Deal(partner_id=pid, name="d", amount=0.1))


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    pid = _partner(store)
    local = datetime(2026, 3, 1, 8, 0, tzinfo=PLUS7)
    with store.session() as session:
        session.add(PartnerStatusChange(partner_id=pid, to_status="active", actor="t", at=local))
    with store.session() as session:
        at = session.exec(select(PartnerStatusChange.at)).one()
    assert at.tzinfo is UTC and at == local and at.hour == 1


def test_naive_datetime_is_refused(store: Store) -> None:
    pid = _partner(store)
    with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
        session.add(PartnerStatusChange(partner_id=pid, to_status="x", actor="t", at=datetime(2026, 1, 1)))


def test_updated_at_moves_on_update(store: Store) -> None:
    pid = _partner(store)
    with store.session() as session:
        before = session.get(Partner, pid).updated_at
    with store.session() as session:
        session.get(Partner, pid).tier = "gold"
    with store.session() as session:
        after = session.exec(select(Partner).where(Partner.updated_at > before)).one()
    assert after.id == pid


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Deal(partner_id="no-such-partner", name="orphan"))


def test_link_keys_are_unique(store: Store) -> None:
    with store.session() as session:
        session.add(Link(entity="partner", prm_id="p1", crm_id="001A"))
        session.add(Link(entity="partner", prm_id="p2", crm_id=None))
        session.add(Link(entity="partner", prm_id="p3", crm_id=None))
        session.add(Link(entity="deal", prm_id="p1", crm_id="001A"))
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Link(entity="partner", prm_id="p4", crm_id="001A"))
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Link(entity="partner", prm_id="p1", crm_id="001B"))
        session.flush()
    with store.session() as session:
        assert link_for_crm(session, "partner", "001A").prm_id == "p1"
        assert link_for_prm(session, "deal", "p1").crm_id == "001A"
        assert link_for_crm(session, "lead", "001A") is None


def test_unit_of_work_rolls_back_rows_and_cursor_together(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.session(write=True) as session:
        session.add(Partner(name="Lost"))
        save_cursor(session, "partner", "changes", T0, "001")
        session.flush()
        raise Boom
    with store.session() as session:
        assert session.exec(select(Partner)).all() == []
        assert load_cursor(session, "partner", "changes") is None


def test_cursor_upsert(store: Store) -> None:
    with store.session(write=True) as session:
        save_cursor(session, "partner", "changes", T0, "001")
        save_cursor(session, "partner", "deleted", T0, None)
    later = T0 + timedelta(minutes=15)
    with store.session(write=True) as session:
        save_cursor(session, "partner", "changes", later, "009")
    with store.session() as session:
        cursor = load_cursor(session, "partner", "changes")
        assert (cursor.modstamp, cursor.record_id) == (later, "009")
        assert load_cursor(session, "partner", "deleted").record_id is None


def test_run_quarantine_and_conflict_round_trip(store: Store) -> None:
    with store.session() as session:
        run = SyncRun(entities=["partner", "lead"], direction="both", counts={"partner": {"pulled": 3}})
        session.add(run)
        session.flush()
        session.add(Quarantine(run_id=run.id, entity="lead", side="push", record_key="r1", prm_id="r1",
                               kind="rejected", reason="FIELD_CUSTOM_VALIDATION_EXCEPTION",
                               payload={"amount": Decimal("1.10"), "when": date(2026, 1, 2)}))
        session.add(Conflict(entity="partner", prm_id="p1", crm_id="001", field="tier",
                             prm_value="gold", crm_value="silver", base_value=None))
    with store.session() as session:
        got_run = session.get(SyncRun, run.id)
        assert got_run.status == "running" and got_run.entities == ["partner", "lead"]
        assert got_run.counts == {"partner": {"pulled": 3}} and got_run.dry_run is False
        entry = session.exec(select(Quarantine)).one()
        assert entry.payload == {"amount": "1.10", "when": "2026-01-02"} and entry.attempts == 1
        conflict = session.exec(select(Conflict)).one()
        assert (conflict.prm_value, conflict.crm_value, conflict.resolution) == ("gold", "silver", None)


def test_check_constraints_refuse_unknown_states(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(SyncRun(status="sort-of-ok"))
