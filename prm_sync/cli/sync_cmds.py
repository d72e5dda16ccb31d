"""`prm-sync sync`, `status`, `errors`, `conflicts`."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import click
from sqlmodel import col, select

from prm_sync.app import App
from prm_sync.cli.confirm import bulk_options, confirm_bulk
from prm_sync.cli.render import RAW, plain, render_rows
from prm_sync.domain.fields import SYNC_ORDER, Entity
from prm_sync.errors import EXIT_OK, EXIT_RECORD_ERRORS, UsageError
from prm_sync.ops.progress import progress_observer
from prm_sync.ops.runner import run_observed
from prm_sync.ops.signals import stop_on_signals
from prm_sync.ops.terminal_text import plain_line
from prm_sync.services.notify_status import describe_notifications, notification_status
from prm_sync.services.status import describe_lock, status_report
from prm_sync.store import Conflict, Quarantine, lock_status
from prm_sync.sync.report import RunReport

ENTITY_CHOICE = click.Choice([e.value for e in SYNC_ORDER])


def _exit_code(report: RunReport) -> int:
    return EXIT_RECORD_ERRORS if report.has_problems else EXIT_OK


def _render_report(ctx: click.Context, report: RunReport, fmt: str) -> None:
    verbose = ctx.meta.get("verbose", 0)
    if fmt == "json":
        payload: dict[str, Any] = {"dry_run": report.dry_run, "counts": report.plain_counts(),
                                   "pulled": dict(report.pulled), "api_calls": report.api_calls,
                                   "stopped": report.stopped, "interrupted": report.interrupted}
        if verbose:
            payload["changes"] = [{"entity": c.entity, "side": c.side, "action": c.action, "key": c.key,
                                   "fields": {k: [plain(a), plain(b)] for k, (a, b) in c.fields.items()}}
                                  for c in report.changes]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if ctx.meta.get("quiet") and not report.has_problems:
        return
    rows = []
    for entity, sides in report.plain_counts().items():
        for side, actions in sides.items():
            rows.append({"entity": entity, "side": "store" if side == "prm" else "CRM", **actions})
    title = "Plan (dry run: nothing written)" if report.dry_run else "Sync"
    columns = ["entity", "side", "create", "update", "delete", "conflict", "invalid", "rejected", "waiting"]
    if rows:
        render_rows(rows, columns, "table", title=title)
    else:
        click.echo(f"{title}: nothing to do ({sum(report.pulled.values())} records read, "
                   f"{report.api_calls} API calls)")
    if verbose:
        for c in report.changes:
            detail = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in c.fields.items())
            click.echo(plain_line(f"  {c.entity} {c.side} {c.action} {c.key} {detail}"))


@click.command(epilog="Examples:\n\n\b\n  prm-sync sync\n  prm-sync sync --entity partner --dry-run -v\n"
               "  prm-sync -q sync     # cron: silent unless something needs a look")
@click.option("--entity", "entities", multiple=True, type=ENTITY_CHOICE, help="only these (repeatable)")
@click.option("--direction", type=click.Choice(["pull", "push", "both"]), default="both", show_default=True)
@click.option("--dry-run", is_flag=True, help="compute the full plan, write nothing anywhere")
@click.option("--full", is_flag=True, help="compare both sides whole and repair drift")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--metrics-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the run's Prometheus textfile metrics here (atomically)")
@click.option("--break-stale-lock", is_flag=True,
              help="if the run holding the lock is past its deadline (stale), fence it out and run")
@click.pass_obj
@click.pass_context
def sync(ctx: click.Context, app: App, entities: tuple[str, ...], direction: str, dry_run: bool, full: bool,
         fmt: str, metrics_file: Path | None, break_stale_lock: bool) -> None:
    """Sync the store with the CRM, both ways.

    Exit codes: 0 all synced; 1 record errors, conflicts or an early stop; 2 bad config, mapping or
    usage (also a mapped CRM field the org lacks); 3 CRM unreachable, auth or TLS certificate failed,
    or the run deadline (sync.max_run_seconds) reached; 70 internal error or disk full; 75 another run
    holds the lock (with -q silent, unless that run is stale: past its deadline). SIGTERM / Ctrl-C end
    the run after the batch in flight (committed); the next run resumes.
    """
    report = _run(ctx, app, metrics_file=metrics_file, entities=list(entities) or None, direction=direction,
                  dry_run=dry_run, full=full, **({"break_stale_lock": True} if break_stale_lock else {}))
    _render_report(ctx, report, fmt)
    ctx.exit(_exit_code(report))


def _run(ctx: click.Context, app: App, *, metrics_file: Path | None = None, **kwargs: Any) -> RunReport:
    stop = threading.Event()
    with stop_on_signals(stop), progress_observer(quiet=bool(ctx.meta.get("quiet")), stop=stop,
                                                  log_format=ctx.meta.get("log_format")) as observer:
        return run_observed(app, observer=observer, metrics_file=metrics_file, **kwargs)


@click.command(epilog="Example: prm-sync status --format json")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def status(app: App, fmt: str) -> None:
    """Last runs, cursors, pending pushes, quarantined records and open conflicts, per entity."""
    local = app.local()
    with local.open_store() as store:
        with store.session() as session:
            report = status_report(session)
            report["notifications"] = notification_status(session)
        report["run_lock"] = lock_status(store)
    budget = local.config.sync.daily_api_budget
    used = report["api_calls_today"]
    report["api_budget"] = {"used_today": used, "daily_budget": budget,
                            "remaining": max(budget - used, 0) if budget is not None else None}
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    rows = []
    for entity, info in report["entities"].items():
        last = info["last_run"] or {}
        took = last.get("duration_s")
        rows.append({"entity": entity, "last run": last.get("started_at", "never"), "result": last.get("status"),
                     "took": f"{took:.1f} s" if took is not None else "", "read": last.get("pulled", ""),
                     "cursor": info["cursors"].get("changes", ""), "pending pushes": info["pending_pushes"],
                     "quarantined": info["quarantined"], "conflicts": info["open_conflicts"]})
    render_rows(rows, ["entity", "last run", "result", "took", "read", "cursor", "pending pushes", "quarantined",
                       "conflicts"], "table", title="Status",
                priority=["entity", "result", "last run", "pending pushes", "quarantined", "conflicts", "read", "took"])
    limit = f" of a daily budget of {budget}" if budget is not None else ""
    click.echo(f"API calls today: {used}{limit}")
    click.echo(describe_lock(report["run_lock"]))
    if report["notifications"]:
        click.echo(describe_notifications(report["notifications"]))


@click.group(invoke_without_command=True)
@click.pass_context
def errors(ctx: click.Context) -> None:
    """Quarantined records: `errors` lists them, `errors retry` retries them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(errors_list)


@errors.command("list", epilog="Example: prm-sync errors list --format json")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def errors_list(app: App, fmt: str) -> None:
    """List open quarantine entries (invalid, rejected, waiting) with their reasons."""
    with app.local().open_store() as store, store.session() as session:
        entries = session.exec(select(Quarantine).where(col(Quarantine.resolved_at).is_(None))
                               .order_by(col(Quarantine.entity), col(Quarantine.id))).all()
        rows = [{"id": q.id, "entity": q.entity, "side": q.side, "kind": q.kind, "record": q.record_key,
                 "reason": q.reason, "attempts": q.attempts, "last_seen": q.last_seen} for q in entries]
    render_rows(rows, ["id", "entity", "side", "kind", "record", "reason", "attempts", "last_seen"], fmt,
                title="Quarantined records", priority=["id", "entity", "kind", "record", "reason", "side", "attempts"])


@errors.command("retry", epilog="\b\nExamples:\n  prm-sync errors retry --dry-run\n  prm-sync errors retry")
@bulk_options
@click.pass_obj
@click.pass_context
def errors_retry(ctx: click.Context, app: App, dry_run: bool, yes: bool) -> None:
    """Retry every quarantined record (after fixing the data or the mapping), then sync.
    More than 20 records: asks first (--yes without a terminal); --dry-run shows the plan, writes nothing."""
    with app.local().open_store() as store, store.session() as session:
        count = len(session.exec(select(Quarantine.id).where(col(Quarantine.resolved_at).is_(None))).all())
    proceed = confirm_bulk(ctx, count, "quarantined records to retry", dry_run, yes)
    report = _run(ctx, app, retry_quarantined=True, dry_run=not proceed)  # a dry run still shows the plan
    _render_report(ctx, report, "table")
    ctx.exit(_exit_code(report))


@click.group(invoke_without_command=True)
@click.pass_context
def conflicts(ctx: click.Context) -> None:
    """Fields both sides changed, parked by the `manual` policy."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(conflicts_list)


@conflicts.command("list", epilog="Example: prm-sync conflicts list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def conflicts_list(app: App, fmt: str) -> None:
    """List open conflicts."""
    with app.local().open_store() as store, store.session() as session:
        rows = [c.model_dump() for c in session.exec(
            select(Conflict).where(col(Conflict.resolved_at).is_(None)).order_by(col(Conflict.id)))]
    render_rows(rows, ["id", "entity", "prm_id", "field", "prm_value", "crm_value", "base_value", "detected_at",
                       "reason"], fmt, title="Open conflicts",
                priority=["id", "entity", "field", "prm_value", "crm_value", "reason", "prm_id"])


@conflicts.command("resolve", epilog="Example: prm-sync conflicts resolve 12 --keep crm")
@click.argument("conflict_id", type=int)
@click.option("--keep", type=click.Choice(["prm", "crm"]), required=True, help="which side's value wins")
@click.pass_obj
@click.pass_context
def conflicts_resolve(ctx: click.Context, app: App, conflict_id: int, keep: str) -> None:
    """Settle one conflict; the next sync carries the kept value to the other side."""
    from prm_sync.services.conflicts import resolve_conflict

    mapping = app.mapping
    with app.open_store() as store, store.session(write=True) as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None or conflict.resolved_at is not None:
            raise UsageError(f"no open conflict with id {conflict_id}")
        if conflict.reason and keep == "crm":  # a CRM edit the PRM's rules refused (e.g. MDF allocation)
            raise UsageError(f"conflict {conflict_id}: the PRM's rules refused the CRM value ({conflict.reason}); "
                             "make the change in the PRM (e.g. `prm-sync funds request approve`), then resolve "
                             "with --keep prm")
        resolve_conflict(session, mapping[Entity(conflict.entity)], conflict, keep)
    if not ctx.meta.get("quiet"):
        click.echo(f"conflict {conflict_id} resolved: kept the {keep.upper()} value; run `prm-sync sync` to apply")
