"""Cron expressions of `config.schedule`: the 5 crontab fields, or 6 with a leading seconds field.

The day-of-week field follows crontab (0 or 7 = Sunday, 1 = Monday), not APScheduler 3's own
numbering (0 = Monday): numeric days are translated to day names before the trigger is built.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMERIC_TERM = re.compile(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?")


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """`*/15 * * * *` (minute hour day month weekday) or `*/10 * * * * *` (second first)."""
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    elif len(fields) != 6:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5 or 6")
    second, minute, hour, day, month, day_of_week = fields
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=crontab_weekdays(day_of_week), timezone=timezone)


def crontab_weekdays(field: str) -> str:
    """Translate crontab day-of-week numbers into day names; names and `*` pass unchanged."""
    if field in ("*", "?"):
        return field
    out: list[str] = []
    for term in field.split(","):
        match = _NUMERIC_TERM.fullmatch(term)
        if match is None:
            out.append(term)       # a name (mon, mon-fri): APScheduler reads it as crontab does
            continue
        start, end, step = match.groups()
        if start == "*":
            first, last = 0, 6
        else:
            first = int(start)
            last = int(end) if end is not None else (7 if step else first)
        if not (0 <= first <= 7 and 0 <= last <= 7) or first > last:
            raise ValueError(f"day of week '{term}' is not within 0-7")
        for number in range(first, last + 1, int(step or 1)):
            name = DAY_NAMES[number]
            if name not in out:
                out.append(name)
    return ",".join(out)
