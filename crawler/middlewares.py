"""Downloader middlewares: the address guard and the seen-URL check for redirect targets."""

from __future__ import annotations

import ipaddress
import logging
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from newsalert.pipelines.urls import canonical_url

log = logging.getLogger(__name__)


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
    """Only http(s); never link-local, multicast or reserved addresses; private and loopback
    addresses only for outlets that are themselves configured on such an address."""

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"refused: only http and https URLs are fetched, not {parts.scheme}:")
        address = _ip_literal(parts.hostname)
        if address is None:
            return
        if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
            raise IgnoreRequest(f"refused: {address} is not a public address")
        if (address.is_private or address.is_loopback) and not self._outlet_is_private(request):
            raise IgnoreRequest(f"refused: {address} is a private address and the outlet is not")

    def _outlet_is_private(self, request: Request) -> bool:
        outlets = self.crawler.spider.frontier.outlets
        if "outlet" in request.meta:
            candidates = [outlets[request.meta["outlet"]]]
        else:  # robots.txt requests carry no outlet: any outlet on the same host
            host = urlsplit(request.url).hostname
            candidates = [o for o in outlets.values() if urlsplit(o.url).hostname == host]
        for outlet in candidates:
            address = _ip_literal(urlsplit(outlet.url).hostname)
            if address is not None and (address.is_private or address.is_loopback):
                return True
        return False


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
        if not self.crawler.spider.frontier.claim_redirect(target):
            raise AlreadySeen(f"redirects to {target}, already met")
        request.meta["claimed_targets"].append(target)


def _ip_literal(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not host:
        return None
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
