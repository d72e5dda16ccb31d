"""config `program`: every mistake named with its file, line and key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.config import load_config
from prm_sync.errors import ConfigError

HEAD = """crm: {type: hubspot, hubspot: {access_token: "${T}"}}
mappings: mappings/hubspot.yaml
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"T": "x"})
    return [f"{p.line}: {p.path}: {p.message}" for p in info.value.problems]


def test_a_valid_program_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + """program:
  tiers:
    - name: Registered
    - name: silver
      requires: {revenue: "250000", won_deals: 5, certifications: {sales-pro: 1}}
  certifications: [{id: sales-pro, name: Sales Pro, validity_months: 24}]
  discounts: {silver: "12.5%"}
""", encoding="utf-8")
    program = load_config(path, env={"T": "x"}).program
    assert program is not None and program.tier_names() == ["registered", "silver"]
    assert program.tiers[1].requires.revenue == Decimal(250000)
    assert program.discount_for("silver") == Decimal("0.125") and program.discount_for("registered") is None


def test_program_mistakes_name_file_line_and_key(tmp_path: Path) -> None:
    found = problems(tmp_path, """program:
  tiers:
    - name: registered
    - name: diamond
    - name: gold
      requires: {revenue: 1000000.5, certifications: {cloud: 1}}
  discounts: {silver: "10%"}
""")
    assert found == [
        "8: program.tiers[2].requires.revenue: write 1000000.5 as a quoted string, e.g. \"1000000.5\" "
        "(floats are not exact)",
    ]
    found = problems(tmp_path, """program:
  tiers:
    - name: registered
    - name: diamond
    - name: gold
      requires: {revenue: 1000000, certifications: {cloud: 1}}
  discounts: {silver: "10%"}
""")
    assert found == [
        "6: program.tiers[1].name: 'diamond' is not one of partners.tiers (registered, silver, gold, platinum)",
        "8: program.tiers[2].requires.certifications.cloud: 'cloud' is not in the certification catalogue "
        "(known: none: add program.certifications)",
        "9: program.discounts.silver: 'silver' is not a tier of program.tiers (registered, diamond, gold)",
    ]


def test_tiers_out_of_order_and_a_foreign_fx_table(tmp_path: Path) -> None:
    found = problems(tmp_path, """commissions:
  fx: {EUR: "1.10"}
  plans: [{name: p, currency: USD, effective: {from: 2026-01-01}, tier_rates: {gold: "10%"}}]
program:
  currency: EUR
  tiers: [{name: gold}, {name: silver}]
  unknown: 1
""")
    assert found == ["9: program.unknown: unknown key 'unknown' (allowed: certifications, crm_tier_pin_days, "
                     "currency, discounts, grace_days, score, tiers)"]
    found = problems(tmp_path, """commissions:
  fx: {EUR: "1.10"}
  plans: [{name: p, currency: USD, effective: {from: 2026-01-01}, tier_rates: {gold: "10%"}}]
program:
  currency: EUR
  tiers: [{name: gold}, {name: silver}]
""")
    assert found == [
        "7: program.currency: 'EUR': commissions.fx is expressed in USD; the program must use that currency "
        "(or give fx rates in it)",
        "8: program.tiers: list the tiers lowest first, in the order of partners.tiers",
    ]


def test_score_settings_load_with_defaults_and_targets_from_the_top_tier(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + """program:
  tiers:
    - name: registered
    - name: silver
      requires: {revenue: 250000, won_deals: 5}
    - name: gold
      requires: {revenue: 1000000, won_deals: 15, certifications: {sales-pro: 2, tech: 1}, min_score: 72.5}
  certifications: [{id: sales-pro, name: Sales Pro}, {id: tech, name: Tech}]
""", encoding="utf-8")
    program = load_config(path, env={"T": "x"}).program
    assert program is not None and program.score is None
    scoring = program.scoring()   # a tier asks for a score: the documented defaults
    assert scoring is not None and scoring.window_months == 12
    assert scoring.weights.as_dict() == {"revenue": 40, "won_deals": 20, "registration_approval": 10,
                                         "registration_win": 10, "certifications": 20}
    assert program.score_targets() == {"revenue": 1000000, "won_deals": 15, "certifications": 3}
    assert program.tiers[2].requires.min_score == Decimal("72.5")


def test_bad_score_weights_name_file_line_and_key(tmp_path: Path) -> None:
    found = problems(tmp_path, """program:
  tiers: [{name: registered}, {name: gold, requires: {min_score: 101}}]
  score:
    weights: {revenue: -5, won_deals: lots, bonus: 3}
""")
    assert found == [
        "4: program.tiers[1].requires.min_score: input should be less than or equal to 100",
        "6: program.score.weights.bonus: unknown key 'bonus' (allowed: certifications, registration_approval, "
        "registration_win, revenue, won_deals)",
        "6: program.score.weights.revenue: '-5' must be a weight of 0 or more",
        "6: program.score.weights.won_deals: 'lots' is not a weight (a number of 0 or more)",
    ]
    found = problems(tmp_path, """program:
  tiers: [{name: registered}, {name: gold, requires: {min_score: 50}}]
  score:
    weights: {revenue: 0, won_deals: 0, registration_approval: 0, registration_win: 0, certifications: 0}
""")
    assert found == ["6: program.score.weights: the weights must not all be 0 (their sum must be more than 0)"]
    found = problems(tmp_path, """program:
  tiers: [{name: registered}, {name: gold, requires: {won_deals: 3, min_score: 50}}]
  score:
    weights: {revenue: 10, certifications: 0}
""")
    assert found == ["6: program.score.weights.revenue: the score's 'revenue' weighs 10 but has no target: give "
                     "program.score.targets.revenue, a tier requirement of that kind, or weight 0"]
