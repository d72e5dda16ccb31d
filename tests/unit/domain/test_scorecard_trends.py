"""Trends over periods and roll-ups, worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from prm_sync.domain.commissions import parse_period
from prm_sync.domain.scorecard_trends import direction, last_periods, roll_up, trends
from prm_sync.domain.scorecards import DealFact, PartnerInfo, PipelineFact, RegistrationFact, scorecards

D = Decimal
PARTNERS = [PartnerInfo("a", "Acme", "gold", "jane@example.com", ("US", "EMEA")),
            PartnerInfo("b", "Bêta SARL", "silver", "jane@example.com", ("EMEA",)),
            PartnerInfo("c", "Cờ Đỏ JSC", "silver", None, ())]
INFO = {p.id: p for p in PARTNERS}


def cards_for(label: str) -> list:  # type: ignore[type-arg]
    period = parse_period(label)
    day = period.start + dt.timedelta(days=5)
    won = {"2026-Q2": {"a": "100", "b": "50"}, "2026-Q3": {"a": "80", "b": "50", "c": "10"}}.get(label, {})
    deals = [DealFact(pid, day, True, True, D(v), None) for pid, v in won.items()]
    deals += [DealFact("b", day, False, True, None, None)]            # b loses one deal each period
    regs = [RegistrationFact("a", day, True, False, False), RegistrationFact("b", day, False, True, True)]
    pipeline = [PipelineFact("a", day, D("1000")), PipelineFact("c", day, D("5"))]
    return scorecards(period, "USD", PARTNERS, regs, deals, [], (), pipeline)


def test_last_periods_cross_the_year() -> None:
    assert [p.label for p in last_periods(parse_period("2026-Q1"), 4)] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert [p.label for p in last_periods(parse_period("2026-02"), 3)] == ["2025-12", "2026-01", "2026-02"]


def test_open_pipeline_sits_beside_revenue() -> None:
    acme = next(c for c in cards_for("2026-Q3") if c.partner_id == "a")
    assert (acme.revenue, acme.open_pipeline) == (D("80.00"), D("1000.00"))


def test_trend_rows_with_direction() -> None:
    series = [cards_for(label) for label in ("2026-Q1", "2026-Q2", "2026-Q3")]
    rows = {(r.name, r.figure): r for r in trends(series, ("revenue", "win_rate", "deals_won"))}
    # Acme: 0 -> 100 -> 80: down.  Bêta: 0 -> 50 -> 50: flat.  Cờ Đỏ: 0 -> 0 -> 10: up.
    assert rows[("Acme", "revenue")].values == (D("0.00"), D("100.00"), D("80.00"))
    assert [rows[(n, "revenue")].direction for n in ("Acme", "Bêta SARL", "Cờ Đỏ JSC")] == ["down", "flat", "up"]
    # Bêta's win rate: Q1 0 won / 1 closed = 0; Q2 1 / 2 = 0.5; Q3 1 / 2 = 0.5 -> flat
    assert rows[("Bêta SARL", "win_rate")].values == (D("0.0000"), D("0.5000"), D("0.5000"))
    # Acme closed nothing in Q1: no win rate then; Q2 -> Q3 both 1/1: flat
    assert rows[("Acme", "win_rate")].values == (None, D("1.0000"), D("1.0000"))
    assert direction([None, D(1)]) == "–"


def test_roll_up_sums_and_recomputes_rates() -> None:
    q3 = cards_for("2026-Q3")
    by_manager = {c.partner: c for c in roll_up(q3, INFO, "channel_manager")}
    jane = by_manager["jane@example.com"]
    # Acme 80 + Bêta 50 = 130 in 2 won deals; closed: Acme 1, Bêta 2 -> win rate 2 / 3
    assert (jane.revenue, jane.deals_won, jane.deals_closed, jane.win_rate) == (D("130.00"), 2, 3, D("0.6667"))
    # registrations: Acme approved 1, Bêta rejected 1 -> approval 1 / 2; one conflict of 2
    assert (jane.approval_rate, jane.conflict_rate, jane.average_deal_size) == (D("0.5000"), D("0.5000"), D("65.00"))
    assert by_manager["(none)"].revenue == D("10.00") and by_manager["(none)"].open_pipeline == D("5.00")
    by_territory = {c.partner: c.revenue for c in roll_up(q3, INFO, "territory")}
    assert by_territory == {"EMEA": D("130.00"), "US": D("80.00"), "(none)": D("10.00")}   # Acme in both
    by_tier = [(c.partner, c.revenue) for c in roll_up(q3, INFO, "tier")]
    assert by_tier == [("gold", D("80.00")), ("silver", D("60.00"))]
