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
