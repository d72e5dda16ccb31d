"""Calendar periods: `2026-Q3`, `2026-07`, `2026`, as half-open date ranges."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year: `start` inclusive, `end` exclusive."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end

    def months(self) -> list[Period]:
        """The calendar months this period spans, in order."""
        out, day = [], self.start
        while day < self.end:
            out.append(period_of(day, "month"))
            day = out[-1].end
        return out


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date, kind: PeriodKind) -> Period:
    """The month, quarter or year holding `day`."""
    if kind == "year":
        return Period(dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1), "year")
    if kind == "quarter":
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(start, _add_months(start, 3), "quarter")
    start = dt.date(day.year, day.month, 1)
    return Period(start, _add_months(start, 1), "month")


def parse_period(text: str) -> Period:
    """`2026-Q3` (quarter), `2026-07` (month) or `2026` (year); ValueError with an example otherwise."""
    value = text.strip()
    if match := _QUARTER.match(value):
        return period_of(dt.date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1), "quarter")
    if (match := _MONTH.match(value)) and 1 <= int(match[2]) <= 12:
        return period_of(dt.date(int(match[1]), int(match[2]), 1), "month")
    if match := _YEAR.match(value):
        return period_of(dt.date(int(match[1]), 1, 1), "year")
    raise ValueError(f"'{text}' is not a period: use 2026-Q3 (quarter), 2026-07 (month) or 2026 (year)")
