"""Thin Scrapy item pipelines around the pure functions: analyze (in the worker pool), store."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import task

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.crawler.workers import WorkerPool, WorkFailed, article_task, crawl_workers
from newsalert.domain import PageItem, Rejection, UrlStatus
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.ingest import record_failure, save_page

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
    """Writes outcomes to the archive in batched transactions and counts them per outlet."""

    BATCH_SIZE = 50
    FLUSH_SECONDS = 2.0  # an idle crawl still commits what it has promptly

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
        self.flusher = task.LoopingCall(self.flush)

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

    def close_spider(self) -> None:
        if self.flusher.running:
            self.flusher.stop()
        self.flush()
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item: PageItem) -> PageItem:
        self.pending.append(item)
        if len(self.pending) >= self.BATCH_SIZE:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            statuses = self._save(batch)
        except Exception as exc:
            # One bad page must not cost the others: store the batch page by page.
            log.warning("could not write a batch of %d pages (%s); writing them one by one", len(batch), _one_line(exc))
            statuses = [self._save_one(item) for item in batch]
        self._count(batch, statuses)

    def _save(self, batch: list[PageItem]) -> list[str]:
        with self.sessions.begin() as session:
            return [save_page(session, item, self.outlet_ids[item.outlet], cutoff=self.cutoff) for item in batch]

    def _save_one(self, item: PageItem) -> str:
        """Store one page; if even that fails, record it failed with the reason, so that a later
        crawl tries it again (up to max_attempts) and the run says what went wrong."""
        try:
            return self._save([item])[0]
        except Exception as exc:
            reason = f"could not be stored: {_one_line(exc)}"
            log.error("%s: %s %s", item.outlet, item.url, reason)
            figures.note_storage_error(self.stats, f"{item.url}: {reason}")
            item.outcome = Rejection(UrlStatus.FAILED, reason)
            try:
                with self.sessions.begin() as session:
                    record_failure(session, item, self.outlet_ids[item.outlet], reason)
            except Exception as again:  # the database itself is gone: the next crawl fetches the page again
                log.error("%s: cannot record the failure of %s either: %s", item.outlet, item.url, _one_line(again))
            return UrlStatus.FAILED

    def _count(self, batch: list[PageItem], statuses: list[str]) -> None:
        for item, status in zip(batch, statuses, strict=True):
            figures.count(self.stats, item.outlet, REJECTED_TALLY.get(UrlStatus(status), "rejected"))
            if status == UrlStatus.STORED:
                log.info("%s: stored %s", item.outlet, item.url)
            else:
                reason = item.outcome.reason if isinstance(item.outcome, Rejection) else status
                log.info("%s: %s %s (%s)", item.outlet, status, item.url, reason)
