"""A contact's full name split into given and family names, in the order the name is written.

CRMs keep a person's name as two fields (Salesforce Lead FirstName / LastName), but people
write it in the order of their culture: "Hank Scorpio" gives the family name last, "Nguyễn Thị
Minh Khai" (Vietnamese, also Chinese, Japanese, Korean, Hungarian) gives it first. A single
full-name value is split by the configured order (`registrations.name_order`):

- `given_first`:  the last word is the family name ("Hank Q Scorpio" -> "Hank Q" + "Scorpio");
- `family_first`: the first word is ("Nguyễn Thị Minh Khai" -> "Thị Minh Khai" + "Nguyễn").

"Family, Given" (with a comma) is unambiguous and read that way whatever the order. A name of
one word is a family name only (Salesforce requires LastName, not FirstName). When the split is
not what a person wants, give the two parts separately (`--first-name/--last-name`, CSV
columns first_name/last_name).
"""

from __future__ import annotations

from typing import Literal

NameOrder = Literal["given_first", "family_first"]
NAME_ORDERS: tuple[NameOrder, ...] = ("given_first", "family_first")


def split_full_name(full: str, order: NameOrder = "given_first") -> tuple[str | None, str | None]:
    """(given names or None, family name or None) of a full name written in `order`."""
    if "," in full:
        family, given = (" ".join(part.split()) for part in full.split(",", 1))
        return given or None, family or None
    words = full.split()
    if not words:
        return None, None
    if len(words) == 1:
        return None, words[0]
    if order == "family_first":
        return " ".join(words[1:]), words[0]
    return " ".join(words[:-1]), words[-1]
