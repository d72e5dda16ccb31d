"""PRM ids: time-ordered (version 7, RFC 9562) UUIDs as 32 hex digits, never repeated, in a forked
process neither; ids made later sort after ids made earlier (their index inserts land at the end)."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from datetime import UTC, datetime

from prm_sync.store.types import new_id


def test_ids_are_version_7_uuids_as_32_hex_digits_and_all_differ() -> None:
    ids = [new_id() for _ in range(5_000)]   # several reads of the OS's random bytes
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value and len(value) == 32
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_an_id_carries_the_time_it_was_made_in_unix_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    stamp = int(value[:12], 16)   # RFC 9562: the first 48 bits
    assert before <= stamp <= after
    assert datetime.fromtimestamp(stamp / 1000, UTC).year >= 2026


def test_ids_made_later_sort_after_earlier_ones() -> None:
    """Within a millisecond too (its sub-millisecond fraction fills the 12 bits after the
    version), so a first load appends to the id indexes instead of writing all over them."""
    ids = []
    for _ in range(20):
        ids += [new_id() for _ in range(200)]
        time.sleep(0.0005)
    out_of_order = sum(1 for a, b in itertools.pairwise(ids) if b < a)
    # two ids inside one ~244 ns step of the sub-millisecond fraction may sort either way
    assert out_of_order <= len(ids) // 20
    assert ids[0] < ids[len(ids) // 2] < ids[-1]


def test_a_forked_process_does_not_reuse_the_ids_its_parent_has_in_store() -> None:
    new_id()   # the parent now holds random bytes for its next ids
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: its first ids, to the parent
        os.close(read)
        os.write(write, "".join(new_id() for _ in range(20)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    theirs = {text[i:i + 32] for i in range(0, len(text), 32)}
    ours = {new_id() for _ in range(20)}
    assert len(theirs) == 20 and not theirs & ours
    # the random part too: the child must not have reused the parent's unread random bytes
    assert not {t[16:] for t in theirs} & {o[16:] for o in ours}
