"""Thin Scrapy item pipelines around the pure functions: analyze (in the worker pool), store."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import task
from twisted.internet.defer import Deferred

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.crawler.workers import WorkerPool, WorkFailed, article_task, crawl_workers
from newsalert.domain import PageItem, Rejection, UrlStatus
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.ingest import lock_stories, record_failure, save_page

log = logging.getLogger(__name__)

REJECTED_TALLY = {
    UrlStatus.STORED: "stored",
    UrlStatus.DUPLICATE: "duplicates",
    UrlStatus.FAILED: "failed",
    UrlStatus.TOO_OLD: "too_old",
    UrlStatus.OFF_TOPIC: "irrelevant",
}


class AnalyzePipeline:
    """Extraction, relevance, tags and fingerprint (pipelines/analyze.py) in the crawl's worker
    pool (crawler/workers.py), so the crawl uses every core, the reactor thread stays free for
    downloading, and a page that takes too long is stopped and recorded."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        self.workers = crawl_workers(self.crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        if item.html is None or item.outcome is not None:
            return item
        assert self.workers is not None, "the pipeline was not opened"
        try:
            result = await self.workers.run(article_task, item.html, item.url, item.hints, item.declared_language)
        except WorkFailed as exc:
            log.warning("%s: extraction of %s %s", item.outlet, item.url, exc)
            result = Rejection(UrlStatus.FAILED, f"extraction {exc}")
        except Exception as exc:  # a page that crashes the extractor is skipped, not the crawl
            log.warning("analysis failed for %s: %s", item.url, exc)
            result = Rejection(UrlStatus.NOT_ARTICLE, f"extraction failed: {type(exc).__name__}: {exc}")
        item.html = None  # the text is extracted; do not keep the page in memory
        if isinstance(result, Rejection):
            item.outcome = result
            return item
        item.relevance, item.tags, item.fingerprint = result.relevance, result.tags, result.fingerprint
        item.search_forms = result.search_forms
        item.outcome, item.published_at = result.article, result.article.published_at
        if not result.kept:
            relevance = result.relevance
            assert relevance is not None
            terms = ", ".join(relevance.matched_terms[:5]) or "no topic phrase"
            item.outcome = Rejection(
                UrlStatus.OFF_TOPIC, f"relevance {relevance.score:g} below {relevance.threshold:g} ({terms})"
            )
        return item


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class StorePipeline:
    """Writes outcomes to the archive in batched transactions and counts them per outlet.

    The writes run on a thread of their own, one batch at a time, so the reactor goes on
    downloading and feeding the workers while a batch is written; at most MAX_INFLIGHT batches
    wait for the writer before the pipeline holds items back.
    """

    BATCH_SIZE = 50
    FLUSH_SECONDS = 2.0  # an idle crawl still commits what it has promptly
    MAX_INFLIGHT = 4

    def __init__(
        self,
        stats: StatsCollector,
        sessions: sessionmaker[Session],
        outlet_ids: dict[str, int],
        *,
        cutoff: datetime | None = None,
        engine: Engine | None = None,  # disposed when the spider closes
    ) -> None:
        self.stats = stats
        self.engine = engine
        self.sessions = sessions
        self.outlet_ids = outlet_ids
        self.cutoff = cutoff
        self.pending: list[PageItem] = []
        self.inflight: set[asyncio.Future[list[Written]]] = set()
        self.writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")
        self.flusher = task.LoopingCall(self.submit)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("NEWSALERT_DATABASE_URL")
        if not url:
            raise NotConfigured("NEWSALERT_DATABASE_URL is not set")
        crawl: CrawlSettings = crawler.settings.get("NEWSALERT_CRAWL") or CrawlSettings()
        outlets: list[Outlet] = crawler.settings.getlist("NEWSALERT_OUTLETS")
        engine, sessions = open_database(url)
        with sessions.begin() as session:
            outlet_ids = ledger.outlet_ids(session, outlets)
        return cls(crawler.stats, sessions, outlet_ids, cutoff=crawl.age_cutoff(), engine=engine)

    def open_spider(self) -> None:
        self.flusher.start(self.FLUSH_SECONDS, now=False)

    async def close_spider(self) -> None:
        if self.flusher.running:
            self.flusher.stop()
        if self.inflight:
            await asyncio.wait(self.inflight)
        self.flush()
        self.writer.shutdown()
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item: PageItem) -> PageItem | Deferred[PageItem]:
        self.pending.append(item)
        if len(self.pending) < self.BATCH_SIZE:
            return item
        self.submit()
        if len(self.inflight) <= self.MAX_INFLIGHT:
            return item
        # The writer is behind: hold this item until a batch is written.
        waiting = asyncio.ensure_future(asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED))
        return Deferred.fromFuture(waiting).addCallback(lambda _: item)

    def submit(self) -> None:
        """Hand the pending items to the writer thread; they are counted once written."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        written = asyncio.wrap_future(self.writer.submit(self.write, batch))
        self.inflight.add(written)

        def count(future: asyncio.Future[list[Written]]) -> None:
            self.inflight.discard(future)
            self._count(batch, future.result())

        written.add_done_callback(count)  # before any waiter's: counted when the wait ends

    def flush(self) -> None:
        """Write the pending items now, in this thread."""
        if self.pending:
            batch, self.pending = self.pending, []
            self._count(batch, self.write(batch))

    def write(self, batch: list[PageItem]) -> list[Written]:
        """Store a batch in one transaction (or, if that fails, page by page); never raises."""
        try:
            return [Written(status) for status in self._save(batch)]
        except Exception as exc:
            # One bad page must not cost the others: store the batch page by page.
            log.warning("could not write a batch of %d pages (%s); writing them one by one", len(batch), _one_line(exc))
            return [self._save_one(item) for item in batch]

    def _save(self, batch: list[PageItem]) -> list[str]:
        with self.sessions.begin() as session:
            lock_stories(session, batch)  # other processes storing the same stories wait for this one
            return [save_page(session, item, self.outlet_ids[item.outlet], cutoff=self.cutoff) for item in batch]

    def _save_one(self, item: PageItem) -> Written:
        """Store one page; if even that fails, record it failed with the reason, so that a later
        crawl tries it again (up to max_attempts) and the run says what went wrong."""
        try:
            return Written(self._save([item])[0])
        except Exception as exc:
            reason = f"could not be stored: {_one_line(exc)}"
            log.error("%s: %s %s", item.outlet, item.url, reason)
            item.outcome = Rejection(UrlStatus.FAILED, reason)
            try:
                with self.sessions.begin() as session:
                    record_failure(session, item, self.outlet_ids[item.outlet], reason)
            except Exception as again:  # the database itself is gone: the next crawl fetches the page again
                log.error("%s: cannot record the failure of %s either: %s", item.outlet, item.url, _one_line(again))
            return Written(UrlStatus.FAILED, f"{item.url}: {reason}")

    def _count(self, batch: list[PageItem], written: list[Written]) -> None:
        for item, outcome in zip(batch, written, strict=True):
            status = outcome.status
            if outcome.error:
                figures.note_storage_error(self.stats, outcome.error)
            figures.count(self.stats, item.outlet, REJECTED_TALLY.get(UrlStatus(status), "rejected"))
            if status == UrlStatus.STORED:
                log.info("%s: stored %s", item.outlet, item.url)
            else:
                reason = item.outcome.reason if isinstance(item.outcome, Rejection) else status
                log.info("%s: %s %s (%s)", item.outlet, status, item.url, reason)


@dataclass(frozen=True)
class Written:
    """What became of one page in the writer thread; `error` is a storage error to report."""

    status: str
    error: str | None = None
