"""A click group that imports a command's module only when that command runs, so that
`prm-sync sandbox` or `--help` do not pay for SQLAlchemy, Alembic and the SDKs."""

from __future__ import annotations

import importlib

import click

from prm_sync.cli import global_options
from prm_sync.cli.command_help import SHORT_HELP


class LazyGroup(click.Group):
    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return global_options.install(command)
        found = super().get_command(ctx, cmd_name)
        return global_options.install(found) if found is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a lazy command listed in SHORT_HELP is not imported to show its line."""
        shown: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name in SHORT_HELP:
                shown.append((name, click.Command(name, help=SHORT_HELP[name])))  # a stand-in for its line
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                shown.append((name, command))
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in shown)
        rows = [(name, command.get_short_help_str(limit)) for name, command in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
