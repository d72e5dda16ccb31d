"""Injected fault rules: which calls get a status, a delay or a dropped connection."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Fault:
    """One injected fault rule.

    ``path`` is a regex searched in the request path (no query string). A rule hits every
    ``every``-th matching call until it has hit ``count`` times (``count <= 0``: never used
    up). With ``status`` the CRM-shaped error is answered; ``delay_s`` alone only slows a
    normal answer; ``drop`` closes the TCP connection without any response.
    """

    path: str
    method: str | None = None
    count: int = 1
    status: int | None = None
    delay_s: float = 0.0
    drop: bool = False
    retry_after: int | None = None
    every: int = 1
    _seen: int = field(default=0, repr=False, compare=False)
    _hits: int = field(default=0, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from an admin API body, ignoring private bookkeeping keys."""
        public = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = set(data) - public
        if unknown:
            raise ValueError(f"unknown Fault fields: {sorted(unknown)}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

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
