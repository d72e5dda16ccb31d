"""config `funds`: defaults, a valid block, and every mistake named with its file, line and key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.config import load_config
from prm_sync.errors import ConfigError

HEAD = """crm: {type: hubspot, hubspot: {access_token: "${T}"}}
mappings: mappings/hubspot.yaml
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    return load_config(path, env={"T": "x"})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return [f"{p.line}: {p.path}: {p.message}" for p in info.value.problems]


def test_funds_defaults_and_a_valid_block(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, ""), env={"T": "x"})
    settings = config.funds.settings()
    assert (settings.expiry_days, settings.claim_over_approval, dict(settings.default_allocation)) == (30, "refuse", {})
    config = load_config(_write(tmp_path, """funds:
  default_allocation: {Gold: 10000, silver: "5000.50"}
  expiry_days: 45
  claim_over_approval: cap
"""), env={"T": "x"})
    settings = config.funds.settings()
    assert dict(settings.default_allocation) == {"gold": Decimal("10000"), "silver": Decimal("5000.50")}
    assert (settings.expiry_days, settings.claim_over_approval) == (45, "cap")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def test_funds_mistakes_name_file_line_and_key(tmp_path: Path) -> None:
    found = problems(tmp_path, """funds:
  default_allocation: {gold: 1000}
  expiry_days: -1
  claim_over_approval: trim
""")
    assert [f.split(":")[0:2] for f in found] == [["5", " funds.expiry_days"], ["6", " funds.claim_over_approval"]]
    assert "'refuse' or 'cap'" in found[1]
    found = problems(tmp_path, """funds:
  default_allocation:
    gold: 1000
    diamond: 5000
""")
    assert found == ["6: funds.default_allocation.diamond: 'diamond' is not one of partners.tiers "
                     "(registered, silver, gold, platinum)"]
    found = problems(tmp_path, """funds:
  default_allocation: {gold: -5}
""")
    assert len(found) == 1 and found[0].startswith("4: funds.default_allocation") and "0 or more" in found[0]
