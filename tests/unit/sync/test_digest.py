"""The link hash is stored: a faster `digest` must give exactly the hashes the stored links hold."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from prm_sync.sync.rows import digest


def digest_part_by_part(values: Mapping[str, str | None]) -> str:
    """The hash as prm-sync computed it before (and as every stored link holds it)."""
    h = hashlib.sha256()
    for key in sorted(values):
        value = values[key]
        h.update(key.encode())
        h.update(b"\x01" if value is None else b"\x02" + value.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def test_digest_keeps_the_stored_hashes() -> None:
    cases: list[dict[str, str | None]] = [
        {},
        {"name": "Công ty Đông Á", "tier": None, "amount": "1234.5"},
        {"b": "", "a": "\x00", "c": "x\x01y"},
        {"notes": "Zeile 1\nZeile 2\r\n\"zitiert\"", "emoji": "🎉", "lone": "\ud800"},
        {"country": "DE", "website": "https://bücher.example", "name": "Müller & Söhne"},
    ]
    for values in cases:
        assert digest(values) == digest_part_by_part(values), values
    assert digest({"a": None}) != digest({"a": ""})
