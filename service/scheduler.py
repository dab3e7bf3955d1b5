"""`newsalert serve`: the daily job on a cron schedule, in the foreground, until SIGTERM/SIGINT.

APScheduler 3 runs the job (coalesce, max_instances=1, misfire grace). A run missed while
the service was down is caught up once on start when it is within the grace window: the
recorded runs tell whether it happened, so a restart never runs it twice. On SIGTERM or
SIGINT no new run starts, a running crawl is asked to stop and given up to 30 s, its run
is recorded as interrupted, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session, sessionmaker

from newsalert.config.loader import Config
from newsalert.config.schedule import cron_trigger
from newsalert.crawler.runner import STOP_GRACE_SECONDS, stop_running_crawls
from newsalert.service.job import daily_job
from newsalert.storage import ledger

log = logging.getLogger(__name__)

SCHEDULED_TRIGGERS = ("schedule", "catch-up")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "ever": a scheduled run since then


def last_fire_time(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The latest time in (now - window, now] at which the schedule fired."""
    last = None
    fire = trigger.get_next_fire_time(None, now - window)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


def ran_since(sessions: sessionmaker[Session], moment: datetime) -> bool:
    with sessions() as session:
        return ledger.ran_since(session, moment, SCHEDULED_TRIGGERS)


def serve(config: Config, sessions: sessionmaker[Session], *, log_level: str = "WARNING") -> int:
    schedule = config.settings.schedule
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    grace = timedelta(hours=schedule.misfire_grace_hours)
    stopping = threading.Event()
    idle = threading.Condition()
    running = [0]  # jobs under way (a catch-up and a scheduled run may overlap; the lock skips one)

    def job(kind: str) -> None:
        if stopping.is_set():
            return
        with idle:
            running[0] += 1
        try:
            daily_job(config, sessions, trigger=kind, log_level=log_level, stopping=stopping)
        except Exception:  # the service outlives any one run
            log.exception("the %s run failed; the service goes on", kind)
        finally:
            with idle:
                running[0] -= 1
                idle.notify_all()

    def wait_idle(seconds: float) -> bool:
        with idle:
            return idle.wait_for(lambda: running[0] == 0, timeout=seconds)

    scheduler = BackgroundScheduler(
        timezone=ZoneInfo(schedule.timezone),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(grace.total_seconds())},
    )
    scheduler.add_job(job, trigger, args=["schedule"], id="daily-job", name="daily job")

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    now = datetime.now(ZoneInfo(schedule.timezone))
    missed = last_fire_time(trigger, now, grace)
    if missed is not None and not ran_since(sessions, missed):
        if ran_since(sessions, EPOCH):
            log.warning("the run due at %s was missed; running it now", missed.isoformat(timespec="seconds"))
            scheduler.add_job(job, args=["catch-up"], id="catch-up", name="catch-up run")
        else:  # installed and started a little after a scheduled time: not a run anyone missed
            log.warning("first start: no run to catch up; the first run is the next scheduled one")
    log.warning(
        "newsalert serve: schedule %r (%s), next run at %s",
        schedule.cron,
        schedule.timezone,
        scheduler.get_job("daily-job").next_run_time.isoformat(timespec="seconds"),
    )

    while not stopping.wait(0.5):
        pass
    scheduler.shutdown(wait=False)  # no new runs
    if not wait_idle(0):
        log.warning("asking the running crawl to stop (up to %d s)", STOP_GRACE_SECONDS)
        stop_running_crawls()
        if not wait_idle(STOP_GRACE_SECONDS):
            log.error("the crawl did not stop in time: killing it")
            stop_running_crawls(force=True)
            wait_idle(5)
    log.warning("newsalert serve stopped")
    return 0
