"""The program's partner fields on a real store: the discount follows the tier, the count of valid
certifications follows the date, and only rows that change are touched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.program_config import ProgramSettings
from prm_sync.rules.program_fields import refresh_program_fields
from prm_sync.store import Certification, Partner, Store

PROGRAM = ProgramSettings.model_validate({
    "tiers": [{"name": "registered"}, {"name": "gold"}], "discounts": {"gold": "17.5%"}})
DAY = dt.datetime(2026, 12, 31, 9, tzinfo=dt.UTC)


def test_refresh_sets_discount_and_valid_certifications_and_is_idempotent(store: Store) -> None:
    with store.session(write=True) as session:
        gold = Partner(id="g", name="Gold GmbH", tier="gold", updated_at=DAY - dt.timedelta(days=9))
        plain = Partner(id="r", name="Registered SARL", tier="registered", updated_at=DAY - dt.timedelta(days=9))
        session.add_all([gold, plain])
        session.flush()
        session.add_all([
            Certification(partner_id="g", name="A", catalogue_id="a", holder="Anna",
                          earned_on=dt.date(2025, 1, 1), expires_on=dt.date(2026, 12, 31)),   # valid on the day
            Certification(partner_id="g", name="A", catalogue_id="a", holder="Bob",
                          earned_on=dt.date(2025, 1, 1), expires_on=dt.date(2026, 12, 30)),   # expired yesterday
            Certification(partner_id="g", name="B", catalogue_id="b", holder=None,
                          earned_on=dt.date(2026, 1, 1), expires_on=None),
            Certification(partner_id="r", name="A", catalogue_id="a", holder="Chloé",
                          earned_on=dt.date(2027, 1, 1), expires_on=None)])                   # not yet earned
    with store.session(write=True) as session:
        assert refresh_program_fields(session, PROGRAM, DAY) == 1
    with store.session() as session:
        g, r = session.get(Partner, "g"), session.get(Partner, "r")
        assert g is not None and r is not None
        assert (g.discount_percent, g.valid_certifications, g.updated_at) == (Decimal("17.50"), 2, DAY)
        assert (r.discount_percent, r.valid_certifications) == (None, None)   # never held one: left empty
    with store.session(write=True) as session:
        assert refresh_program_fields(session, PROGRAM, DAY) == 0
        # a day later Anna's certification has expired too, and Chloé's has begun
        assert refresh_program_fields(session, PROGRAM, DAY + dt.timedelta(days=1)) == 2
    with store.session() as session:
        g, r = session.get(Partner, "g"), session.get(Partner, "r")
        assert g is not None and r is not None and (g.valid_certifications, r.valid_certifications) == (1, 1)


def test_a_discount_edit_in_the_program_is_kept_in_history(store: Store) -> None:
    from sqlmodel import select

    from prm_sync.store import PartnerTierChange

    with store.session(write=True) as session:
        session.add(Partner(id="g", name="Gold GmbH", tier="gold"))
    with store.session(write=True) as session:
        refresh_program_fields(session, PROGRAM, DAY)          # first discount: no history row
    edited = PROGRAM.model_copy(update={"discounts": {"gold": Decimal("0.2")}})
    with store.session(write=True) as session:
        assert refresh_program_fields(session, edited, DAY + dt.timedelta(days=1)) == 1
        assert refresh_program_fields(session, edited, DAY + dt.timedelta(days=2)) == 0
    with store.session() as session:
        rows = [(r.from_tier, r.to_tier, r.from_discount, r.to_discount, r.actor)
                for r in session.exec(select(PartnerTierChange))]
    assert rows == [("gold", "gold", Decimal("17.50"), Decimal("20.00"), "program")]


def _stale_ids(store: Store, program: ProgramSettings | None) -> set[str]:
    from sqlmodel import select

    from prm_sync.rules.program_fields import may_be_stale

    with store.session() as session:
        return set(session.exec(select(Partner.id).where(may_be_stale(session, program))).all())


def test_only_partners_whose_fields_may_change_are_read(store: Store) -> None:
    """The refresh runs twice per sync: it reads the partners that may change, not every partner."""
    with store.session(write=True) as session:
        session.add_all([Partner(id=f"ok{n}", name=f"Đông Á {n}", tier="registered") for n in range(20)])
        session.add_all([Partner(id=f"gold{n}", name=f"Müller {n}", tier="gold", discount_percent=Decimal("17.50"))
                         for n in range(5)])
        session.add_all([
            Partner(id="gold-unset", name="Gold, no discount yet", tier="gold"),
            Partner(id="gold-old", name="Gold, old discount", tier="gold", discount_percent=Decimal("15")),
            Partner(id="demoted", name="Registered with a discount", tier="registered",
                    discount_percent=Decimal("17.50")),
            Partner(id="counted", name="Counted once", tier="registered", valid_certifications=0),
            Partner(id="certified", name="Certified SARL", tier="registered")])
        session.flush()
        session.add(Certification(partner_id="certified", name="A", catalogue_id="a", holder=None,
                                  earned_on=dt.date(2030, 1, 1), expires_on=None))   # not yet valid: still read
    assert _stale_ids(store, PROGRAM) == {"gold-unset", "gold-old", "demoted", "counted", "certified"}
    assert _stale_ids(store, None) == {f"gold{n}" for n in range(5)} | {"gold-old", "demoted", "counted",
                                                                         "certified"}
    with store.session(write=True) as session:
        assert refresh_program_fields(session, PROGRAM, DAY) == 3   # the three discounts; the counts stay
    assert _stale_ids(store, PROGRAM) == {"counted", "certified"}
