"""The one config-driven spider: every outlet's feeds, sitemaps and listings, then its articles.

The spider only reads: sources into article requests (which ArticleAdmission filters),
article responses into items (which the pipelines analyse and store). What it sees per
outlet goes into the crawl's stats (crawler/figures.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
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
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.crawler.addresses import REFUSED_HOSTS
from newsalert.crawler.admission import AlreadySeen, article_request
from newsalert.crawler.conditional import UNCHANGED, VALIDATORS
from newsalert.crawler.middlewares import AddressBlocked, RobotsForbidden
from newsalert.crawler.sources import Candidate, SourceError
from newsalert.crawler.workers import WorkerPool, WorkFailed, crawl_workers, feed_task, listing_task, sitemap_task
from newsalert.domain import Hints, PageItem, Rejection, UrlStatus
from newsalert.pipelines.urls import canonical_url

log = logging.getLogger(__name__)

# Child sitemaps followed per sitemap index, newest first: archives by month can run to hundreds.
MAX_CHILD_SITEMAPS = 20


class OutletsSpider(scrapy.Spider):
    name = "newsalert"

    def __init__(self, outlets: list[Outlet], crawl: CrawlSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outlets = {outlet.name: outlet for outlet in outlets}
        self.max_page_bytes = crawl.max_page_bytes
        self.sitemap_cutoff = crawl.age_cutoff()
        self._workers: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = cls(
            crawler.settings.getlist("NEWSALERT_OUTLETS"),
            crawler.settings.get("NEWSALERT_CRAWL") or CrawlSettings(),
            *args,
            **kwargs,
        )
        spider._set_crawler(crawler)
        return spider

    @property
    def workers(self) -> WorkerPool:
        if self._workers is None:
            self._workers = crawl_workers(self.crawler)
        return self._workers

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for outlet in self.outlets.values():
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
        if self._unchanged(outlet, response):
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            candidates = await self.workers.run(feed_task, response.body, response.url, content_type)
        except (SourceError, WorkFailed) as exc:
            self._source_error(outlet, response.url, str(exc))
            return
        self._count(outlet, "sources_ok")
        for request in self._articles(outlet, candidates):
            yield request

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self._outlet(response)
        if self._unchanged(outlet, response):
            return
        try:
            page = await self.workers.run(sitemap_task, response.body, self.max_page_bytes)
        except (SourceError, WorkFailed) as exc:
            self._source_error(outlet, response.url, str(exc))
            return
        if not page.is_index:
            self._count(outlet, "sources_ok")
            for request in self._articles(outlet, page.articles):
                yield request
            return
        # An index is read in full every time: its children are what change (and are asked
        # "changed since?" themselves).
        response.meta.pop(VALIDATORS, None)
        cutoff = self.sitemap_cutoff
        children = [c for c in page.sitemaps if not (cutoff and c.modified_at and c.modified_at < cutoff)]
        children.sort(key=lambda c: c.modified_at.timestamp() if c.modified_at else 0, reverse=True)
        for child in children[:MAX_CHILD_SITEMAPS]:
            yield self._source_request(outlet, child.url, self.parse_sitemap)

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self._outlet(response)
        if self._unchanged(outlet, response):
            return
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
        self._count(outlet, "sources_ok")
        for request in self._articles(outlet, links):
            yield request
        page = response.meta["page"]
        if following and page < outlet.max_listing_pages and following != response.url:
            yield self._source_request(outlet, following, self.parse_listing, page=page + 1)

    def _unchanged(self, outlet: Outlet, response: Response) -> bool:
        """A source unchanged since the last complete pass (crawler/conditional.py): its
        links were all dealt with then, so it is not parsed (nor, for a listing, followed)."""
        if not response.meta.get(UNCHANGED):
            return False
        self._count(outlet, "sources_ok")
        self._count(outlet, "unchanged")
        return True

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._source_error(self.outlets[request.meta["outlet"]], request.url, describe_failure(failure)[1])

    def _source_error(self, outlet: Outlet, url: str, message: str) -> None:
        self._count(outlet, "sources_failed")
        figures.note_error(self.crawler.stats, outlet.name, f"{url}: {message}")
        log.warning("%s: cannot use %s: %s", outlet.name, url, message)

    # Articles --------------------------------------------------------------------------------

    def _articles(self, outlet: Outlet, candidates: list[Candidate]) -> Iterator[scrapy.Request]:
        """A request for every link; ArticleAdmission decides which are made."""
        for candidate in candidates:
            hints = Hints(candidate.title, candidate.author, candidate.published_at)
            request = article_request(
                outlet.name,
                candidate.url,
                hints,
                listed_at=candidate.listed_at,
                callback=self.parse_article,
                errback=self.article_failed,
            )
            if request is not None:
                yield request

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        item = self._page_item(response.request, response.url)  # type: ignore[arg-type]
        item.http_status = response.status
        self._count(self.outlets[item.outlet], "pages")
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
        return self.outlets[response.meta["outlet"]]

    def _count(self, outlet: Outlet, name: str) -> None:
        figures.count(self.crawler.stats, outlet.name, name)


def describe_failure(failure: Failure) -> tuple[UrlStatus, str]:
    """The seen_urls status and a one-line reason for a failed request, by the failure's type."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return (UrlStatus.GONE if status in (404, 410) else UrlStatus.FAILED), f"HTTP {status}"
    if isinstance(exc, AlreadySeen):
        return UrlStatus.DUPLICATE, str(exc)
    if isinstance(exc, RobotsForbidden):
        return UrlStatus.BLOCKED, "forbidden by robots.txt"
    if isinstance(exc, AddressBlocked):
        return UrlStatus.BLOCKED, str(exc)
    if isinstance(exc, IgnoreRequest) and isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):
        return UrlStatus.TOO_LARGE, "larger than max_page_bytes once decompressed"
    if isinstance(exc, IgnoreRequest):
        return UrlStatus.BLOCKED, str(exc) or "request ignored"
    # Scrapy 2.13+ raises its own exceptions; older ones let Twisted's through.
    if isinstance(exc, (CancelledError, DownloadCancelledError)):
        return UrlStatus.TOO_LARGE, "cancelled: larger than max_page_bytes"
    if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
        request = getattr(failure, "request", None)
        host = (urlsplit(request.url).hostname or "").lower() if request is not None else ""
        if host in REFUSED_HOSTS:
            return UrlStatus.BLOCKED, f"refused: {REFUSED_HOSTS[host]}"
        return UrlStatus.FAILED, "DNS lookup failed"
    if isinstance(exc, (ConnectionRefusedError, DownloadConnectionRefusedError)):
        return UrlStatus.FAILED, "connection refused"
    if isinstance(exc, (TimeoutError, TCPTimedOutError, DownloadTimeoutError)):
        return UrlStatus.FAILED, "timed out"
    if isinstance(exc, ResponseDataLossError):
        return UrlStatus.FAILED, "the connection closed before the whole page arrived"
    return UrlStatus.FAILED, f"{type(exc).__name__}: {failure.getErrorMessage()}"
