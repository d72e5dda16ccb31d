"""A set of ids that answers "surely not stored" or "maybe stored" in bounded memory.

A first load into an empty entity asks, for every page, whether one of its records was already
stored by this very run (a record the read returns twice). The answer is nearly always no, and
asking the database costs one indexed probe per id: ~7 % of a 300,000-record pull into SQLite,
more into PostgreSQL (a round trip per 500 ids). This filter answers the "no" in memory; only a
"maybe" (a record really read again, or a rare false positive) goes on to the database.

Up to `exact_limit` ids (200,000 by default) it is a set of their hashes, added and asked in C
(a Bloom filter's probes in Python cost ~1 us an id, ~1 s of a 300,000-record pull's main
thread). Its price is memory: 100,000 hashes hold ~8 MB, and the peak resident set of a pull of
100,000 records per entity grew by ~17 MB (bench.mem_probe, allocator slack included). Past
that, the hashes move into a Bloom filter of fixed memory (4 MiB by default) whatever the number
of records, so a very big first load does not grow with it. False positives: none short of a
64-bit hash collision while exact; then ~6e-6 per id asked after 200,000 ids stored (2**25 bits,
3 probes). Python's `hash` of a string is per process: the filter lives only as long as one pull.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_BITS = 1 << 25
EXACT_LIMIT = 200_000


class IdFilter:
    def __init__(self, bits: int = DEFAULT_BITS, exact_limit: int = EXACT_LIMIT) -> None:
        if bits < 64 or bits & (bits - 1):
            raise ValueError(f"bits must be a power of two >= 64, not {bits}")
        self._exact: set[int] | None = set()
        self._exact_limit = exact_limit
        self._bits = bytearray()
        self._mask = bits - 1

    @property
    def exact(self) -> bool:
        """Whether the ids are still held as a set of their hashes (not yet in the bit array)."""
        return self._exact is not None

    def add_all(self, ids: Iterable[str | None]) -> None:
        """Remember these ids (empty ones are ignored)."""
        if self._exact is not None:
            self._exact.update(map(hash, filter(None, ids)))
            if len(self._exact) > self._exact_limit:
                hashes, self._exact = self._exact, None
                self._bits = bytearray((self._mask + 1) >> 3)
                self._add_hashes(hashes)
            return
        self._add_hashes(map(hash, filter(None, ids)))

    def _add_hashes(self, hashes: Iterable[int]) -> None:
        bits, mask = self._bits, self._mask
        for h in hashes:  # three positions from one 64-bit hash: its low, middle and high bits
            p = h & mask
            bits[p >> 3] |= 1 << (p & 7)
            p = (h >> 20) & mask
            bits[p >> 3] |= 1 << (p & 7)
            p = (h >> 39) & mask
            bits[p >> 3] |= 1 << (p & 7)

    def may_hold_any(self, ids: Iterable[str | None]) -> bool:
        """False: none of `ids` was added. True: one of them may have been."""
        if self._exact is not None:
            return not self._exact.isdisjoint(map(hash, filter(None, ids)))
        bits, mask = self._bits, self._mask
        for one in ids:
            if not one:
                continue
            h = hash(one)
            p = h & mask
            if not bits[p >> 3] & (1 << (p & 7)):
                continue
            p = (h >> 20) & mask
            if not bits[p >> 3] & (1 << (p & 7)):
                continue
            p = (h >> 39) & mask
            if bits[p >> 3] & (1 << (p & 7)):
                return True
        return False
