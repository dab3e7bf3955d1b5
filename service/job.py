"""The daily job: crawl (in a child process), then build and send the digests.

One job runs at a time across every process sharing the database (a lock in it); each
run is recorded in crawl_runs with its per-outlet figures and its digest figures, also when
it fails or is interrupted.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from newsalert.config.loader import Config
from newsalert.crawler.runner import CrawlResult, run_crawl
from newsalert.digest.service import DigestRun, run_digests
from newsalert.domain import DigestStatus, RunStatus
from newsalert.storage import ledger
from newsalert.storage.locks import DatabaseLock

log = logging.getLogger(__name__)

LOCK_NAME = "daily-job"


@dataclass
class JobResult:
    skipped: bool = False
    holder: str | None = None  # who held the lock when skipped
    crawl: CrawlResult | None = None
    digests: DigestRun | None = None

    @property
    def needs_attention(self) -> bool:
        crawl_bad = self.crawl is not None and (
            self.crawl.status in (RunStatus.FAILED, RunStatus.INTERRUPTED) or bool(self.crawl.failed_outlets)
        )
        digests_bad = self.digests is not None and bool(self.digests.error or self.digests.problems)
        return crawl_bad or digests_bad


def daily_job(
    config: Config,
    sessions: sessionmaker[Session],
    *,
    trigger: str,
    log_level: str = "WARNING",
    stopping: threading.Event | None = None,
) -> JobResult:
    lock = DatabaseLock(sessions, LOCK_NAME)
    if not lock.acquire():
        holder = lock.holder_now()
        log.warning("skipping the %s run: another daily job is running (%s)", trigger, holder)
        return JobResult(skipped=True, holder=holder)
    try:
        log.info("daily job (%s): crawling %d outlets", trigger, len(config.enabled_outlets))
        crawl = _crawl(config, trigger=trigger, log_level=log_level)
        log.info(
            "crawl run %s: %s, %d new articles",
            crawl.run_id,
            crawl.status,
            sum(t["stored"] for t in crawl.outlets.values()),
        )
        result = JobResult(crawl=crawl)
        if crawl.status == RunStatus.INTERRUPTED or (stopping is not None and stopping.is_set()):
            log.warning("the run was interrupted: no digest sent")
            return result
        # A failed crawl still stored what it could: deliver it.
        result.digests = run_digests(config, sessions, send=True)
        sent = sum(1 for d in result.digests.digests if d.status == DigestStatus.SENT)
        failed = len(result.digests.problems)
        log.info(
            "digests: %d sent, %d not delivered%s",
            sent,
            failed,
            f" ({result.digests.error})" if result.digests.error else "",
        )
        if crawl.run_id is not None:
            with sessions.begin() as session:
                ledger.record_digest_figures(session, crawl.run_id, sent=sent, failed=failed)
        return result
    finally:
        lock.release()


def _crawl(config: Config, *, trigger: str, log_level: str) -> CrawlResult:
    """This machine's crawl, or, with a broker, the workers' (the digests wait for all of them)."""
    if not config.settings.queue.broker_url:
        return run_crawl(config, config.enabled_outlets, trigger=trigger, log_level=log_level)
    from newsalert.crawler.distributed import BrokerError, dispatch

    try:
        return dispatch(config, list(config.enabled_outlets), trigger=trigger, log_level=log_level)
    except BrokerError as exc:
        log.error("%s: no crawl, no digest this time (nothing was lost)", exc)
        return CrawlResult(None, RunStatus.FAILED, error=str(exc))
