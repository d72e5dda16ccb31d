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
                     "currency, discounts, grace_days, tiers)"]
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
