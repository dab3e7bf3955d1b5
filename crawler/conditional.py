"""Conditional re-crawls: a feed, sitemap or listing page that has not changed since the last
full pass is neither downloaded again (ETag / Last-Modified, answered 304) nor parsed (same
body hash).

Scrapy's HttpCacheMiddleware (RFC2616Policy) revalidates too, but it keeps whole responses on
a local disk and hands the cached body back on a 304 to be parsed again. Here only the
validators are kept, in the archive (one place for every crawl process and machine), and an
unchanged source is skipped.

A source's validators are saved only when the pass over its outlet left nothing behind: the
crawl finished, no source or page failed (failures are retried by later crawls, which must
meet their links again), no link was left out by max_articles_per_outlet, and nothing failed
to store. They are also tied to what the links were judged by (the topic profile, the
outlet's link rules, the age window): when that changes, every source is read in full again.
A sitemap index is always read in full, for its children are the sources that change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.crawler.admission import ArticleAdmission
from newsalert.domain import OutletTally
from newsalert.storage import ledger

log = logging.getLogger(__name__)

# Validators are echoed back to the site verbatim: only a bounded line of printable ASCII.
MAX_ETAG, MAX_LAST_MODIFIED = 512, 64
VALIDATORS = "newsalert_validators"  # request meta: the state to save if the pass is complete
UNCHANGED = "newsalert_unchanged"  # request meta: the source has not changed; do not parse it
FORMAT = 1  # bump when what a source's links become changes (e.g. the link extraction)


def is_source_request(request: Request) -> bool:
    return "source" in request.meta and "canonical" not in request.meta


def header_value(response: Response, name: str, limit: int) -> str | None:
    raw = response.headers.get(name)
    if not raw or len(raw) > limit:
        return None
    value = raw.decode("latin-1").strip()
    return value if value and all(" " <= c <= "~" for c in value) else None


def judged_by(outlet: Outlet, crawl: CrawlSettings, topic_version: str | None) -> str:
    """A digest of what turns the outlet's sources into admitted links and kept articles."""
    basis = [FORMAT, topic_version, outlet.article_url_pattern, outlet.max_listing_pages, crawl.max_age_days]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:16]


def complete(tally: OutletTally) -> bool:
    """Whether a finished pass over an outlet left no link for a later crawl."""
    left_out = tally.discovered - tally.known - tally.too_old - tally.queued
    return not (tally.failed or tally.sources_failed or left_out > 0)


class SourceValidators:
    """Downloader middleware: asks "changed since?" of the sources read in full before, marks
    the unchanged ones for the spider, and saves the validators of a complete pass."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.judged_by: dict[str, str] = {}  # by outlet, from spider_opened on
        self.states: dict[str, ledger.SourceState] = {}
        self.read: list[dict[str, Any]] = []  # the metas of sources read this run
        self.admission: ArticleAdmission | None = None
        crawler.signals.connect(self.spider_opened, signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("NEWSALERT_DATABASE_URL"):
            raise NotConfigured("NEWSALERT_DATABASE_URL is not set")
        if crawler.settings.getbool("NEWSALERT_DISCOVER_ONLY"):
            raise NotConfigured  # an outlet check reads every source in full (no message: no warning)
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.admission = self.crawler.get_spider_middleware(ArticleAdmission)
        if self.admission is None:
            raise NotConfigured("SourceValidators needs the ArticleAdmission spider middleware")
        seen = self.admission.seen
        # The profile's version as admission computed it: hashing it means reading the gazetteer.
        crawl: CrawlSettings = self.crawler.settings.get("NEWSALERT_CRAWL") or CrawlSettings()
        outlets: list[Outlet] = self.crawler.settings.getlist("NEWSALERT_OUTLETS")
        self.judged_by = {outlet.name: judged_by(outlet, crawl, seen.topic_version) for outlet in outlets}
        with seen.sessions() as session:
            self.states = ledger.source_states(session, seen.outlet_ids.values())

    def _state(self, request: Request) -> ledger.SourceState | None:
        state = self.states.get(request.meta["source"])
        current = self.judged_by.get(request.meta.get("outlet", ""))
        return state if state is not None and state.judged_by == current else None

    def process_request(self, request: Request) -> None:
        if not is_source_request(request):
            return
        state = self._state(request)
        if state is None or not (state.etag or state.last_modified):
            return
        if state.etag:
            request.headers["If-None-Match"] = state.etag
        if state.last_modified:
            request.headers["If-Modified-Since"] = state.last_modified
        request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", []), 304]

    def process_response(self, request: Request, response: Response) -> Response:
        if not is_source_request(request) or self.admission is None:
            return response
        state = self._state(request)
        if response.status == 304 and state is not None:
            request.meta[UNCHANGED] = True
            return response
        if response.status != 200:
            return response
        body_hash = hashlib.sha256(response.body).hexdigest()
        outlet = request.meta["outlet"]
        if state is not None and state.body_hash == body_hash:
            request.meta[UNCHANGED] = True
        request.meta[VALIDATORS] = ledger.SourceState(
            url=request.meta["source"],
            outlet_id=self.admission.seen.outlet_ids[outlet],
            etag=header_value(response, "ETag", MAX_ETAG),
            last_modified=header_value(response, "Last-Modified", MAX_LAST_MODIFIED),
            body_hash=body_hash,
            judged_by=self.judged_by[outlet],
        )
        self.read.append(request.meta)
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason != "finished" or self.admission is None or figures.storage_errors(self.crawler.stats):
            return
        stats = self.crawler.stats
        done = {name for name in self.judged_by if complete(figures.tally(stats, name))}
        states = [meta[VALIDATORS] for meta in self.read if VALIDATORS in meta and meta["outlet"] in done]
        if not states:
            return
        try:
            with self.admission.seen.sessions.begin() as session:
                ledger.save_source_states(session, states)
        except SQLAlchemyError as exc:  # the crawl's work is stored; only the shortcut is lost
            log.warning("could not save the sources' validators: %s", exc)
            return
        log.info("saved the validators of %d source(s)", len(states))
