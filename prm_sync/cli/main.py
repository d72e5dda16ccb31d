"""`prm-sync`: the command group, global options and the one place errors become exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prm_sync.app import App
from prm_sync.cli import partners, setup, sync_cmds
from prm_sync.errors import EXIT_LOCKED, EXIT_USAGE, PrmSyncError
from prm_sync.store import LockHeld, StoreError

EXAMPLES = """
\b
Examples:
  prm-sync init --crm hubspot .      # config.yaml + mappings + store
  prm-sync check                     # validate config and mappings
  prm-sync partners add "Acme Partners" --tier gold
"""


@click.group(help="prm-sync: a PRM layer (partners, deal registration, deals, commissions) synced both ways "
             "with Salesforce or HubSpot.\n" + EXAMPLES)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default="config.yaml", show_default=True, envvar="PRM_SYNC_CONFIG",
              help="config file (or set PRM_SYNC_CONFIG)")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="log lines as text (terminal default) or JSON (default when not a terminal)")
@click.option("-v", "--verbose", count=True, help="more detail (-vv for debug)")
@click.option("-q", "--quiet", is_flag=True, help="print nothing on success")
@click.version_option(package_name="prm-sync")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_format: str | None, verbose: int, quiet: bool) -> None:
    ctx.obj = App(config_path)
    ctx.meta["verbose"] = verbose
    ctx.meta["quiet"] = quiet
    ctx.meta["log_format"] = log_format


cli.add_command(setup.init)
cli.add_command(setup.check)
cli.add_command(setup.db)
cli.add_command(setup.demo)
cli.add_command(partners.partners)
for _command in (sync_cmds.sync, sync_cmds.status, sync_cmds.errors, sync_cmds.conflicts):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every user-facing error into a message and an exit code."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    verbose = argv is not None and any(a in ("-v", "-vv", "--verbose") for a in argv)
    try:
        result = cli.main(args=argv, prog_name="prm-sync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except PrmSyncError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except LockHeld as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_LOCKED
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:  # a bug, not a user mistake: say so plainly
        if verbose:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)", err=True)
        return 1
    return result if isinstance(result, int) else 0
