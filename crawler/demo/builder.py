"""Builds a fake news site from an `Outlet`: every page, feed and sitemap a route of a SiteServer.

The site data is YAML (model.py reads it), the markup Jinja2 templates (templates/), the words
labels.yaml. The demo's sample outlets (site.py) and the test sites (tests/sites/) are built
the same way.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from newsalert.crawler.demo.feeds import Entry, Feeds
from newsalert.crawler.demo.model import Outlet, Trap
from newsalert.crawler.demo.pages import Pages, Story, resolve_stories
from newsalert.crawler.demo.server import Route, SiteServer

ARTICLE_PATTERN = r"/\d{4}/\d{2}/[a-z0-9-]+\.html$"


@dataclass
class Site:
    """A started fake outlet and what was built for it."""

    outlet: Outlet
    server: SiteServer
    stories: list[Story]  # newest first
    feed_items: list[Entry]
    traps: dict[str, str]  # trap name -> path
    boilerplate: list[str]  # strings on every article page that lie outside the article

    @property
    def name(self) -> str:
        return self.outlet.name

    def url(self, path: str = "/") -> str:
        """Absolute URL of `path` on this site."""
        return self.server.url(path)

    @property
    def feed_url(self) -> str:
        return self.url(self.outlet.feed.path) if self.outlet.feed else ""

    @property
    def sitemap_url(self) -> str:
        sitemaps = self.outlet.sitemaps
        return self.url(sitemaps.index) if sitemaps and sitemaps.index else ""

    @property
    def listing_url(self) -> str:
        return self.url(self.outlet.listing.path) if self.outlet.listing else ""

    def outlet_entry(self) -> dict[str, Any]:
        """The outlets.yaml entry that points newsalert at this site."""
        entry: dict[str, Any] = {
            "name": self.name,
            "url": self.url("/"),
            "language": self.outlet.language,
            "country": self.outlet.country,
        }
        if self.feed_url:
            entry["feeds"] = [self.feed_url]
        if self.sitemap_url:
            entry["sitemaps"] = [self.sitemap_url]
        if self.listing_url:
            entry.update(listings=[self.listing_url], article_url_pattern=ARTICLE_PATTERN, max_listing_pages=5)
        return entry

    def stop(self) -> None:
        self.server.stop()


def build_site(outlet: Outlet, now: datetime | None = None) -> Site:
    """Serve `outlet` on 127.0.0.1 as it stands at `now` (default: the current time)."""
    now = datetime.now(UTC) if now is None else now
    now = (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)).replace(microsecond=0)
    server = SiteServer()
    routes, url = server.routes, server.url
    stories = resolve_stories(outlet, now, url)
    traps = {trap.name: f"/{now:%Y/%m}/{trap.slug or trap.name}.html" for trap in outlet.traps}
    pages = Pages(outlet, now, url, stories)
    feeds = Feeds(outlet, now, url, stories, traps)

    for index, story in enumerate(stories):
        routes[story.path] = pages.article(index, story)
    if outlet.listing:
        routes.update(pages.listing(outlet.listing))
    if outlet.home:
        routes["/"] = pages.home(outlet.home)
    feed_items: list[Entry] = []
    if outlet.feed:
        routes[outlet.feed.path], feed_items = feeds.feed(outlet.feed)
    if outlet.sitemaps:
        routes.update(feeds.sitemaps(outlet.sitemaps))
    if outlet.robots:
        sitemap = outlet.sitemaps.index if outlet.sitemaps else ""
        routes["/robots.txt"] = pages.robots(outlet.robots.disallow, url(sitemap) if sitemap else "")
    by_slug = {story.article.slug: story for story in stories}
    for redirect in outlet.redirects:
        routes[redirect.path] = Route.redirect(by_slug[redirect.to].url, redirect.status)
    for trap in outlet.traps:
        route = _trap(trap, pages)
        if route is not None:
            routes[traps[trap.name]] = route
    return Site(outlet, server.start(), stories, feed_items, traps, pages.boilerplate())


def _trap(trap: Trap, pages: Pages) -> Route | None:
    """The response of a page that must never be stored (None: no route, so a 404)."""
    if trap.kind == "gzip-bomb":
        return Route(_gzip_bomb(trap.fill, trap.size), content_type="text/html", headers={"Content-Encoding": "gzip"})
    if trap.kind == "empty":
        return Route(b"")
    if trap.kind == "junk":
        return Route(random.Random(trap.seed).randbytes(trap.size), content_type="application/octet-stream")
    if trap.kind == "error":
        return pages.error(trap.status, trap.title, trap.message)
    return None


@cache
def _gzip_bomb(fill: str, repeat: int) -> bytes:
    """A small gzip body that inflates to `fill` `repeat` times over, built once."""
    return gzip.compress(fill.encode() * repeat, 9, mtime=0)
