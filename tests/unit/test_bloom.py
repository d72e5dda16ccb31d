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
    ids = IdFilter(bits=1 << 12, exact_limit=50)  # small: many false positives, still never a false negative
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
    ids = IdFilter(exact_limit=0)  # the bit array from the first id
    ids.add_all(str(uuid.uuid4()) for _ in range(200_000))
    assert not ids.exact
    false = sum(ids.may_hold_any([str(uuid.uuid4())]) for _ in range(100_000))
    assert false <= 10  # expected ~0.6 at 2**25 bits and 3 probes


def test_exact_until_its_limit_then_the_bloom_filter_still_holds_every_id() -> None:
    """Up to `exact_limit` ids the filter is a set of their hashes (asked in C, no false positive
    short of a hash collision); past it they move into the bit array, whose memory is fixed."""
    ids = IdFilter(bits=1 << 16, exact_limit=100)
    first = [f"a{i}" for i in range(100)]
    ids.add_all(first)
    assert ids.exact
    assert not ids.may_hold_any(f"b{i}" for i in range(1_000))  # exact: no false positive at all
    more = [f"c{i}" for i in range(200)]
    ids.add_all(more)
    assert not ids.exact
    assert all(ids.may_hold_any([one]) for one in first + more)


def test_a_filter_given_a_generator_reads_it_once() -> None:
    ids = IdFilter(exact_limit=3)
    ids.add_all(one for one in ["x", "y", "z", "w", None])  # crosses the limit inside one call
    assert all(ids.may_hold_any(iter([one])) for one in "xyzw")
