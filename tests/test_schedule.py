"""The schedule's crontab line means what crontab means (config/schedule.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from newsalert.config.schedule import cron_trigger, crontab_weekdays

UTC = ZoneInfo("UTC")
# 2026-12-07 is a Monday.
MONDAY, SATURDAY, SUNDAY = (
    datetime(2026, 12, 7, tzinfo=UTC),
    datetime(2026, 12, 12, tzinfo=UTC),
    datetime(2026, 12, 13, tzinfo=UTC),
)


def fires_on(cron: str, day: datetime) -> bool:
    """Whether the line fires at some time of `day`."""
    trigger = cron_trigger(cron, "UTC")
    start = day.replace(hour=0, minute=0)
    fire = trigger.get_next_fire_time(None, start)
    return fire is not None and fire.date() == day.date()


def test_monday_to_friday_is_1_to_5() -> None:
    assert fires_on("0 6 * * 1-5", MONDAY)
    assert not fires_on("0 6 * * 1-5", SATURDAY)
    assert not fires_on("0 6 * * 1-5", SUNDAY)


@pytest.mark.parametrize("cron", ["0 6 * * 0", "0 6 * * 7", "0 6 * * sun", "0 6 * * SUN", "0 0 6 * * 0"])
def test_0_and_7_are_sunday(cron: str) -> None:
    assert fires_on(cron, SUNDAY)
    assert not fires_on(cron, MONDAY)


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("sat-sun", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("0,3,7", "sun,wed"),
        ("mon,fri", "mon,fri"),
    ],
)
def test_weekday_fields_become_named_days(field: str, days: str) -> None:
    assert crontab_weekdays(field) == days


@pytest.mark.parametrize("field", ["8", "5-1", "*/0", "someday", "1-", ""])
def test_impossible_weekdays_are_refused(field: str) -> None:
    with pytest.raises(ValueError):
        crontab_weekdays(field)
