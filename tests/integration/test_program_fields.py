"""The program's partner fields on a real store: the discount follows the tier, the count of valid
certifications follows the date, and only rows that change are touched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.program_config import ProgramSettings
from prm_sync.services.program_fields import refresh_program_fields
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
        assert refresh_program_fields(session, PROGRAM, DAY) == 2
    with store.session() as session:
        g, r = session.get(Partner, "g"), session.get(Partner, "r")
        assert g is not None and r is not None
        assert (g.discount_percent, g.valid_certifications, g.updated_at) == (Decimal("17.50"), 2, DAY)
        assert (r.discount_percent, r.valid_certifications, r.updated_at) == (None, 0, DAY)
    with store.session(write=True) as session:
        assert refresh_program_fields(session, PROGRAM, DAY) == 0
        # a day later Anna's certification has expired too, and Chloé's has begun
        assert refresh_program_fields(session, PROGRAM, DAY + dt.timedelta(days=1)) == 2
    with store.session() as session:
        g, r = session.get(Partner, "g"), session.get(Partner, "r")
        assert g is not None and r is not None and (g.valid_certifications, r.valid_certifications) == (1, 1)
