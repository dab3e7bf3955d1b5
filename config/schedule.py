"""Reading the schedule's crontab line (also when the settings are validated)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


def cron_trigger(cron: str, timezone: str) -> CronTrigger:
    """A 5-field crontab line, or 6 fields with seconds first."""
    fields = cron.split()
    if len(fields) == 5:
        return CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    second, minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        timezone=ZoneInfo(timezone),
    )
