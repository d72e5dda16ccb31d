"""Field-level three-way merge: base (last synced) vs PRM now vs CRM now. Pure, no I/O.

Values are compared in canonical text form (`canon`). A field changed on one side flows to the
other; a field changed on both sides to different values is a conflict, settled by the
entity's policy, or parked (`manual`) with both sides left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from prm_sync.mapping.values import canonical

Policy = Literal["crm_wins", "prm_wins", "newest_wins", "manual"]
MISSING: Any = object()  # a field the base has never seen


def canon(value: Any) -> str | None:
    """Canonical text of a PRM value; None stays None (so base JSON keeps nulls)."""
    return None if value is None else canonical(value)


@dataclass(frozen=True)
class FieldRule:
    name: str
    pull: bool
    push: bool


@dataclass(frozen=True)
class FieldConflict:
    field: str
    prm: str | None
    crm: str | None
    base: str | None


@dataclass
class PullDecision:
    """What a pulled CRM record does: fields to apply to the PRM row, base updates, conflicts."""

    apply: list[str] = field(default_factory=list)
    base: dict[str, str | None] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    settled: list[tuple[str, str]] = field(default_factory=list)  # (field, winner) of settled conflicts


def merge_pull(
    rules: Iterable[FieldRule],
    base: Mapping[str, str | None],
    prm: Mapping[str, str | None],
    crm: Mapping[str, str | None],
    policy: Policy,
    crm_is_newer: bool,
    parked: frozenset[str] = frozenset(),
) -> PullDecision:
    decision = PullDecision()
    for rule in rules:
        if not rule.pull or rule.name not in crm:
            continue
        name = rule.name
        c, p, b = crm[name], prm.get(name), base.get(name, MISSING)
        if not rule.push:  # the CRM owns it
            if c != p:
                decision.apply.append(name)
            if b is MISSING or c != b:
                decision.base[name] = c
            continue
        if c == b:
            continue  # the CRM did not change it; a PRM change is the push's business
        if c == p:
            decision.base[name] = c  # both sides agree (changed alike, or first sight)
            continue
        prm_changed = b is MISSING or p != b
        if not prm_changed:
            decision.apply.append(name)
            decision.base[name] = c
            continue
        winner = _settle(policy, crm_is_newer, name in parked)
        if winner == "crm":
            decision.apply.append(name)
            decision.base[name] = c
            decision.settled.append((name, "crm"))
        elif winner == "prm":
            decision.settled.append((name, "prm"))  # base kept: the push sends the PRM value
        else:
            decision.conflicts.append(FieldConflict(name, p, c, None if b is MISSING else b))
    return decision


def _settle(policy: Policy, crm_is_newer: bool, parked: bool) -> str:
    if parked or policy == "manual":
        return "manual"
    if policy == "crm_wins":
        return "crm"
    if policy == "prm_wins":
        return "prm"
    return "crm" if crm_is_newer else "prm"


def fields_to_push(
    rules: Iterable[FieldRule], base: Mapping[str, str | None], prm: Mapping[str, str | None],
    parked: frozenset[str] = frozenset(),
) -> list[str]:
    """Pushed fields whose PRM value differs from the base (never a parked conflict)."""
    return [
        r.name for r in rules
        if r.push and r.name not in parked and prm.get(r.name) != base.get(r.name, MISSING)
    ]
