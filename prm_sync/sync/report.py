"""What a run did (or, with --dry-run, would do): counts per entity and side, and field diffs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("create", "update", "delete", "conflict", "invalid", "rejected", "waiting")


@dataclass(frozen=True)
class Change:
    entity: str
    side: str          # "prm" (applied to the store) or "crm" (written to the CRM)
    action: str
    key: str           # PRM id, or CRM id when there is no PRM id yet
    fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # name -> (before, after)


class Created(Mapping[str, tuple[None, Any]]):
    """The diffs of a row the pull created, `{name: (None, value)}`, read from its values as they
    are asked for: a first load makes one per record and most are never read (the report keeps
    the first `keep_changes`; the hooks look at a few names). Building the dict of pairs cost
    ~4 % of a first load."""

    __slots__ = ("_after",)

    def __init__(self, after: Mapping[str, Any]) -> None:
        self._after = after

    def __getitem__(self, name: str) -> tuple[None, Any]:
        return (None, self._after[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._after)

    def __len__(self) -> int:
        return len(self._after)

    def __contains__(self, name: object) -> bool:
        return name in self._after

    def keys(self) -> KeysView[str]:
        return self._after.keys()

    def __repr__(self) -> str:
        return repr(dict(self.items()))


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
        if change is not None and self.keeps_changes:
            self.changes.append(change)

    @property
    def keeps_changes(self) -> bool:
        """Whether a change counted now would be remembered (a caller may skip making one)."""
        return len(self.changes) < self.keep_changes

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
