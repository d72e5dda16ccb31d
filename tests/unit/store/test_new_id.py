"""PRM ids: random version-4 UUIDs as 32 hex digits, never repeated, in a forked process neither."""

from __future__ import annotations

import os
import uuid

from prm_sync.store.types import new_id


def test_ids_are_version_4_uuids_as_32_hex_digits_and_all_differ() -> None:
    ids = [new_id() for _ in range(5_000)]   # several reads of the OS's random bytes
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value and len(value) == 32
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


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


def test_ids_made_together_differ_in_their_first_eight_digits() -> None:
    """The CLI takes an id's first digits for the id (`leads approve 3f2a9c1e`). Time-ordered ids
    (UUID version 7) were tried for a first load's index inserts and reverted: ids made within the
    same ~65 s share their first eight digits, so every short id a list shows was ambiguous."""
    ids = [new_id() for _ in range(200)]   # a collision of random 32-bit prefixes: ~5e-6
    assert len({value[:8] for value in ids}) == len(ids)
