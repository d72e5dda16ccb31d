"""What a run did (or, with --dry-run, would do): counts per entity and side, and field diffs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("create", "update", "delete", "conflict", "invalid", "rejected", "waiting")


@dataclass(frozen=True)
class Change:
    entity: str
    side: str          # "prm" (applied to the store) or "crm" (written to the CRM)
    action: str
    key: str           # PRM id, or CRM id when there is no PRM id yet
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name -> (before, after)


@dataclass
class RunReport:
    dry_run: bool = False
    counts: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    )
    changes: list[Change] = field(default_factory=list)
    pulled: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    api_calls: int = 0
    stopped: str | None = None   # why the run stopped early (budget), if it did
    interrupted: str | None = None  # stopped on request (SIGTERM): clean, resumable, not an error
    keep_changes: int = 10_000   # cap on remembered diffs (memory stays flat)

    def count(self, entity: str, side: str, action: str, change: Change | None = None) -> None:
        self.counts[entity][side][action] += 1
        if change is not None and len(self.changes) < self.keep_changes:
            self.changes.append(change)

    def total(self, *actions: str) -> int:
        return sum(
            n for sides in self.counts.values() for acts in sides.values()
            for a, n in acts.items() if a in actions
        )

    @property
    def has_problems(self) -> bool:
        """Record errors or conflicts, or an early stop (exit 1). Records waiting for a reference
        are not errors: they sync by themselves once the reference arrives."""
        return self.total("conflict", "invalid", "rejected") > 0 or self.stopped is not None

    def plain_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        return {e: {s: dict(sorted(a.items())) for s, a in sides.items()} for e, sides in sorted(self.counts.items())}
