"""Reading the schedule's crontab line (also when the settings are validated)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

# Crontab counts the days of the week from Sunday (0, and 7 too); APScheduler 3 from Monday.
CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_TERM = re.compile(r"^(?P<range>\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?$")


def cron_trigger(cron: str, timezone: str) -> CronTrigger:
    """A 5-field crontab line, or 6 fields with seconds first; days of the week as crontab
    means them (0 and 7 are Sunday, `1-5` is Monday to Friday)."""
    fields = cron.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    second, minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=ZoneInfo(timezone),
    )


def crontab_weekdays(field: str) -> str:
    """The day-of-week field of a crontab line, as APScheduler reads it: named days, which
    both count the same way. `*` stays `*`; numbers, ranges and steps become a list of names."""
    if field == "*":
        return field
    days: list[int] = []
    for term in field.lower().split(","):
        match = DAY_TERM.match(term)
        if match is None:
            raise ValueError(f"not a day of the week: {term!r}")
        if match["range"] == "*":
            first, last = 0, 6
        else:
            first = _day(match["first"])
            last = _day(match["last"], sunday_is=7) if match["last"] else first
            if last < first:
                raise ValueError(f"a range of days must run forwards: {term!r}")
        if match["step"] and int(match["step"]) == 0:
            raise ValueError(f"a step must be at least 1: {term!r}")
        step = int(match["step"] or 1)
        days += [day % 7 for day in range(first, last + 1, step)]
    return ",".join(CRONTAB_DAYS[day] for day in sorted(set(days)))


def _day(value: str, *, sunday_is: int = 0) -> int:
    """A day as crontab counts it (0-7, or a name: mon, tue…); `sunday_is` 7 for the end
    of a range, so that `sat-sun` and `5-7` run forwards."""
    if value.isdigit():
        number = int(value)
        if number > 7:
            raise ValueError(f"days of the week run from 0 to 7 (0 and 7 are Sunday): {value!r}")
        return number
    if value in CRONTAB_DAYS:
        number = CRONTAB_DAYS.index(value)
        return sunday_is if number == 0 else number
    raise ValueError(f"not a day of the week: {value!r}")
