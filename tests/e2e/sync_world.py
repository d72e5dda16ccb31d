"""An end-to-end world: a CRM emulator (real SDK over HTTP), a config on disk, a store, and the
CLI run as a user runs it. CRM-side edits go through the connector test harnesses."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import select

from prm_sync.cli.main import run
from prm_sync.store import Link, Quarantine, open_store
from prm_sync.sync.rows import TABLES
from tests.integration.connectors import harness_hubspot, harness_salesforce

ROOT = Path(__file__).resolve().parents[2]

#: per CRM: a PRM-side value the CRM refuses on write (field, value), and a CRM value the PRM refuses
BAD = {
    "salesforce": {"push": ("website", "https://" + "x" * 300 + ".example.com"),
                   "pull": ("Partner_Tier__c", "Diamond")},
    "hubspot": {"push": ("tier", "diamond"), "pull": ("prm_partner_tier", "diamond")},
}
TIER_FIELD = {"salesforce": ("Partner_Tier__c", {"gold": "Gold", "silver": "Silver", "platinum": "Platinum",
                                                 "registered": "Registered"}),
              "hubspot": ("prm_partner_tier", {t: t for t in ("gold", "silver", "platinum", "registered")})}
KEY_FIELD = {"salesforce": "PRM_Id__c", "hubspot": "prm_id"}


class RealClock:
    """The emulator's clock: real time (the engine caps cursors at the real run start)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self.offset = value - dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    crm: str
    harness: Any
    tmp: Path
    store_url: str
    capsys: pytest.CaptureFixture[str]

    @property
    def config_path(self) -> Path:
        return self.tmp / "config.yaml"

    @property
    def mapping_path(self) -> Path:
        return self.tmp / "mappings" / f"{self.crm}.yaml"

    extra_config: dict[str, Any] | None = None

    def write_config(self, **sync: Any) -> None:
        settings = ({"access_token": "${HUBSPOT_ACCESS_TOKEN}", "base_url": self.harness.emulator.base_url}
                    if self.crm == "hubspot" else
                    {"instance_url": self.harness.emulator.base_url, "session_id": "${SF_SESSION_ID}",
                     "ca_bundle": str(self.harness.emulator.ca_path)})
        config = {"crm": {"type": self.crm, self.crm: settings}, "store": {"url": self.store_url},
                  "mappings": f"mappings/{self.crm}.yaml",
                  "sync": {"lookback_seconds": 0, "deletion_sweep_minutes": 0, **sync}, **(self.extra_config or {})}
        self.config_path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML

    def edit_mapping(self, old: str, new: str) -> None:
        text = self.mapping_path.read_text(encoding="utf-8")
        assert old in text, old
        self.mapping_path.write_text(text.replace(old, new), encoding="utf-8")

    def set_policy(self, entity: str, policy: str) -> None:
        lines = self.mapping_path.read_text(encoding="utf-8").splitlines()
        start = lines.index(f"  {entity}:")
        for i in range(start + 1, len(lines)):
            if lines[i].strip().startswith("conflict:"):
                lines[i] = f"    conflict: {policy}"
                break
        self.mapping_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = run(["--config", str(self.config_path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def sync(self, *args: str) -> dict[str, Any]:
        code, out, err = self.cli("sync", "--format", "json", *args)
        report = json.loads(out)
        report["exit"] = code
        report["stderr"] = err
        return report

    # -- state snapshots ---------------------------------------------------------------------
    def store_rows(self, entity: str) -> list[dict[str, Any]]:
        from prm_sync.domain.fields import Entity

        with open_store(self.store_url, create=False) as store, store.session() as session:
            table = TABLES[Entity(entity)]
            return [row.model_dump() for row in session.exec(select(table).order_by(table.id))]

    def store_snapshot(self) -> dict[str, Any]:
        """Every table's rows as text: what a 'writes nothing' check compares."""
        with open_store(self.store_url, create=False) as store, store.engine.connect() as connection:
            out = {}
            for name in sorted(sa_inspect(connection).get_table_names()):
                if name in ("sync_run", "run_fence", "prm_sync_alembic_version"):  # run bookkeeping
                    continue
                rows = connection.exec_driver_sql(f'SELECT * FROM "{name}"').fetchall()
                out[name] = sorted(repr(tuple(r)) for r in rows)
            return out

    def links(self, entity: str) -> dict[str, Link]:
        with open_store(self.store_url, create=False) as store, store.session() as session:
            return {link.prm_id: link for link in session.exec(select(Link).where(Link.entity == entity))}

    def open_quarantine(self) -> list[Quarantine]:
        with open_store(self.store_url, create=False) as store, store.session() as session:
            return list(session.exec(select(Quarantine).where(Quarantine.resolved_at == None)))  # noqa: E711

    def crm_dump(self) -> Any:
        return self.harness.emulator.dump()

    def crm_tier(self, crm_id: str) -> str | None:
        field, values = TIER_FIELD[self.crm]
        raw = self.harness.crm_record("partner", crm_id).get(field)
        reverse = {v: k for k, v in values.items()}
        return reverse.get(raw, raw)

    def set_crm_tier(self, crm_id: str, tier: str) -> None:
        field, values = TIER_FIELD[self.crm]
        self.harness.modify("partner", crm_id, field, values.get(tier, tier))

    def crm_by_key(self, entity: str, key: str) -> dict[str, Any] | None:
        emulator = self.harness.emulator
        obj = (harness_hubspot.SEED_SHAPE if self.crm == "hubspot" else harness_salesforce.SEED_SHAPE)[entity][0]
        if self.crm == "salesforce":
            rows = [r for r in emulator.records(obj, include_deleted=True) if r.get(KEY_FIELD[self.crm]) == key]
        else:
            table = emulator.store.table(emulator.schema.object_types[obj])
            rows = [dict(r.properties, archived=r.archived_ms is not None) for r in table.records.values()
                    if r.properties.get("prm_id") == key]
        assert len(rows) <= 1, f"{len(rows)} CRM records carry the key {key}"
        return rows[0] if rows else None


@contextmanager
def open_world(crm: str, store_url: str, tmp: Path, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    clock = RealClock()
    if crm == "hubspot":
        emulator = harness_hubspot.HubSpotEmulator(token=harness_hubspot.TOKEN, clock=clock)
        emulator.start()
        harness: Any = harness_hubspot.HubSpotHarness(emulator, clock, _mapping(crm))  # type: ignore[arg-type]
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", harness_hubspot.TOKEN)
    else:
        emulator = harness_salesforce.SalesforceEmulator(clock=clock)
        emulator.start()
        harness = harness_salesforce.SalesforceHarness(emulator, clock, _mapping(crm))  # type: ignore[arg-type]
        monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
    (tmp / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / f"{crm}.yaml", tmp / "mappings" / f"{crm}.yaml")
    world = World(crm, harness, tmp, store_url, capsys)
    world.write_config()
    assert world.cli("db", "upgrade")[0] == 0
    try:
        yield world
    finally:
        harness.connector.close()
        emulator.stop()
        assert not emulator.unexpected_errors, emulator.unexpected_errors


def _mapping(crm: str) -> Any:
    from prm_sync.mapping import load_mapping

    return load_mapping(ROOT / "mappings" / f"{crm}.yaml")
