"""The hostile-input corpus and how each input enters a side (CRM or store) and is judged.

An input is "refused at entry" when the side it is put into will not hold it (the CRM answers
an error, the store's types refuse it): prm-sync never sees it. Otherwise, after a sync, the
other side must hold it faithfully, or the record must sit in quarantine with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TEXT: dict[str, str] = {
    "soql-injection": "x' OR Name != '",
    "soql-escaped-injection": "\\' OR Id != null OR Name = \\'",
    "sql-injection": "'); DROP TABLE partner; --",
    "quotes-backslashes": "O'Brien \"Q\" \\ \\\\ \\'",
    "rtl": "شريك \u202eabc\u202c עברית",
    "emoji": "Partner 🤝🚀 👩🏽‍💻",
    "nul-byte": "nul\x00byte",
    "one-megabyte": "M" * 1_000_000,
    "newlines-tabs": "line1\r\nline2\n\tend",
    "wildcards": "100% _x_ *y* ?",
}
#: distinctive fragments that must never show up in a query the CRM receives
QUERY_FRAGMENTS = ("OR Name", "OR Id", "DROP TABLE", "O'Brien", "\u202e", "🤝", "nul\x00", "MMMMMMMMMM", "_x_")

CRM_DATES = {"impossible-date": "2026-02-30", "far-future-date": "9999-12-31", "not-a-date": "soon"}
PRM_DATES = {"far-future-date": dt.date(9999, 12, 31), "year-one-date": dt.date(1, 1, 1)}
CRM_AMOUNTS = {"negative-amount": "-100.50", "nan-amount": "NaN", "huge-amount": "1e400",
               "wrong-type-amount": "abc", "many-digits-amount": "123456789012345678901234567890.99"}
PRM_AMOUNTS = {"negative-amount": Decimal("-100.50"), "nan-amount": Decimal("NaN"),
               "huge-amount": Decimal("1E+400"), "many-digits-amount": Decimal("123456789012345678901234567890.99")}


@dataclass
class Case:
    """One hostile input: where it goes in, and what came of it."""

    side: str          # "crm" (typed in the CRM) or "prm" (written to the store)
    entity: str        # partner | lead | commission
    field: str         # PRM field name
    name: str          # corpus entry
    value: Any
    handle: str | None = None   # CRM id (crm side) or PRM id (prm side) once it entered
    refused: str | None = None  # why the side would not hold it

    @property
    def id(self) -> str:
        return f"{self.side}-{self.entity}-{self.field}-{self.name}"


def faithful(expected: Any, actual: Any, kind: str) -> bool:
    """Does `actual` (as the other side holds it) say the same as `expected`?"""
    if actual is None:
        return False
    if kind == "decimal":
        try:
            return Decimal(str(actual)) == Decimal(str(expected))
        except ArithmeticError:
            return False
    if kind == "date":
        return str(actual)[:10] == str(expected)[:10]
    return str(actual) == str(expected)


def build_cases(crm: str) -> list[Case]:
    cases: list[Case] = []
    for side in ("crm", "prm"):
        for name, text in TEXT.items():
            cases.append(Case(side, "partner", "name", name, text))
            cases.append(Case(side, "lead", "company", name, text))
        dates: dict[str, Any] = CRM_DATES if side == "crm" else PRM_DATES
        amounts: dict[str, Any] = CRM_AMOUNTS if side == "crm" else PRM_AMOUNTS
        for name, value in dates.items():
            cases.append(Case(side, "lead", "expected_close", name, value))
        for name, value in amounts.items():
            cases.append(Case(side, "lead", "estimated_value", name, value))
    for name, text in TEXT.items():
        cases.append(Case("prm", "commission", "explanation", name, text))
    for name, value in PRM_AMOUNTS.items():
        cases.append(Case("prm", "commission", "amount", name, value))
    cases.append(Case("crm", "partner", "joined_on", "wrong-type-date", 12345 if crm == "salesforce" else "yesterday"))
    cases.append(Case("crm", "commission", "status", "sql-injection", "paid'; DROP TABLE commission_line; --"))
    cases.append(Case("prm", "partner", "joined_on", "wrong-type-date", "not-a-date"))
    cases.append(Case("prm", "lead", "estimated_value", "wrong-type-amount", "abc"))
    return cases


KIND = {"expected_close": "date", "joined_on": "date", "estimated_value": "decimal", "amount": "decimal"}


def kind_of(field: str) -> str:
    return KIND.get(field, "string")


Judge = Callable[[Case], str]
