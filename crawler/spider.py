"""The one config-driven spider: every outlet's feeds, sitemaps and listings, then its articles."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from newsalert.config.models import Outlet
from newsalert.crawler.addresses import REFUSED_HOSTS
from newsalert.crawler.frontier import Frontier
from newsalert.crawler.middlewares import AlreadySeen
from newsalert.crawler.sources import SourceError
from newsalert.crawler.workers import WorkerPool, WorkFailed, feed_task, listing_task, sitemap_task
from newsalert.domain import Hints, PageItem, Rejection, UrlStatus
from newsalert.pipelines.urls import canonical_url

log = logging.getLogger(__name__)

# Child sitemaps followed per sitemap index, newest first: archives by month can run to hundreds.
MAX_CHILD_SITEMAPS = 20


class OutletsSpider(scrapy.Spider):
    name = "newsalert"

    def __init__(self, frontier: Frontier, workers: WorkerPool, discover_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frontier = frontier
        self.workers = workers
        self.discover_only = discover_only

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for outlet in self.frontier.outlets.values():
            for url in outlet.feeds:
                yield self._source_request(outlet, url, self.parse_feed)
            for url in outlet.sitemaps:
                yield self._source_request(outlet, url, self.parse_sitemap)
            for url in outlet.listings:
                yield self._source_request(outlet, url, self.parse_listing, page=1)

    def _source_request(self, outlet: Outlet, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.source_failed,
            priority=10,
            meta={"outlet": outlet.name, "source": url, **meta},
        )

    # Sources ---------------------------------------------------------------------------------

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self._outlet(response)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            candidates = await self.workers.run(feed_task, response.body, response.url, content_type)
        except (SourceError, WorkFailed) as exc:
            self._source_error(outlet, response.url, str(exc))
            return
        self.frontier.tallies[outlet.name].sources_ok += 1
        for request in self._articles(outlet, self.frontier.admit(outlet.name, candidates)):
            yield request

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self._outlet(response)
        try:
            page = await self.workers.run(sitemap_task, response.body, self.frontier.settings.max_page_bytes)
        except (SourceError, WorkFailed) as exc:
            self._source_error(outlet, response.url, str(exc))
            return
        if not page.is_index:
            self.frontier.tallies[outlet.name].sources_ok += 1
            for request in self._articles(outlet, self.frontier.admit(outlet.name, page.articles)):
                yield request
            return
        cutoff = self.frontier.cutoff
        children = [c for c in page.sitemaps if not (cutoff and c.published_at and c.published_at < cutoff)]
        children.sort(key=lambda c: c.published_at.timestamp() if c.published_at else 0, reverse=True)
        for child in children[:MAX_CHILD_SITEMAPS]:
            yield self._source_request(outlet, child.url, self.parse_sitemap)

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self._outlet(response)
        if not isinstance(response, HtmlResponse):
            self._source_error(outlet, response.url, "the listing page is not HTML")
            return
        try:
            links, following = await self.workers.run(
                listing_task, response.body, response.url, response.encoding, outlet.domain, outlet.article_url_pattern
            )
        except WorkFailed as exc:
            self._source_error(outlet, response.url, str(exc))
            return
        self.frontier.tallies[outlet.name].sources_ok += 1
        for request in self._articles(outlet, self.frontier.admit(outlet.name, links)):
            yield request
        page = response.meta["page"]
        if following and page < outlet.max_listing_pages and following != response.url:
            yield self._source_request(outlet, following, self.parse_listing, page=page + 1)

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._source_error(self.frontier.outlets[request.meta["outlet"]], request.url, describe_failure(failure)[1])

    def _source_error(self, outlet: Outlet, url: str, message: str) -> None:
        tally = self.frontier.tallies[outlet.name]
        tally.sources_failed += 1
        tally.errors.append(f"{url}: {message}")
        log.warning("%s: cannot use %s: %s", outlet.name, url, message)

    # Articles --------------------------------------------------------------------------------

    def _articles(self, outlet: Outlet, admitted: list[Any]) -> Iterator[scrapy.Request]:
        if self.discover_only:
            return
        for rank, item in enumerate(admitted):
            candidate = item.candidate
            yield scrapy.Request(
                item.fetch_url,
                callback=self.parse_article,
                errback=self.article_failed,
                priority=-rank,
                meta={
                    "outlet": outlet.name,
                    "canonical": item.canonical,
                    "hints": Hints(candidate.title, candidate.author, candidate.published_at),
                },
            )

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        item = self._page_item(response.request, response.url)  # type: ignore[arg-type]
        item.http_status = response.status
        self.frontier.tallies[item.outlet].pages += 1
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"unknown").decode("latin-1")
            item.outcome = Rejection(UrlStatus.NOT_ARTICLE, f"not a text page ({content_type})")
        else:
            item.html = response.text
            language = response.headers.get("Content-Language")
            item.declared_language = language.decode("latin-1") if language else None
        yield item

    def article_failed(self, failure: Failure) -> Iterator[PageItem]:
        request = failure.request  # type: ignore[attr-defined]
        item = self._page_item(request, request.url)
        if failure.check(AlreadySeen):
            item.outcome = Rejection(UrlStatus.DUPLICATE, str(failure.value))
        else:
            status, reason = describe_failure(failure)
            item.outcome = Rejection(status, reason)
            if isinstance(failure.value, HttpError):
                item.http_status = failure.value.response.status
        yield item

    def _page_item(self, request: scrapy.Request, url: str) -> PageItem:
        requested = [request.meta["canonical"], *map(canonical_url, request.meta.get("redirect_urls", []))]
        aliases = list(dict.fromkeys([*requested, canonical_url(url)]))
        return PageItem(
            outlet=request.meta["outlet"], url=url, aliases=aliases, hints=request.meta.get("hints") or Hints()
        )

    def _outlet(self, response: Response) -> Outlet:
        return self.frontier.outlets[response.meta["outlet"]]


def describe_failure(failure: Failure) -> tuple[UrlStatus, str]:
    """The seen_urls status and a one-line reason for a failed request."""
    if isinstance(failure.value, HttpError):
        status = failure.value.response.status
        if status in (404, 410):
            return UrlStatus.GONE, f"HTTP {status}"
        return UrlStatus.FAILED, f"HTTP {status}"
    if failure.check(IgnoreRequest):
        message = str(failure.value)
        if "robots.txt" in message:
            return UrlStatus.BLOCKED, "forbidden by robots.txt"
        if "DOWNLOAD_MAXSIZE" in message or "max size" in message or "larger than" in message:
            return UrlStatus.TOO_LARGE, message
        return UrlStatus.BLOCKED, message or "request ignored"
    # Scrapy 2.13+ raises its own exceptions; older ones let Twisted's through.
    if failure.check(CancelledError, DownloadCancelledError):
        return UrlStatus.TOO_LARGE, "cancelled: larger than max_page_bytes"
    if failure.check(DNSLookupError, CannotResolveHostError):
        host = (urlsplit(failure.request.url).hostname or "").lower() if hasattr(failure, "request") else ""
        if host in REFUSED_HOSTS:
            return UrlStatus.BLOCKED, f"refused: {REFUSED_HOSTS[host]}"
        return UrlStatus.FAILED, "DNS lookup failed"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return UrlStatus.FAILED, "connection refused"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return UrlStatus.FAILED, "timed out"
    if failure.check(ResponseDataLossError):
        return UrlStatus.FAILED, "the connection closed before the whole page arrived"
    return UrlStatus.FAILED, f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
