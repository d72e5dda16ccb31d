"""`prm-sync sync` reads a big first load through a Bulk API 2.0 query job, to the same store as REST."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.sync_world import World, open_world

ENTITIES = ("partner", "lead", "deal")
LEAD_VALUES: list[dict[str, Any]] = [
    {"LastName": "Nguyễn Thị Minh Khai", "FirstName": "Đặng", "Company": "Công ty Đông Á",
     "Estimated_Value__c": Decimal("1234.50"), "Expected_Close_Date__c": "2026-12-31",
     "Products__c": 'Zeile 1\nZeile 2, "zitiert"\r\nZeile 3', "CurrencyIsoCode": "EUR"},
    {"LastName": "Müller-Lüdenscheidt", "FirstName": None, "Company": "Grüße & Söhne GmbH",
     "Estimated_Value__c": None, "Expected_Close_Date__c": None, "Products__c": None},
    {"LastName": "Lefèvre", "FirstName": "Élodie", "Company": "Société Générale d'Équipement",
     "Estimated_Value__c": Decimal("0.01"), "Email": "elodie@example.fr", "Products__c": ""},
]
PARTNER_VALUES: list[dict[str, Any]] = [
    {"Name": "Đông Á Partners", "Partner_Tier__c": "Gold", "BillingCountryCode": "VN", "Partner_Since__c": "2020-02-29",
     "Territories__c": "Nord\nSüd"},
    {"Name": "Bäckerei Müller", "Partner_Tier__c": None, "Website": None, "Phone": "+49 30 1234"},
    {"Name": "Crème & Brûlée SARL", "Partner_Tier__c": "Silver", "Industry": "Food, \"fine\""},
]


def set_bulk_query_threshold(world: World, threshold: int) -> None:
    config = json.loads(world.config_path.read_text(encoding="utf-8"))
    config["crm"]["salesforce"]["bulk_query_threshold"] = threshold
    world.config_path.write_text(json.dumps(config), encoding="utf-8")


def seed(world: World) -> None:
    h = world.harness
    partners = [h.seed("partner", 1, **values)[0] for values in PARTNER_VALUES * 3]
    for i, values in enumerate(LEAD_VALUES * 3):
        h.seed("lead", 1, **values, Partner_Account__c=partners[i % 8])
    for i in range(6):
        h.seed("deal", 1, Partner_Account__c=partners[i], Amount=Decimal(f"{i}99.9{i}"),
               Name=f"Deal Ünïcödé {i}")
    h.delete("partner", partners[-1])


def _timeless(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.endswith("_at")}


def store_state(world: World) -> dict[str, Any]:
    """Entity rows (without their write times) and each link's CRM hash and base, by entity."""
    state: dict[str, Any] = {}
    for entity in ENTITIES:
        state[entity] = [_timeless(r) for r in world.store_rows(entity)]
        links = world.links(entity).values()
        state[f"{entity} links"] = sorted((lk.crm_id, lk.prm_id, lk.crm_hash, json.dumps(lk.base, sort_keys=True))
                                          for lk in links)
    return state


def test_a_bulk_first_load_matches_rest_and_the_next_sync_writes_nothing(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        seed(world)
        set_bulk_query_threshold(world, 5)
        world.harness.reset_calls()
        first = world.sync()
        assert first["exit"] == 0, first
        assert world.harness.emulator.counters["POST /services/data/v62.0/jobs/query"] == len(ENTITIES)
        bulk = store_state(world)
        assert len(bulk["partner"]) == 8 and len(bulk["deal"]) == 6  # deleted before any read: not made
        assert len(bulk["lead"]) == 9

        dump, snapshot = world.crm_dump(), world.store_snapshot()
        world.harness.reset_calls()
        again = world.sync()
        assert again["exit"] == 0 and again["counts"] == {}, again
        assert world.crm_dump() == dump
        assert world.store_snapshot() == snapshot
        assert world.harness.calls("jobs/") == 0   # incremental: REST from the cursor

        world.store_url = f"sqlite:///{tmp_path / 'rest.db'}"
        world.write_config()
        assert world.cli("db", "upgrade")[0] == 0
        world.harness.reset_calls()
        rest_run = world.sync()
        assert rest_run["exit"] == 0, rest_run
        assert world.harness.calls("jobs/") == 0
        assert store_state(world) == bulk



def test_a_first_load_prepares_each_next_entitys_job_and_polls_each_job_once(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each entity's query job is created before the entity ahead of it is pulled, so the org has
    worked on it meanwhile: one status poll per job where a job polled right after its create takes
    two (19 calls before, for these 7 entities' first reads), and the same rows as a REST load."""
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        seed(world)
        set_bulk_query_threshold(world, 5)
        world.harness.reset_calls()
        first = world.sync("--direction", "pull")
        assert first["exit"] == 0, first
        counters = world.harness.emulator.counters
        v = "/services/data/v62.0"
        assert counters[f"POST {v}/jobs/query"] == len(ENTITIES)
        assert counters[f"GET {v}/jobs/query/{{id}}"] == len(ENTITIES)          # one poll a job
        assert counters[f"GET {v}/jobs/query/{{id}}/results"] == len(ENTITIES)
        assert counters[f"GET {v}/queryAll"] == 7   # each pulled entity's first REST page, read once
        assert first["api_calls"] == sum(counters.values()) == 16
        bulk = store_state(world)

        world.harness.reset_calls()
        again = world.sync("--direction", "pull")   # incremental: nothing prepared, no job
        assert again["exit"] == 0 and again["counts"] == {}, again
        assert world.harness.calls("jobs/") == 0 and again["api_calls"] == 7

        world.store_url = f"sqlite:///{tmp_path / 'rest.db'}"
        world.write_config()
        assert world.cli("db", "upgrade")[0] == 0
        set_bulk_query_threshold(world, 100_000)
        world.harness.reset_calls()
        rest_run = world.sync("--direction", "pull")
        assert rest_run["exit"] == 0, rest_run
        assert world.harness.calls("jobs/") == 0 and rest_run["api_calls"] == 7
        assert store_state(world) == bulk
