"""Recognising "the disk is full" wherever it surfaces: an OSError ENOSPC (or EDQUOT) from a file
write, SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's SQLSTATE 53100 (disk_full).

Each store write is one transaction, so a full disk leaves nothing half-written: the message says
so and what to do (exit 70, like any run that could not finish for a reason outside the data).
"""

from __future__ import annotations

import errno

_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 12:
        chain.append(current)
        orig = getattr(current, "orig", None)   # SQLAlchemy's DBAPIError wraps the driver's error
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return chain


def is_disk_full(exc: BaseException) -> bool:
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in _FULL_ERRNOS:
            return True
        if getattr(link, "sqlstate", None) == "53100" or getattr(link, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        text = str(link).lower()
        if any(fragment in text for fragment in _FULL_TEXTS):
            return True
    return False


def disk_full_message(exc: BaseException) -> str | None:
    """What to tell the admin when `exc` means the disk (or quota) is full; None otherwise."""
    if not is_disk_full(exc):
        return None
    where = next((link.filename for link in _chain(exc) if isinstance(link, OSError) and link.filename), None)
    place = f" writing {where}" if where else " (the store's disk, or a file being written)"
    return (f"the disk is full{place}: no space left. Nothing was half-written (the transaction was rolled "
            "back); free some space (or grow the volume / raise the database's quota) and run the command again")
