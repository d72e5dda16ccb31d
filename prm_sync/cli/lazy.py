"""A click group that imports a command's module only when that command runs, so that
`prm-sync sandbox` or `--help` do not pay for SQLAlchemy, Alembic and the SDKs."""

from __future__ import annotations

import importlib

import click

from prm_sync.cli import global_options


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
