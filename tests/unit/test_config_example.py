"""config.example.yaml is valid and documents every key of the config models."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from prm_sync.config import Config, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"HUBSPOT_ACCESS_TOKEN": "pat-x", "SF_INSTANCE_URL": "https://x.my.salesforce.com", "SF_SESSION_ID": "s"}
    config = load_config(ROOT / "config.example.yaml", env=env)
    assert config.crm.type == "hubspot"
    assert config.commissions is not None and config.commissions.plans[0].tier_rates["gold"] == __import__(
        "decimal").Decimal("0.10")
    assert config.secrets == frozenset({"pat-x", "s"})


def _keys(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        names.add(field.alias or name)
        for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
            inner = [arg, *getattr(arg, "__args__", ())]
            for candidate in inner:
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    names |= _keys(candidate)
    return names


def test_example_config_mentions_every_key() -> None:
    text = (ROOT / "config.example.yaml").read_text()
    missing = sorted(k for k in _keys(Config) if f"{k}:" not in text and f"{k}:" not in text.replace("# ", ""))
    assert not missing, f"config.example.yaml does not document: {missing}"
