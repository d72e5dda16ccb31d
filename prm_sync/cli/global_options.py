"""The global options (`--config`, `--log-format`, `-v`, `-q`) accepted before *or after* any subcommand.

`prm-sync -v sync` and `prm-sync sync -v` mean the same. The root group declares the options; every
command below it (nested groups too) gets copies that write into the same per-invocation state
(`ctx.meta`, shared by the whole context tree) and reconfigure logging, so no command declares them
itself. Counts add up (`prm-sync -v sync -v` is `-vv`); the value given last wins for the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from prm_sync.ops.logsetup import configure_logging

GLOBAL_NAMES = ("config_path", "log_format", "verbose", "quiet")
_MARK = "_prm_sync_global"


def root_options() -> list[click.Option]:
    """The options of the root group (`--config` reads PRM_SYNC_CONFIG there, and only there)."""
    return _options(root=True)


def _options(*, root: bool) -> list[click.Option]:
    kind: dict[str, Any] = {} if root else {"expose_value": False, "callback": _after_subcommand}
    at_root: dict[str, Any] = (
        {"default": "config.yaml", "show_default": True, "envvar": "PRM_SYNC_CONFIG"} if root else {})
    config = click.Option(["--config", "config_path"], type=click.Path(dir_okay=False, path_type=Path),
                          help="config file (or set PRM_SYNC_CONFIG)", **at_root, **kind)
    options = [
        config,
        click.Option(["--log-format"], type=click.Choice(["text", "json"]), default=None,
                     help="log lines as text (terminal default) or JSON (default when not a terminal)", **kind),
        click.Option(["-v", "--verbose"], count=True, help="more detail (-vv for debug)", **kind),
        click.Option(["-q", "--quiet"], is_flag=True, help="print nothing on success", **kind),
    ]
    for option in options:
        setattr(option, _MARK, True)
    return options


def apply_globals(ctx: click.Context) -> None:
    """(Re)configure logging from the global options gathered so far."""
    meta = ctx.meta
    meta["log_format"] = configure_logging(meta.get("log_format_wanted"), meta.get("verbose", 0),
                                           bool(meta.get("quiet")))


def start(ctx: click.Context, config_path: Path, log_format: str | None, verbose: int, quiet: bool) -> None:
    """The root group's part: record its options, build the app, configure logging."""
    from prm_sync.app import App

    ctx.obj = App(config_path)
    ctx.meta.update(verbose=verbose, quiet=quiet, log_format_wanted=log_format)
    apply_globals(ctx)


def _after_subcommand(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A global option given after a subcommand: merge it into the invocation's state."""
    source = ctx.get_parameter_source(param.name or "")
    if source is not click.core.ParameterSource.COMMANDLINE:
        return value
    meta = ctx.meta
    if param.name == "config_path":
        from prm_sync.app import App

        ctx.obj = App(value)
        ctx.find_root().obj = ctx.obj
    elif param.name == "verbose":
        meta["verbose"] = meta.get("verbose", 0) + value
    elif param.name == "quiet":
        meta["quiet"] = True
    elif param.name == "log_format":
        meta["log_format_wanted"] = value
    apply_globals(ctx)
    return value


def install(command: click.Command) -> click.Command:
    """Give `command` (and every command under it) the global options; idempotent."""
    if not any(getattr(p, _MARK, False) for p in command.params):
        taken = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        command.params.extend(o for o in _options(root=False) if not taken & {*o.opts, *o.secondary_opts})
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            install(sub)
    return command
