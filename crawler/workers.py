"""Parsing and extraction off the reactor thread, each task under a time limit.

Everything CPU-heavy about what a site sends (a feed, a sitemap, a listing page, an article
page) runs in a pool of worker processes, so one hostile page never stalls the downloads of
the other outlets. Each task has `crawl.work_timeout` seconds: a worker that takes longer is
killed and replaced (pebble), and the page or source is recorded with the reason. A worker
also runs under an address-space limit, so a page that would eat the machine's memory kills
only its worker.

With `crawl.extract_workers: 0` the tasks run in a thread of the crawl process instead (for
small test crawls): the time limit then stops waiting, but cannot stop the work.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import pebble
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse

from newsalert.config.models import CrawlSettings, TopicsFile
from newsalert.crawler.forking import start_fork_server, worker_context
from newsalert.crawler.sources import Candidate, SitemapPage, listing_links, next_page, parse_feed, parse_sitemap
from newsalert.domain import Analysis, Hints, Rejection

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkFailed(Exception):
    """A task was stopped (too slow, or its worker died); the message says why."""


@dataclass(frozen=True)
class WorkerSettings:
    topics: TopicsFile | None
    min_text_chars: int
    max_page_elements: int  # pages with more HTML elements are refused before extraction
    memory_mb: int | None  # address-space limit of a worker process


def _init(settings: WorkerSettings) -> None:
    """A worker process: capped, then ready to analyse."""
    if settings.memory_mb:
        limit = settings.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _init_analysis(settings)


def _init_analysis(settings: WorkerSettings) -> None:
    """Ready to analyse; alone for the thread of `extract_workers: 0`, whose process (the
    crawl's own) must not take a worker's address-space limit."""
    # The analysis is imported where it runs (the crawl process only sends pages and reads
    # the results): from the fork server's preload, or here for a spawned worker or a thread.
    from newsalert.pipelines import analyze
    from newsalert.pipelines.extract import PageLimits

    analyze.init_worker(settings.topics, settings.min_text_chars, PageLimits(max_elements=settings.max_page_elements))


class WorkerPool:
    """The crawl's workers: `await pool.run(task, *args)` runs `task` under the time limit."""

    def __init__(self, workers: int, settings: WorkerSettings, *, timeout: float) -> None:
        self.timeout = timeout
        self._closed = False
        self.processes = workers > 0
        self._forks = False
        if self.processes:
            context = worker_context()
            self._forks = context.get_start_method() == "forkserver"
            self._pool: Any = pebble.ProcessPool(
                max_workers=workers, initializer=_init, initargs=(settings,), context=context
            )
        else:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="work", initializer=_init_analysis, initargs=(settings,)
            )

    def prestart(self) -> None:
        """Start the fork server now, without waiting for it: it loads the analysis' data
        while the crawl fetches its feeds, and the workers fork from it when first needed."""
        if self.processes and self._forks:
            start_fork_server()

    async def run(self, task: Callable[..., T], *args: Any) -> T:
        if self.processes:
            future = self._pool.schedule(task, args, timeout=self.timeout)
            try:
                return await asyncio.wrap_future(future)
            except concurrent.futures.TimeoutError:
                raise WorkFailed(
                    f"stopped after {self.timeout:g} s (crawl.work_timeout); its worker was replaced"
                ) from None
            except pebble.ProcessExpired as exc:
                raise WorkFailed(f"its worker process died (exit code {exc.exitcode}), e.g. out of memory") from None
        future = self._pool.submit(task, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            raise WorkFailed(f"gave up after {self.timeout:g} s (crawl.work_timeout)") from None

    def close(self) -> None:
        """Stop the workers; a task still running is abandoned (its page was recorded)."""
        if self._closed:
            return
        self._closed = True
        if self.processes:
            self._pool.stop()
            self._pool.join(timeout=10)
        else:
            self._pool.shutdown(wait=False, cancel_futures=True)


class Workers:
    """Extension owning the crawl's worker pool, shared by the spider (feeds, sitemaps,
    listings) and the analysis pipeline (articles), and stopped when the engine stops."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        crawl: CrawlSettings = crawler.settings.get("NEWSALERT_CRAWL") or CrawlSettings()
        settings = WorkerSettings(
            crawler.settings.get("NEWSALERT_TOPICS"),
            crawl.min_text_chars,
            crawl.max_page_elements,
            crawl.worker_memory_mb,
        )
        count = (os.cpu_count() or 1) if crawl.extract_workers is None else crawl.extract_workers
        extension = cls(WorkerPool(count, settings, timeout=crawl.work_timeout))
        extension.pool.prestart()
        crawler.signals.connect(extension.engine_stopped, signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        self.pool.close()


def crawl_workers(crawler: Crawler) -> WorkerPool:
    """The worker pool of a running crawl (from spider_opened on)."""
    extension = crawler.get_extension(Workers)
    if extension is None:
        raise RuntimeError("the Workers extension is not enabled")
    return extension.pool


# Tasks: module-level functions, so that a worker process can import them. -----------------------


def feed_task(body: bytes, url: str, content_type: str | None) -> list[Candidate]:
    return parse_feed(body, url=url, content_type=content_type)


def sitemap_task(body: bytes, max_bytes: int) -> SitemapPage:
    return parse_sitemap(body, max_bytes=max_bytes)


def listing_task(
    body: bytes,
    url: str,
    encoding: str,
    domain: str,
    pattern: str | None,
) -> tuple[list[Candidate], str | None]:
    response = HtmlResponse(url=url, body=body, encoding=encoding)
    return listing_links(response, domain=domain, pattern=pattern), next_page(response)


def article_task(
    html: str,
    url: str,
    hints: Hints,
    declared_language: str | None,
) -> Analysis | Rejection:
    from newsalert.pipelines.analyze import analyze_in_worker

    return analyze_in_worker(html, url, hints, declared_language)
