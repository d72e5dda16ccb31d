"""A link's hash of the CRM values it was synced with: stores hold these, so the text hashed must
never change (a changed hash makes every linked record look changed once)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from prm_sync.sync.rows import digest


def _reference(values: dict[str, str | None]) -> str:
    """The hash as first defined: each key, a None marker or the value's UTF-8 (lone surrogates
    passed through), a separator, in key order."""
    h = hashlib.sha256()
    for key in sorted(values):
        value = values[key]
        h.update(key.encode())
        h.update(b"\x01" if value is None else b"\x02" + value.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
                       st.none() | st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF))))
def test_digest_is_the_hash_stores_hold(values: dict[str, str | None]) -> None:
    assert digest(values) == _reference(values)


def test_known_values() -> None:
    values = {"name": "Công ty Cổ phần Ánh Dương", "city": "Köln", "phone": None, "note": "\ud800"}
    assert digest(values) == _reference(values)
    assert digest({}) == hashlib.sha256(b"").hexdigest()[:32]
