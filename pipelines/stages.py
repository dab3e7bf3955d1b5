"""Thin Scrapy item pipelines around the pure functions: analyze (in worker processes), store."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Self

from scrapy.crawler import Crawler
from twisted.internet import task

from newsalert.config.models import TopicsFile
from newsalert.crawler.items import PageItem
from newsalert.pipelines.analyze import analyze_in_worker, init_worker
from newsalert.pipelines.extract import Rejection
from newsalert.pipelines.store import save_page
from newsalert.storage.repository import DUPLICATE, FAILED, OFF_TOPIC, STORED, TOO_OLD

log = logging.getLogger(__name__)

REJECTED_TALLY = {STORED: "stored", DUPLICATE: "duplicates", FAILED: "failed", TOO_OLD: "too_old",
                  OFF_TOPIC: "irrelevant"}


class AnalyzePipeline:
    """Extraction, relevance, tags and fingerprint (pipelines/analyze.py) in a pool of worker
    processes, so the crawl uses every core and the reactor thread stays free for downloading."""

    def __init__(self, workers: int, topics: TopicsFile | None, min_text_chars: int) -> None:
        self.workers = workers
        self.topics = topics
        self.min_text_chars = min_text_chars
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        workers = crawler.settings.get("NEWSALERT_EXTRACT_WORKERS")
        if workers is None:
            workers = os.cpu_count() or 1
        return cls(int(workers), crawler.settings.get("NEWSALERT_TOPICS"),
                   crawler.settings.getint("NEWSALERT_MIN_TEXT_CHARS", 250))

    def open_spider(self) -> None:
        setup = {"initializer": init_worker, "initargs": (self.topics, self.min_text_chars)}
        if self.workers:
            # spawn, not fork: forking a process that runs the reactor and its threads is unsafe.
            self.executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                **setup)
        else:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="analyze", **setup)

    def close_spider(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the workers; also called when the crawl ends abnormally, or the process would
        wait for them forever at exit."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    async def process_item(self, item: PageItem) -> PageItem:
        if item.html is None or item.outcome is not None:
            return item
        assert self.executor is not None
        future = self.executor.submit(analyze_in_worker, item.html, item.url, item.hints, item.declared_language)
        try:
            result = await asyncio.wrap_future(future)
        except Exception as exc:  # a page that crashes the extractor is skipped, not the crawl
            log.warning("analysis failed for %s: %s", item.url, exc)
            result = Rejection("not_article", f"extraction failed: {type(exc).__name__}: {exc}")
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
            item.outcome = Rejection(OFF_TOPIC, f"relevance {relevance.score:g} below {relevance.threshold:g} "
                                                f"({terms})")
        return item


class StorePipeline:
    """Writes outcomes to the archive in batched transactions."""

    BATCH_SIZE = 50
    FLUSH_SECONDS = 2.0  # an idle crawl still commits what it has promptly

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: list[PageItem] = []
        self.flusher = task.LoopingCall(self.flush)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        self.flusher.start(self.FLUSH_SECONDS, now=False)

    def close_spider(self) -> None:
        if self.flusher.running:
            self.flusher.stop()
        self.flush()

    def process_item(self, item: PageItem) -> PageItem:
        self.pending.append(item)
        if len(self.pending) >= self.BATCH_SIZE:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        frontier = self.crawler.spider.frontier
        try:
            statuses = self._save(batch)
        except Exception as exc:
            # Nothing of the batch was recorded, so the next crawl fetches those pages again:
            # nothing is lost. The crawl goes on and the run records the error.
            log.exception("could not write %d pages to the archive", len(batch))
            frontier.storage_errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            return
        self._count(batch, statuses)

    def _save(self, batch: list[PageItem]) -> list[str]:
        frontier = self.crawler.spider.frontier
        with frontier.sessions.begin() as session:
            return [save_page(session, item, frontier.outlet_ids[item.outlet], cutoff=frontier.cutoff)
                    for item in batch]

    def _count(self, batch: list[PageItem], statuses: list[str]) -> None:
        frontier = self.crawler.spider.frontier
        for item, status in zip(batch, statuses, strict=True):
            tally = frontier.tallies[item.outlet]
            field = REJECTED_TALLY.get(status, "rejected")
            setattr(tally, field, getattr(tally, field) + 1)
            if status == STORED:
                log.info("%s: stored %s", item.outlet, item.url)
            else:
                reason = item.outcome.reason if isinstance(item.outcome, Rejection) else status
                log.info("%s: %s %s (%s)", item.outlet, status, item.url, reason)
