"""Downloader middlewares that refuse requests (the address guard, robots.txt), and the
resolver that checks every address the crawl connects to."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred

from newsalert.crawler.addresses import REFUSED_HOSTS, AddressPolicy, AddressRefused, ip_literal, is_public

log = logging.getLogger(__name__)


class AddressBlocked(IgnoreRequest):
    """The request goes where the address policy forbids."""


class RobotsForbidden(IgnoreRequest):
    """The site's robots.txt forbids the request."""


class AddressGuard:
    """Only http(s), and only public addresses, however they are spelt; an outlet on a private
    address may fetch its own host and port (and its allowed_domains) only. The resolver
    (GuardedResolver) checks what names resolve to when the connection is made."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.get("NEWSALERT_ADDRESS_POLICY") or AddressPolicy())

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise AddressBlocked(f"refused: only http and https URLs are fetched, not {parts.scheme}:")
        try:
            problem = self.policy.permits(request.meta.get("outlet"), request.url)
        except ValueError:
            problem = "not a valid address"
        if problem:
            raise AddressBlocked(f"refused: {problem}")


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


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (switched off by ROBOTSTXT_OBEY: false), refusing with
    RobotsForbidden so that the refusal is known by its type, not by its message."""

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsForbidden(str(exc)) from exc
