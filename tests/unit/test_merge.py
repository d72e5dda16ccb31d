"""The three-way field merge, case by case."""

from __future__ import annotations

import pytest

from prm_sync.sync.merge import FieldRule, fields_to_push, merge_pull

BOTH = FieldRule("tier", pull=True, push=True)
PULL = FieldRule("country", pull=True, push=False)
PUSH = FieldRule("territories", pull=False, push=True)


def test_crm_change_flows_to_prm() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "gold"}, {"tier": "silver"}, "newest_wins", False)
    assert d.apply == ["tier"] and d.base == {"tier": "silver"} and not d.conflicts


def test_unchanged_crm_leaves_prm_change_for_the_push() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "silver"}, {"tier": "gold"}, "crm_wins", True)
    assert d.apply == [] and d.base == {}
    assert fields_to_push([BOTH], {"tier": "gold"}, {"tier": "silver"}) == ["tier"]


def test_both_changed_alike_is_no_conflict() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "silver"}, {"tier": "silver"}, "manual", True)
    assert d.apply == [] and d.base == {"tier": "silver"} and not d.conflicts


@pytest.mark.parametrize(
    ("policy", "crm_newer", "applied", "settled"),
    [
        ("crm_wins", False, True, "crm"),
        ("prm_wins", True, False, "prm"),
        ("newest_wins", True, True, "crm"),
        ("newest_wins", False, False, "prm"),
    ],
)
def test_conflict_policies(policy: str, crm_newer: bool, applied: bool, settled: str) -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "platinum"}, {"tier": "silver"}, policy, crm_newer)  # type: ignore[arg-type]
    assert ("tier" in d.apply) is applied
    assert d.settled == [("tier", settled)]
    assert not d.conflicts
    pushed = fields_to_push([BOTH], {**{"tier": "gold"}, **d.base}, {"tier": "silver" if applied else "platinum"})
    assert pushed == ([] if applied else ["tier"])


def test_manual_parks_the_conflict_and_blocks_the_push() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "platinum"}, {"tier": "silver"}, "manual", True)
    assert d.apply == [] and d.base == {}
    assert [(c.field, c.prm, c.crm, c.base) for c in d.conflicts] == [("tier", "platinum", "silver", "gold")]
    assert fields_to_push([BOTH], {"tier": "gold"}, {"tier": "platinum"}, parked=frozenset({"tier"})) == []


def test_a_parked_field_stays_parked_whatever_the_policy() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "platinum"}, {"tier": "registered"}, "crm_wins", True,
                   parked=frozenset({"tier"}))
    assert d.apply == [] and len(d.conflicts) == 1


def test_pull_only_field_always_follows_the_crm() -> None:
    d = merge_pull([PULL], {"country": "US"}, {"country": "VN"}, {"country": "FR"}, "prm_wins", False)
    assert d.apply == ["country"] and d.base == {"country": "FR"}


def test_push_only_field_is_never_pulled() -> None:
    d = merge_pull([PUSH], {}, {"territories": "EU"}, {"territories": "US"}, "crm_wins", True)
    assert d.apply == [] and d.base == {}
    assert fields_to_push([PUSH], {}, {"territories": "EU"}) == ["territories"]


def test_first_sight_with_different_values_is_settled_by_policy() -> None:
    d = merge_pull([BOTH], {}, {"tier": "gold"}, {"tier": "silver"}, "crm_wins", False)
    assert d.apply == ["tier"]


def test_none_is_a_value() -> None:
    d = merge_pull([BOTH], {"tier": "gold"}, {"tier": "gold"}, {"tier": None}, "newest_wins", False)
    assert d.apply == ["tier"] and d.base == {"tier": None}
