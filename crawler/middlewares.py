"""Downloader middlewares (the address guard, the seen-URL check for redirect targets) and
the resolver that checks every address the crawl connects to."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred

from newsalert.crawler.addresses import REFUSED_HOSTS, AddressPolicy, AddressRefused, ip_literal, is_public
from newsalert.pipelines.urls import canonical_url

log = logging.getLogger(__name__)


def crawl_spider(crawler: Crawler) -> Any:
    """The crawl's spider, which carries the frontier and the worker pool."""
    if crawler.spider is None:
        raise RuntimeError("the crawler has no spider yet")
    return crawler.spider


class AlreadySeen(IgnoreRequest):
    """A redirect led to a page this crawl or an earlier one already settled."""


class _CrawlerMiddleware:
    """Keeps the crawler, whose spider carries the frontier the checks consult."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class AddressGuard(_CrawlerMiddleware):
    """Only http(s), and only public addresses, however they are spelt; an outlet on a private
    address may fetch its own host and port (and its allowed_domains) only. The resolver
    (GuardedResolver) checks what names resolve to when the connection is made."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.policy: AddressPolicy = crawler.settings.get("NEWSALERT_ADDRESS_POLICY") or AddressPolicy()

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"refused: only http and https URLs are fetched, not {parts.scheme}:")
        try:
            problem = self.policy.permits(request.meta.get("outlet"), request.url)
        except ValueError:
            problem = "not a valid address"
        if problem:
            raise IgnoreRequest(f"refused: {problem}")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to non-public addresses unless
    an outlet is configured on them. Every connection, redirects included, resolves here."""

    policy: AddressPolicy = AddressPolicy()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = crawler.settings.get("NEWSALERT_ADDRESS_POLICY") or AddressPolicy()
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        return super().getHostByName(name, timeout).addCallback(self._check, name)

    def _check(self, address: str, name: str) -> str:
        literal = ip_literal(name)
        key = str(literal) if literal is not None else name.lower().rstrip(".")
        resolved = ip_literal(address)
        if resolved is None or is_public(resolved) or key in self.policy.private_hosts:
            return address
        reason = f"{name} resolves to {address}, which is not a public address"
        REFUSED_HOSTS[name.lower()] = reason
        log.warning("refused: %s", reason)
        raise AddressRefused(reason)


class SeenUrlMiddleware(_CrawlerMiddleware):
    """An article request that was redirected is fetched only if its target is new.

    The spider already filters the links it finds; this catches the redirect targets
    (short links, http to https, tracking redirectors) that it could not know about.
    """

    def process_request(self, request: Request) -> None:
        admitted_as = request.meta.get("canonical")
        if admitted_as is None:  # feeds, sitemaps and listings are fetched every run
            return
        target = canonical_url(request.url)
        if target == admitted_as or target in request.meta.setdefault("claimed_targets", []):
            return
        if not crawl_spider(self.crawler).frontier.claim_redirect(target):
            raise AlreadySeen(f"redirects to {target}, already met")
        request.meta["claimed_targets"].append(target)
