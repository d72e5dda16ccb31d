"""The schema revision the shipped migrations lead to, read without Alembic or SQLAlchemy.

Every store command checks that the store is at this revision; importing Alembic (or SQLAlchemy,
for the plain read path of prm_sync.store.plainread) to learn it costs more than a short command
itself (issue 17). The revision ids are read from the shipped migration files' text; anything
unusual (a merge, a file that does not read plainly) gives None, and the caller then asks Alembic,
which decides and explains.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

VERSION_TABLE = "prm_sync_alembic_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_REVISION = re.compile(r"""^revision(?:\s*:[^=]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision(?:\s*:[^=]*)?=\s*(?:["']([^"']+)["']|None)\s*$""", re.MULTILINE)


@functools.cache
def shipped_head() -> str | None:
    """The single head of the shipped (linear) migration history, or None when unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(found) != 1 or len(down) != 1:
            return None
        revisions.add(found[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None
