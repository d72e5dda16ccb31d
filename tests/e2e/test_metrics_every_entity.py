"""The metrics file always carries every entity's last known series (issue 21 item 10).

A commission-only job (the shipped schedule's nightly one) used to rewrite the file with the
commission series alone: partner, lead and deal `last_success_timestamp` vanished and staleness
alerts on them broke. Each `run()` below is a fresh invocation (as after a restart): what the
file carries for the entities a run did not touch comes from the store.
"""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.hubspot.emulator import HubSpotEmulator
from prm_sync.cli.main import run

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "pat-metrics"
ENTITIES = ("partner", "lead", "deal", "commission")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    emulator = HubSpotEmulator(token=TOKEN)
    emulator.start()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    (tmp_path / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / "hubspot.yaml", tmp_path / "mappings" / "hubspot.yaml")
    (tmp_path / "config.yaml").write_text(
        'crm:\n  type: hubspot\n  hubspot:\n    access_token: "${HUBSPOT_ACCESS_TOKEN}"\n'
        f'    base_url: "{emulator.base_url}"\nmappings: mappings/hubspot.yaml\n', encoding="utf-8")
    yield tmp_path
    emulator.stop()


def samples(path: Path) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            found[(sample.name, sample.labels.get("entity", ""))] = sample.value
    return found


def test_a_commission_only_run_keeps_every_entitys_series(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, metrics = str(site / "config.yaml"), site / "prm.prom"
    assert run(["--config", config, "db", "upgrade"]) == 0
    assert run(["--config", config, "partners", "add", "Ánh Dương Co"]) == 0
    assert run(["--config", config, "sync", "--metrics-file", str(metrics)]) == 0, capsys.readouterr().err
    first = samples(metrics)
    for entity in ENTITIES:
        assert ("prm_sync_last_success_timestamp_seconds", entity) in first
    assert first[("prm_sync_last_run_records_pushed", "partner")] == 1

    code = run(["--config", config, "sync", "--entity", "commission", "--metrics-file", str(metrics)])
    assert code == 0, capsys.readouterr().err
    after = samples(metrics)
    for entity in ("partner", "lead", "deal"):   # untouched by the job: their last known values
        assert after[("prm_sync_last_success_timestamp_seconds", entity)] == \
            first[("prm_sync_last_success_timestamp_seconds", entity)]
        for series in ("records_pulled", "records_pushed", "record_errors", "conflicts"):
            assert after[(f"prm_sync_last_run_{series}", entity)] == first[(f"prm_sync_last_run_{series}", entity)]
    assert after[("prm_sync_last_success_timestamp_seconds", "commission")] > \
        first[("prm_sync_last_success_timestamp_seconds", "commission")]


def test_a_failed_run_keeps_every_entitys_last_success(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, metrics = str(site / "config.yaml"), site / "prm.prom"
    assert run(["--config", config, "db", "upgrade"]) == 0
    assert run(["--config", config, "sync", "--metrics-file", str(metrics)]) == 0
    first = samples(metrics)
    with socket.socket() as probe:     # a port nobody listens on: the next run fails
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    text = (site / "config.yaml").read_text(encoding="utf-8")
    (site / "config.yaml").write_text(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{closed}", text), encoding="utf-8")
    code = run(["--config", config, "sync", "--entity", "deal", "--metrics-file", str(metrics)])
    assert code == 3
    after = samples(metrics)
    for entity in ENTITIES:
        assert after[("prm_sync_last_success_timestamp_seconds", entity)] == \
            first[("prm_sync_last_success_timestamp_seconds", entity)]
