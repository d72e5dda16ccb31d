"""The key a name is looked up by: the same for every spelling a person means as the same name.

SQL `lower()` cannot be used for that: SQLite's folds ASCII only ("Ölwerk" and "ölwerk" differ),
and PostgreSQL's depends on the database's collation. The key is computed in Python instead and
stored beside the name (indexed), so both stores compare the same thing.
"""

from __future__ import annotations

import unicodedata


def name_key(name: str | None) -> str | None:
    """NFKC-normalised, case-folded, whitespace-collapsed `name` ("Ölwerk  GMBH" -> "ölwerk gmbh").

    NFKC first (a decomposed "Đông" and a precomposed one become the same), casefold (ß -> ss,
    İ, Greek final sigma), NFKC again (casefold can un-normalise), spaces collapsed: what a user
    types with other spacing or case finds the partner."""
    if name is None:
        return None
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())
