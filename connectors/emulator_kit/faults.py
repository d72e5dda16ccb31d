"""Injected fault rules: which calls get a status, a delay or a dropped connection."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

#: Fields that only the Python API can set (not JSON): never accepted by, nor shown on, the admin API.
_PYTHON_ONLY = frozenset({"on_hit"})


@dataclass
class Fault:
    """One injected fault rule.

    ``path`` is a regex searched in the request path (no query string). A rule hits every
    ``every``-th matching call until it has hit ``count`` times (``count <= 0``: never used
    up). With ``status`` the CRM-shaped error is answered; ``delay_s`` alone only slows a
    normal answer; ``drop`` closes the TCP connection without any response.

    ``when`` says at which moment the rule acts: ``"before"`` (default) the request is handled,
    so an error or a drop means the CRM did nothing; ``"after"`` the request is handled first (the
    CRM's state has changed) and only then are the effects applied, so the client sees an error
    or a dropped connection for work that was in fact done. ``on_hit`` (Python API only) is
    called on the emulator's request thread at that moment: a test can, for example, SIGKILL
    the client process at an exact request, with no test switch in the client's code.
    """

    path: str
    method: str | None = None
    count: int = 1
    status: int | None = None
    delay_s: float = 0.0
    drop: bool = False
    retry_after: int | None = None
    every: int = 1
    when: Literal["before", "after"] = "before"
    on_hit: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    _seen: int = field(default=0, repr=False, compare=False)
    _hits: int = field(default=0, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from an admin API body, ignoring private bookkeeping keys."""
        public = {f.name for f in fields(cls) if not f.name.startswith("_")} - _PYTHON_ONLY
        unknown = set(data) - public
        if unknown:
            raise ValueError(f"unknown Fault fields: {sorted(unknown)}")
        if data.get("when", "before") not in ("before", "after"):
            raise ValueError("Fault.when must be 'before' or 'after'")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if not f.name.startswith("_") and f.name not in _PYTHON_ONLY}

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    @property
    def used_up(self) -> bool:
        return self.count > 0 and self._hits >= self.count


class FaultTable:
    """Thread-safe list of active fault rules; the first rule that hits wins."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault hitting this call (and consume one use), or None."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule._seen += 1
                if rule._seen % max(rule.every, 1) != 0:
                    continue
                rule._hits += 1
                if rule.used_up:
                    self._rules.remove(rule)
                return rule
        return None
