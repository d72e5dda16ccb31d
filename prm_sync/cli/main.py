"""`prm-sync`: the command group, global options and the one place errors become exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from prm_sync.cli import global_options
from prm_sync.cli.lazy import LazyGroup
from prm_sync.errors import EXIT_INTERNAL, EXIT_LOCKED, EXIT_READER_GONE, EXIT_USAGE, PrmSyncError, UsageError
from prm_sync.ops.logsetup import RUN_ID, new_run_id, report_error

COMMANDS = {
    "init": "prm_sync.cli.setup:init",
    "check": "prm_sync.cli.setup:check",
    "crm": "prm_sync.cli.crm_cmd:crm",
    "db": "prm_sync.cli.setup:db",
    "demo": "prm_sync.cli.setup:demo",
    "partners": "prm_sync.cli.partners:partners",
    "leads": "prm_sync.cli.leads:leads",
    "commissions": "prm_sync.cli.commissions:commissions",
    "funds": "prm_sync.cli.funds:funds",
    "report": "prm_sync.cli.report:report",
    "sync": "prm_sync.cli.sync_cmds:sync",
    "status": "prm_sync.cli.sync_cmds:status",
    "errors": "prm_sync.cli.sync_cmds:errors",
    "conflicts": "prm_sync.cli.sync_cmds:conflicts",
    "sandbox": "prm_sync.cli.sandbox_cmd:sandbox",
    "mappings": "prm_sync.cli.mappings_cmd:mappings",
    "schedule": "prm_sync.cli.schedule_cmd:schedule",
    "notify": "prm_sync.cli.notify_cmd:notify",
}

EXAMPLES = """
\b
Examples:
  prm-sync init --crm hubspot .      # config.yaml + mappings + store
  prm-sync check                     # validate config and mappings
  prm-sync partners add "Northwind Partners" --tier gold

\b
Exit codes:
  0   ok
  1   finished with record errors or conflicts
  2   bad config, mapping or usage (FILE:LINE: path: message)
  3   CRM unreachable, authentication or TLS certificate failed
  70  internal error (a bug) or disk full
  75  another run holds the store's lock
  141 the output's reader went away (... | head)
"""


@click.group(cls=LazyGroup, lazy=COMMANDS, params=global_options.root_options(),
             help="prm-sync: a PRM layer (partners, deal registration, deals, commissions) synced both ways "
             "with Salesforce or HubSpot.\n" + EXAMPLES)
@click.version_option(package_name="prm-sync")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_format: str | None, verbose: int, quiet: bool) -> None:
    RUN_ID.set(new_run_id())
    global_options.start(ctx, config_path, log_format, verbose, quiet)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every user-facing error into a message and an exit code."""
    code = run(argv)
    try:
        sys.stdout.flush()   # here, not at shutdown: a reader gone is then said by the exit code
    except BrokenPipeError:
        code = _reader_gone()
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "-vv", "--verbose") for a in args)
    stdout = sys.stdout
    try:
        result = cli.main(args=args, prog_name="prm-sync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except PrmSyncError as exc:
        # a user's mistake needs no traceback; a CRM failure's cause chain helps under -v
        report_error(f"error: {exc}", exc, verbose=verbose and not isinstance(exc, UsageError))
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except SystemExit:
        # click answers a broken pipe (EPIPE) by swapping sys.stdout for a wrapper that ignores
        # failed flushes, then sys.exit(1)
        if sys.stdout is not stdout:
            return _reader_gone()
        raise
    except Exception as exc:
        return _unexpected(exc, verbose, quiet=any(a in ("-q", "--quiet") for a in args))
    return result if isinstance(result, int) else 0


def _reader_gone() -> int:
    """`prm-sync ... | head`: the program reading our output went away. Stop quietly, as a tool
    killed by SIGPIPE does (128 + 13, what `set -o pipefail` reports for it), rather than exit 1
    ("record errors") or print a traceback; what is left to flush goes nowhere instead of failing
    again at shutdown. A sync cut short this way has committed whole units of work only."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_READER_GONE


def _unexpected(exc: Exception, verbose: bool, quiet: bool = False) -> int:
    """Store errors are the user's to fix (exit 2), a held lock is exit 75, a full disk is said
    plainly (exit 70), anything else is a bug (exit 70): said plainly, with the traceback under -v.
    Everything shown is redacted."""
    from prm_sync.ops.diskfull import disk_full_message
    from prm_sync.store import LockHeld, StoreError

    if isinstance(exc, LockHeld):
        if exc.worth_reporting or not quiet:
            report_error(f"error: {exc}")  # -q: an overlapping cron run is normal, a stale one is not
        return EXIT_LOCKED
    full = disk_full_message(exc)
    if full is not None:
        report_error(f"error: {full}", exc, verbose=verbose)
        return EXIT_INTERNAL
    if isinstance(exc, StoreError):
        report_error(f"error: {exc}")
        return EXIT_USAGE
    hint = "" if verbose else " (run with -v for details)"
    report_error(f"internal error: {type(exc).__name__}: {exc}{hint}", exc, verbose=verbose)
    return EXIT_INTERNAL
