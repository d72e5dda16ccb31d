"""Metrics textfile (parsed back with prometheus_client) and webhook alerts (received over HTTP)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prm_sync.config import AlertSettings
from prm_sync.ops.alerts import alert_reasons, send_alert
from prm_sync.ops.metrics import RunOutcome, write_metrics
from prm_sync.sync.report import RunReport
from prm_sync.util.redact import remember_secrets
from tests.integration.ops.webhook import WebhookReceiver

T0 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
ENTITIES = ["partner", "lead", "deal", "commission"]


def _report(*, rejected: int = 0, conflicts: int = 0, stopped: str | None = None) -> RunReport:
    report = RunReport()
    report.pulled["partner"] = 12
    for _ in range(3):
        report.count("partner", "crm", "create")
    report.count("lead", "crm", "update")
    for _ in range(rejected):
        report.count("lead", "crm", "rejected")
    for _ in range(conflicts):
        report.count("partner", "prm", "conflict")
    report.api_calls = 9
    report.stopped = stopped
    return report


def _samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_file_parses_and_holds_the_run(tmp_path: Path) -> None:
    path = tmp_path / "textfile" / "prm-sync.prom"
    outcome = RunOutcome(status="errors", started=T0, finished=T0 + dt.timedelta(seconds=42), entities=ENTITIES,
                         report=_report(rejected=2, conflicts=1), last_success={"partner": T0 - dt.timedelta(hours=1)})
    write_metrics(path, outcome)
    samples = _samples(path)
    assert samples[("prm_sync_last_run_records_pulled", (("entity", "partner"),))] == 12
    assert samples[("prm_sync_last_run_records_pushed", (("entity", "partner"),))] == 3
    assert samples[("prm_sync_last_run_records_pushed", (("entity", "lead"),))] == 1
    assert samples[("prm_sync_last_run_record_errors", (("entity", "lead"),))] == 2
    assert samples[("prm_sync_last_run_conflicts", (("entity", "partner"),))] == 1
    assert samples[("prm_sync_last_run_status", (("status", "errors"),))] == 1
    assert samples[("prm_sync_last_run_status", (("status", "ok"),))] == 0
    assert samples[("prm_sync_last_run_duration_seconds", ())] == 42
    assert samples[("prm_sync_last_run_api_calls", ())] == 9
    assert samples[("prm_sync_last_success_timestamp_seconds", (("entity", "partner"),))] == (
        T0 - dt.timedelta(hours=1)).timestamp()
    assert [p.name for p in path.parent.iterdir()] == ["prm-sync.prom"]   # renamed into place, no leftovers


def test_alert_reasons() -> None:
    def outcome(report: RunReport | None, status: str = "ok") -> RunOutcome:
        return RunOutcome(status=status, started=T0, finished=T0, entities=ENTITIES, report=report)

    assert alert_reasons(outcome(_report())) == []
    assert alert_reasons(outcome(_report(rejected=1), "errors")) == ["errors"]
    assert alert_reasons(outcome(_report(conflicts=2), "errors")) == ["conflicts"]
    assert alert_reasons(outcome(_report(stopped="daily API budget used"), "errors")) == ["errors"]
    assert alert_reasons(outcome(None, "failed")) == ["failure"]


def test_alert_is_posted_with_retries_and_without_secrets() -> None:
    token = "pat-na1-0f0f0f0f-1111-2222-3333-444455556666"
    remember_secrets([token])
    with WebhookReceiver() as receiver:
        remember_secrets([receiver.url])
        receiver.answers = [(503, {}), (429, {"Retry-After": "0"})]
        settings = AlertSettings(webhook_url=receiver.url, on=["failure", "errors"])
        outcome = RunOutcome(status="failed", started=T0, finished=T0 + dt.timedelta(seconds=3), entities=ENTITIES,
                             error=f"ValueError: Invalid header value b'Bearer {token}\\n'")
        assert send_alert(settings, outcome, sleep=lambda _s: None)
        assert receiver.attempts == 3
        (body,) = receiver.json_bodies()
    raw = json.dumps(body)
    assert token not in raw and receiver.path not in raw
    assert body["text"].startswith("prm-sync run FAILED")
    assert body["prm_sync"]["reasons"] == ["failure"]


def test_alert_only_for_subscribed_events() -> None:
    with WebhookReceiver() as receiver:
        settings = AlertSettings(webhook_url=receiver.url, on=["failure"])
        outcome = RunOutcome(status="errors", started=T0, finished=T0, entities=ENTITIES,
                             report=_report(conflicts=1))
        assert not send_alert(settings, outcome, sleep=lambda _s: None)
        assert receiver.attempts == 0


def test_unreachable_webhook_is_a_warning_without_its_url(caplog: pytest.LogCaptureFixture) -> None:
    with WebhookReceiver() as receiver:
        url = receiver.url
    remember_secrets([url])
    settings = AlertSettings(webhook_url=url, on=["failure"])
    outcome = RunOutcome(status="failed", started=T0, finished=T0, entities=ENTITIES, error="boom")
    with caplog.at_level(logging.WARNING, logger="prm_sync.alerts"):
        assert not send_alert(settings, outcome, attempts=2, sleep=lambda _s: None)
    assert "alert webhook failed" in caplog.text
    assert "XyZsecretPart" not in caplog.text
