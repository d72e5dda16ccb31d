"""`prm-sync schedule`: the scheduler daemon."""

from __future__ import annotations

from pathlib import Path

import click

from prm_sync.app import App


@click.command(epilog="Examples:\n\n\b\n  prm-sync schedule\n"
               "  prm-sync --log-format json schedule --metrics-file /var/lib/node_exporter/prm-sync.prom\n\n"
               "Several daemons may share one PostgreSQL store: each fire time runs once. "
               "SIGTERM or Ctrl-C finishes the batch in flight and exits 0.")
@click.option("--metrics-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="after each run, write Prometheus textfile metrics here")
@click.option("--misfire-grace", "misfire_grace", type=click.IntRange(1, 86400), default=300, show_default=True,
              help="seconds a late fire time may still run (and a job waits for a busy store)")
@click.pass_obj
@click.pass_context
def schedule(ctx: click.Context, app: App, metrics_file: Path | None, misfire_grace: int) -> None:
    """Run the syncs of config.schedule on their cron times until stopped."""
    from prm_sync.ops.scheduler import run_daemon

    ctx.exit(run_daemon(app, metrics_file=metrics_file, misfire_grace_s=misfire_grace))
