"""A link's hash (`digest`) must stay byte for byte what stores already hold: stored hashes decide
whether a CRM record changed. Checked against the definition, hashed part by part."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from prm_sync.sync.rows import _DIGEST_PLANS, digest


def _by_definition(values: dict[str, str | None]) -> str:
    sha = hashlib.sha256()
    for key in sorted(values):
        value = values[key]
        sha.update(key.encode("utf-8", "surrogatepass"))
        sha.update(b"\x01" if value is None else b"\x02" + value.encode("utf-8", "surrogatepass"))
        sha.update(b"\x00")
    return sha.hexdigest()[:32]


TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)


@given(st.dictionaries(TEXT, st.none() | TEXT, max_size=8))
def test_digest_is_its_definition(values: dict[str, str | None]) -> None:
    assert digest(values) == _by_definition(values)
    assert digest(dict(reversed(values.items()))) == digest(values)  # key order does not matter


def test_a_known_hash_and_the_plans_bounds() -> None:
    assert digest({"name": "Đông Á", "tier": None}) == _by_definition({"name": "Đông Á", "tier": None})
    assert digest({}) == hashlib.sha256(b"").hexdigest()[:32]
    for n in range(300):
        digest({f"k{n}": "v"})
    assert len(_DIGEST_PLANS) <= 256
