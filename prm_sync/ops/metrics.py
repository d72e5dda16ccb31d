"""`--metrics-file`: the outcome of the last run in the Prometheus textfile-collector format.

A fresh registry is built for each run and written with prometheus_client's `write_to_textfile`
(a temporary file renamed over the target: node_exporter never reads half a file). The values
describe the last run (gauges, not counters: the file is replaced each time), plus the last
successful run per entity, read from the store so that a failed run does not erase it.

Every entity's series are always there: an entity the run did not cover (the nightly
commission-only job) keeps the numbers of the last run that covered it and its last success,
both read from the store, so staleness alerts keep working across jobs and restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from sqlmodel import col, select

from prm_sync.store import Store, SyncRun
from prm_sync.sync.report import RunReport

STATUSES = ("ok", "errors", "failed", "aborted")
PUSH_ACTIONS = ("create", "update", "delete")


@dataclass
class RunOutcome:
    """What the metrics (and alerts) say about one run."""

    status: str                       # ok | errors | failed | aborted
    started: dt.datetime
    finished: dt.datetime
    entities: list[str]
    report: RunReport | None = None   # None when the run failed before producing one
    error: str | None = None
    last_success: Mapping[str, dt.datetime] = field(default_factory=dict)     # every entity known
    earlier: Mapping[str, Mapping[str, int]] = field(default_factory=dict)   # entities not in this run

    @property
    def duration_s(self) -> float:
        return (self.finished - self.started).total_seconds()


def entity_numbers(report: RunReport | None, entity: str) -> dict[str, int]:
    if report is None:
        return {"pulled": 0, "pushed": 0, "errors": 0, "conflicts": 0}
    sides = report.counts.get(entity, {})
    crm = sides.get("crm", {})
    return {
        "pulled": int(report.pulled.get(entity, 0)),
        "pushed": sum(int(crm.get(a, 0)) for a in PUSH_ACTIONS),
        "errors": sum(int(acts.get(a, 0)) for acts in sides.values() for a in ("invalid", "rejected")),
        "conflicts": sum(int(acts.get("conflict", 0)) for acts in sides.values()),
    }


def write_metrics(path: Path, outcome: RunOutcome) -> None:
    registry = CollectorRegistry()
    labelled = {
        name: Gauge(f"prm_sync_last_run_{name}", help_text, ["entity"], registry=registry)
        for name, help_text in (
            ("records_pulled", "CRM records read by the last run"),
            ("records_pushed", "records created, updated or deleted in the CRM by the last run"),
            ("record_errors", "records quarantined (invalid or rejected) by the last run"),
            ("conflicts", "conflicts detected by the last run"),
        )
    }
    series = {**outcome.earlier, **{e: entity_numbers(outcome.report, e) for e in outcome.entities}}
    for entity, numbers in sorted(series.items()):
        labelled["records_pulled"].labels(entity).set(numbers["pulled"])
        labelled["records_pushed"].labels(entity).set(numbers["pushed"])
        labelled["record_errors"].labels(entity).set(numbers["errors"])
        labelled["conflicts"].labels(entity).set(numbers["conflicts"])
    status = Gauge("prm_sync_last_run_status", "1 for the outcome of the last run", ["status"], registry=registry)
    for name in STATUSES:
        status.labels(name).set(1 if name == outcome.status else 0)
    Gauge("prm_sync_last_run_duration_seconds", "wall time of the last run",
          registry=registry).set(outcome.duration_s)
    Gauge("prm_sync_last_run_timestamp_seconds", "when the last run finished (Unix time)",
          registry=registry).set(outcome.finished.timestamp())
    Gauge("prm_sync_last_run_api_calls", "CRM API calls made by the last run",
          registry=registry).set(outcome.report.api_calls if outcome.report else 0)
    success = Gauge("prm_sync_last_success_timestamp_seconds", "when the entity last synced without error",
                    ["entity"], registry=registry)
    for entity, when in sorted(outcome.last_success.items()):
        success.labels(entity).set(when.timestamp())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)


def earlier_numbers(store: Store, entities: Iterable[str], *, scan: int = 500) -> dict[str, dict[str, int]]:
    """Per entity, the numbers of the latest finished (not dry) run that covered it."""
    wanted = set(entities)
    found: dict[str, dict[str, int]] = {}
    if not wanted:
        return found
    with store.session() as session:
        runs = session.exec(select(SyncRun).where(col(SyncRun.finished_at).is_not(None),
                                                  col(SyncRun.dry_run).is_(False))
                            .order_by(col(SyncRun.id).desc()).limit(scan)).all()
        for run in runs:
            for entity in run.entities or []:
                if entity in wanted and entity not in found:
                    found[entity] = _numbers_from_counts(run.counts or {}, entity)
    return found


def _numbers_from_counts(counts: Mapping[str, object], entity: str) -> dict[str, int]:
    """entity_numbers() of a stored run (SyncRun.counts: {"changes": report.plain_counts(), "pulled": ...})."""
    report = RunReport()
    changes = counts.get("changes")
    sides = changes.get(entity, {}) if isinstance(changes, dict) else {}
    for side, actions in (sides or {}).items():
        for action, n in (actions or {}).items():
            report.counts[entity][side][action] = int(n)
    pulled = counts.get("pulled")
    if isinstance(pulled, dict):
        report.pulled[entity] = int(pulled.get(entity, 0))
    return entity_numbers(report, entity)


def last_success_times(store: Store, entities: Iterable[str], *, scan: int = 500) -> dict[str, dt.datetime]:
    """Per entity, when the latest run covering it finished with status ok."""
    wanted = set(entities)
    found: dict[str, dt.datetime] = {}
    with store.session() as session:
        runs = session.exec(select(SyncRun).where(SyncRun.status == "ok", col(SyncRun.finished_at).is_not(None))
                            .order_by(col(SyncRun.id).desc()).limit(scan)).all()
        for run in runs:
            for entity in run.entities or []:
                if entity in wanted and entity not in found and run.finished_at is not None:
                    found[entity] = run.finished_at
    return found
