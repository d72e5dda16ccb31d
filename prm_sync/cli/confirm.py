"""Bulk state changes preview first: `--dry-run` shows what would change, and a change of more than
`threshold` records asks on a terminal or needs `--yes` without one (exit 2 otherwise).

A command works out how many records it would change (e.g. in a transaction it rolls back), then:

    if not confirm_bulk(ctx, len(ids), "registrations to expire", dry_run=dry_run, yes=yes):
        return          # dry run: nothing changed
    ...apply...

Declining at the prompt ends the command with "Aborted." (exit 1) and nothing changed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from prm_sync.errors import UsageError

BULK_THRESHOLD = 20
F = TypeVar("F", bound=Callable[..., Any])


def bulk_options(function: F) -> F:
    """`--dry-run` and `--yes`, passed to the command as `dry_run` and `yes`."""
    function = click.option("--yes", "-y", "yes", is_flag=True,
                            help=f"go ahead without asking when more than {BULK_THRESHOLD} records change "
                                 "(needed without a terminal)")(function)
    return click.option("--dry-run", is_flag=True, help="show what would change; change nothing")(function)


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm_bulk(ctx: click.Context, count: int, what: str, dry_run: bool, yes: bool,
                 threshold: int | None = BULK_THRESHOLD) -> bool:
    """May `count` records of `what` ("registrations to expire") change? False on a dry run (a line
    says what would change). Above `threshold` (None: never ask) and without `yes`: ask on a
    terminal; refuse with exit 2 without one."""
    if dry_run:
        if not ctx.meta.get("quiet"):
            click.echo(f"dry run: {count} {what}; nothing changed")
        return False
    if yes or threshold is None or count <= threshold:
        return True
    if interactive():
        click.confirm(f"{count} {what}. Go ahead?", default=False, abort=True)
        return True
    raise UsageError(f"{count} {what} is more than {threshold}: add --yes to go ahead (or --dry-run to see them); "
                     "without a terminal prm-sync cannot ask")
