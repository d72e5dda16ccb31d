"""Service functions a command module names at import time but loads only when called.

`prm-sync partners --help` imports the partners command module to show its subcommands; the
services behind them pull in SQLModel, SQLAlchemy and (through the store) Alembic, which the help
never uses. ``name = deferred("pkg.module", "name")`` stands in for ``from pkg.module import name``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any


def deferred(module: str, name: str) -> Callable[..., Any]:
    """A function that imports ``module`` on its first call and calls its ``name``."""

    @functools.cache
    def target() -> Callable[..., Any]:
        found: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return found

    def call(*args: Any, **kwargs: Any) -> Any:
        return target()(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on first call."
    return call
