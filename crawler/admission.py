"""Which article links the crawl fetches: the seen-URL ledger and the two middlewares using it.

The spider turns every link its sources give into an article request; `ArticleAdmission`
(a spider middleware) lets through, newest first and up to the outlet's cap, only those
that are recent enough and that neither this run nor an earlier one has settled. The
database is the authority, so several crawl processes can share it. `RedirectCheck` (a
downloader middleware) applies the same ledger to redirect targets, which the spider could
not know about (short links, http to https, tracking redirectors).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.domain import FUTURE_TOLERANCE, Hints, UrlStatus
from newsalert.pipelines.profile import profile_version
from newsalert.pipelines.urls import MAX_URL_LENGTH, canonical_url, is_http_url
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.ledger import UrlRecord

log = logging.getLogger(__name__)


class AlreadySeen(IgnoreRequest):
    """A redirect led to a page this crawl or an earlier one already settled."""


def article_request(
    outlet: str, url: str, hints: Hints, *, listed_at: datetime | None = None, **kwargs: Any
) -> Request | None:
    """The request for an article link, or None when the link is not a fetchable address.

    `listed_at` is the latest the article can have been published, by what its source said
    (its date, or a sitemap's last change); admission filters and orders by it.
    """
    if not is_http_url(url):
        return None
    canonical = canonical_url(url)
    if len(canonical) > MAX_URL_LENGTH:  # percent-encoding can lengthen an address
        return None
    meta = {"outlet": outlet, "canonical": canonical, "hints": hints, "listed_at": listed_at or hints.published_at}
    return Request(fetch_url(url), meta=meta, **kwargs)


def fetch_url(url: str) -> str:
    """The URL to request: canonical but for the host, which may need its `www.` to answer."""
    canonical = canonical_url(url)
    scheme, _, rest = canonical.partition("://")
    host = rest.split("/", 1)[0]
    original_host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if original_host.startswith("www.") and not host.startswith("www."):
        canonical = canonical.replace(f"{scheme}://{host}", f"{scheme}://www.{host}", 1)
    return canonical


def is_article_request(request: object) -> bool:
    return isinstance(request, Request) and request.meta.get("canonical") is not None


@dataclass
class Verdict:
    """What the ledger made of one batch of an outlet's article requests."""

    admitted: list[Request] = field(default_factory=list)  # newest first
    discovered: int = 0
    known: int = 0  # settled by an earlier crawl
    too_old: int = 0


class SeenUrls:
    """The seen-URL ledger of one crawl: the archive's settled URLs plus what this run claimed."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        outlet_ids: dict[str, int],
        crawl: CrawlSettings,
        *,
        topic_version: str | None = None,
        now: datetime | None = None,
        record: bool = True,
    ) -> None:
        self.sessions = sessions
        self.outlet_ids = outlet_ids
        self.max_articles = crawl.max_articles_per_outlet
        self.max_attempts = crawl.max_attempts
        self.max_age_days = crawl.max_age_days
        now = now or datetime.now().astimezone()
        self.cutoff = crawl.age_cutoff(now)
        self.latest_believable = now + FUTURE_TOLERANCE
        # Off-topic pages judged under an older topic profile are fetched again while recent.
        self.topic_version = topic_version  # the profile pages are judged by (None: keep everything)
        self.reconsider = ledger.Reconsider(topic_version, self.cutoff) if topic_version else None
        self.record = record  # False: look, but write nothing (outlets check)
        self._claimed: set[str] = set()
        self._queued: dict[str, int] = {}

    def admit(self, outlet: str, requests: Iterable[Request]) -> Verdict:
        """The requests to make, newest first: recent enough, not yet met, within the cap."""
        verdict = Verdict()
        fresh: dict[str, Request] = {}
        too_old: list[UrlRecord] = []
        for request in requests:
            canonical = request.meta["canonical"]
            if canonical in self._claimed or canonical in fresh:
                continue
            verdict.discovered += 1
            listed = request.meta.get("listed_at")
            if self.cutoff and listed and listed < self.cutoff:
                verdict.too_old += 1
                self._claimed.add(canonical)
                said = "published" if listed == request.meta["hints"].published_at else "last changed"
                reason = f"{said} {listed:%Y-%m-%d}, before the {self.max_age_days}-day window"
                too_old.append(UrlRecord(canonical, self.outlet_ids[outlet], UrlStatus.TOO_OLD, reason))
                continue
            fresh[canonical] = request

        with self.sessions.begin() as session:
            if too_old and self.record:
                ledger.record_new_urls(session, too_old)
            settled = ledger.settled_urls(
                session, fresh.keys(), max_attempts=self.max_attempts, reconsider=self.reconsider
            )
        verdict.known = len(settled)
        self._claimed.update(settled)

        newest_first = sorted(
            (request for canonical, request in fresh.items() if canonical not in settled),
            key=self._recency,
            reverse=True,
        )
        queued = self._queued.get(outlet, 0)
        verdict.admitted = newest_first[: max(self.max_articles - queued, 0)]
        self._queued[outlet] = queued + len(verdict.admitted)
        self._claimed.update(request.meta["canonical"] for request in verdict.admitted)
        return verdict

    def _recency(self, request: Request) -> float:
        """Newest first; a date more than a day ahead is no date (a feed saying 2099 must not
        put its links first for ever). Extraction turns it into the fetch time, with a note."""
        listed = request.meta.get("listed_at")
        if listed is None or listed > self.latest_believable:
            return float("-inf")
        return float(listed.timestamp())

    def claim_redirect(self, canonical: str) -> bool:
        """Whether a redirect target may be fetched: not met in this run nor settled before."""
        if canonical in self._claimed:
            return False
        with self.sessions() as session:
            settled = ledger.settled_urls(
                session, [canonical], max_attempts=self.max_attempts, reconsider=self.reconsider
            )
        if settled:
            return False
        self._claimed.add(canonical)
        return True


class ArticleAdmission:
    """Spider middleware: filters the article requests of each callback through the ledger
    (one query per batch), orders them newest first and counts the outlet's figures."""

    def __init__(self, crawler: Crawler, seen: SeenUrls, engine: Engine, *, discover_only: bool) -> None:
        self.stats = crawler.stats
        self.seen = seen
        self.engine = engine
        self.discover_only = discover_only
        crawler.signals.connect(self.spider_closed, signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("NEWSALERT_DATABASE_URL")
        if not url:
            raise NotConfigured("NEWSALERT_DATABASE_URL is not set")
        outlets: list[Outlet] = crawler.settings.getlist("NEWSALERT_OUTLETS")
        crawl: CrawlSettings = crawler.settings.get("NEWSALERT_CRAWL") or CrawlSettings()
        topics = crawler.settings.get("NEWSALERT_TOPICS")
        discover_only = crawler.settings.getbool("NEWSALERT_DISCOVER_ONLY")
        engine, sessions = open_database(url)
        with sessions.begin() as session:
            outlet_ids = ledger.outlet_ids(session, outlets)
        seen = SeenUrls(
            sessions,
            outlet_ids,
            crawl,
            topic_version=profile_version(topics) if topics else None,
            record=not discover_only,
        )
        return cls(crawler, seen, engine, discover_only=discover_only)

    def spider_closed(self, spider: Spider) -> None:
        self.engine.dispose()

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        batch: list[Request] = []
        for obj in result:
            if is_article_request(obj):
                batch.append(obj)
            else:
                yield obj
        yield from self._admit(batch)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        batch: list[Request] = []
        async for obj in result:
            if is_article_request(obj):
                batch.append(obj)
            else:
                yield obj
        for request in self._admit(batch):
            yield request

    def _admit(self, batch: list[Request]) -> list[Request]:
        by_outlet: dict[str, list[Request]] = {}
        for request in batch:
            by_outlet.setdefault(request.meta["outlet"], []).append(request)
        admitted: list[Request] = []
        for outlet, requests in by_outlet.items():
            verdict = self.seen.admit(outlet, requests)
            for name in ("discovered", "known", "too_old"):
                figures.count(self.stats, outlet, name, getattr(verdict, name))
            figures.count(self.stats, outlet, "queued", len(verdict.admitted))
            if not self.discover_only:
                # The scheduler serves higher priorities first: newest first within the batch.
                admitted.extend(r.replace(priority=-rank) for rank, r in enumerate(verdict.admitted))
        return admitted


class RedirectCheck:
    """Downloader middleware: an article request that was redirected is made only if its
    target is new to the ledger that admitted it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: SeenUrls | None = None
        crawler.signals.connect(self.spider_opened, signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("NEWSALERT_DATABASE_URL"):
            raise NotConfigured("NEWSALERT_DATABASE_URL is not set")
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        admission = self.crawler.get_spider_middleware(ArticleAdmission)
        if admission is None:
            raise NotConfigured("RedirectCheck needs the ArticleAdmission spider middleware")
        self.seen = admission.seen

    def process_request(self, request: Request) -> None:
        admitted_as = request.meta.get("canonical")
        if admitted_as is None or self.seen is None:  # feeds, sitemaps and listings: every run
            return
        target = canonical_url(request.url)
        if target == admitted_as or target in request.meta.setdefault("claimed_targets", []):
            return
        if not self.seen.claim_redirect(target):
            raise AlreadySeen(f"redirects to {target}, already met")
        request.meta["claimed_targets"].append(target)
