"""One sync run with everything operations need around it: log lines, metrics file, alerts.

Used by `prm-sync sync` / `errors retry` and by the scheduler's jobs, so that a run behaves the
same from cron, from the daemon and by hand. A run that finds the store locked by another run
is not a failure: no metrics, no alert (cron overlaps are normal), LockHeld propagates (exit 75).
Dry runs write no metrics and send no alerts.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from prm_sync.app import App
from prm_sync.errors import PrmSyncError
from prm_sync.ops.metrics import RunOutcome, earlier_numbers, entity_numbers, last_success_times, write_metrics
from prm_sync.store import LockBroken, LockHeld, StoreError
from prm_sync.sync.events import RunObserver
from prm_sync.sync.report import RunReport
from prm_sync.util.redact import redact

log = logging.getLogger("prm_sync.run")


def run_observed(app: App, *, observer: RunObserver | None = None, metrics_file: Path | None = None,
                 **sync_options: Any) -> RunReport:
    """Run `run_sync` with `sync_options` (entities, direction, dry_run, full, retry_quarantined)."""
    from prm_sync.domain.fields import SYNC_ORDER

    config = app.config
    dry_run = bool(sync_options.get("dry_run"))
    wanted = [str(e) for e in (sync_options.get("entities") or config.sync.entities)]
    entities: list[str] = [e.value for e in SYNC_ORDER if e.value in wanted]
    started = dt.datetime.now(dt.UTC)
    log.info("sync started", extra={"entities": entities, "direction": sync_options.get("direction", "both"),
                                    "dry_run": dry_run, "full": bool(sync_options.get("full"))})
    report: RunReport | None = None
    try:
        _ = app.mapping  # a bad mapping fails before the CRM is contacted
        connector = app.connector()
        try:
            with app.open_store() as store:
                report = _run_sync_naming_missing_fields(app, store, connector, observer, sync_options)
                outcome = _outcome(report, started, entities)
                if metrics_file is not None and not dry_run:
                    _fill_known_series(store, outcome)
        finally:
            connector.close()
    except LockHeld as exc:  # a stale holder (or this run fenced out) needs a look; an overlap does not
        log.log(logging.WARNING if exc.worth_reporting else logging.INFO, "%s",
                "this run's stale lock was broken by another run; it stopped" if isinstance(exc, LockBroken)
                else "another run holds the store's lock; nothing done")
        raise
    except BaseException as exc:
        if not dry_run:
            failed = RunOutcome(status="failed", started=started, finished=dt.datetime.now(dt.UTC),
                                entities=entities, report=report, error=redact(_describe(exc)))
            log.error("sync failed: %s", failed.error, extra={"status": "failed"})
            _after_run(app, failed, metrics_file, store_url=_store_url(app))
        raise
    _log_outcome(outcome)
    if not dry_run:
        _after_run(app, outcome, metrics_file)
    return report


def _run_sync_naming_missing_fields(app: App, store: Any, connector: Any, observer: RunObserver | None,
                                    sync_options: dict[str, Any]) -> RunReport:
    """run_sync; a CRM field the mapping names but the org lacks is a MappingError at the mapping's line,
    and a request the CRM refuses as a whole (CrmRefusedMapping) one at the entity that makes it."""
    from prm_sync.connector import CrmRefusedMapping, MissingCrmField
    from prm_sync.sync.engine import run_sync

    try:
        return run_sync(store, connector, app.mapping, app.config, observer=observer, **sync_options)
    except (MissingCrmField, CrmRefusedMapping) as exc:
        raise _mapping_error(app, exc) from None


def _mapping_error(app: App, exc: Any) -> PrmSyncError:
    """What the CRM said of the mapping (MissingCrmField, CrmRefusedMapping), at the mapping's lines."""
    from prm_sync.connector import MissingCrmField
    from prm_sync.errors import MappingError, Problem
    from prm_sync.services.online_check import missing_field_problems, refused_mapping_problems
    from prm_sync.yamlsource import YamlLoadError, load_yaml_file

    mapping = app.mapping
    missing = isinstance(exc, MissingCrmField)
    try:
        loaded = load_yaml_file(app.config.mappings_path, mapping.source)
        problems = missing_field_problems(mapping, loaded, exc.crm_object, exc.field) if missing \
            else refused_mapping_problems(mapping, loaded, exc.crm_object, exc.key, str(exc))
    except YamlLoadError as error:
        problems = [error.problem]
    if not problems:
        hint = " (the mapping names it; `prm-sync check --online` lists every such field)" if missing else ""
        problems = [Problem(mapping.source, None, "", f"{exc}{hint}")]
    return MappingError(problems)


def _outcome(report: RunReport, started: dt.datetime, entities: list[str]) -> RunOutcome:
    if report.interrupted:
        status = "aborted"
    elif report.has_problems:
        status = "errors"
    else:
        status = "ok"
    return RunOutcome(status=status, started=started, finished=dt.datetime.now(dt.UTC), entities=entities,
                      report=report, error=report.stopped or report.interrupted)


def _log_outcome(outcome: RunOutcome) -> None:
    report = outcome.report
    assert report is not None
    numbers = {e: entity_numbers(report, e) for e in outcome.entities}
    extra = {"status": outcome.status, "duration_s": round(outcome.duration_s, 3), "api_calls": report.api_calls,
             "entity_counts": numbers}
    text = (f"sync finished: {outcome.status} in {outcome.duration_s:.1f} s, {report.api_calls} API calls, "
            f"{sum(n['pulled'] for n in numbers.values())} read, {sum(n['pushed'] for n in numbers.values())} pushed")
    if report.interrupted:
        log.warning("%s (%s; the next run resumes)", text, report.interrupted, extra=extra)
    elif report.has_problems and not report.dry_run:
        errors = sum(n["errors"] for n in numbers.values())
        conflicts = sum(n["conflicts"] for n in numbers.values())
        log.warning("%s; %d record errors, %d conflicts%s", text, errors, conflicts,
                    f"; stopped early: {report.stopped} (the next run resumes)" if report.stopped else "",
                    extra=extra)
    else:
        log.info(text, extra=extra)


def _after_run(app: App, outcome: RunOutcome, metrics_file: Path | None, *, store_url: str | None = None) -> None:
    """Metrics then alert; neither may turn a finished run into a failure."""
    if metrics_file is not None:
        try:
            if store_url is not None and not outcome.last_success:
                _known_series_from(app, outcome)
            write_metrics(metrics_file, outcome)
        except Exception as exc:
            log.warning("could not write metrics file %s: %s", metrics_file, exc)
    try:
        alerts = app.config.alerts
    except Exception:   # the config itself is what failed: nothing says where to alert
        return
    if alerts is not None:
        from prm_sync.ops.alerts import send_alert

        send_alert(alerts, outcome)


def _store_url(app: App) -> str | None:
    try:
        return app.store_url
    except Exception:
        return None


def _fill_known_series(store: Any, outcome: RunOutcome) -> None:
    """Every entity's last success, and the last numbers of those this run did not cover (the file
    is rewritten whole: an entity left out would vanish from monitoring)."""
    from prm_sync.domain.fields import SYNC_ORDER

    every = [e.value for e in SYNC_ORDER]
    outcome.last_success = last_success_times(store, every)
    outcome.earlier = earlier_numbers(store, [e for e in every if e not in outcome.entities])


def _known_series_from(app: App, outcome: RunOutcome) -> None:
    try:
        with app.open_store() as store:
            _fill_known_series(store, outcome)
    except Exception:
        return


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text and not isinstance(exc, PrmSyncError | StoreError) else (text or name)
