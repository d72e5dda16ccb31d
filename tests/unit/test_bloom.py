"""The first load's filter of ids it has stored (prm_sync/util/bloom.py): never a false "no"."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from prm_sync.util.bloom import IdFilter


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), max_size=300), st.lists(st.text(min_size=1, max_size=40),
                                                                           max_size=50))
def test_every_id_added_is_found(added: list[str], others: list[str]) -> None:
    ids = IdFilter(bits=1 << 12)  # small: many false positives, still never a false negative
    ids.add_all(added)
    for one in added:
        assert ids.may_hold_any([one])
    assert ids.may_hold_any([*others, *added]) == bool(added) or ids.may_hold_any(others)


def test_an_empty_filter_holds_nothing_and_ignores_empty_ids() -> None:
    ids = IdFilter()
    assert not ids.may_hold_any(["a", "b"])
    ids.add_all(["", None])  # type: ignore[list-item]
    assert not ids.may_hold_any(["", None])  # type: ignore[list-item]


def test_false_positives_are_rare_at_a_first_loads_size() -> None:
    """200,000 ids stored (100,000 records: CRM id and PRM id); 100,000 unknown ids asked one by one."""
    ids = IdFilter()
    ids.add_all(str(uuid.uuid4()) for _ in range(200_000))
    false = sum(ids.may_hold_any([str(uuid.uuid4())]) for _ in range(100_000))
    assert false <= 10  # expected ~0.6 at 2**25 bits and 3 probes
