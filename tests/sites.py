"""The news sites the crawl tests use: tests/sites/*.yaml served by the shared fake-site builder,
with what a correct crawl of each must store and the boilerplate that must never reach the text.
Dates are relative to `now`: a seven-day age filter keeps the current articles, drops the old."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsalert.crawler.demo.builder import ARTICLE_PATTERN, Site, build_site
from newsalert.crawler.demo.model import load_outlets, read_site_file

ARTICLE_PATH_PATTERN = ARTICLE_PATTERN
SITES = Path(__file__).parent / "sites"


@dataclass(frozen=True)
class ExpectedArticle:
    """A current article that a correct crawl stores exactly once."""

    path: str
    title: str
    author: str
    published: datetime
    marker: str
    language: str
    discovered_by: str  # "feed" | "news-sitemap" | "sitemap" | "listing"


class NewsSite:
    """A started outlet server and what a crawl of it should (and should not) produce."""

    def __init__(self, site: Site) -> None:
        self.server, self.boilerplate = site.server, site.boilerplate
        self.feed_url, self.sitemap_url, self.listing_url = site.feed_url, site.sitemap_url, site.listing_url
        self.articles = [
            ExpectedArticle(
                s.path, s.article.title, s.article.author, s.published, s.article.marker, s.language, s.discovery
            )
            for s in site.stories
            if s.article.expect == "stored"
        ]
        self.bad_paths = site.traps
        self.old_paths = [s.path for s in site.stories if s.article.expect == "too_old"]
        self.robots_blocked_path = next((s.path for s in site.stories if s.article.expect == "blocked"), "")
        self.redirect_path = next((r.path for r in site.outlet.redirects), "")
        links = [item.link for item in site.feed_items]
        self.utm_url = next((link for link in links if "utm_" in link), "")
        self.fragment_url = next((link for link in links if "#" in link), "")  # a current article + "#comments"

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this site."""
        return self.server.url(path)


def build_news_site(name: str, now: datetime | None = None) -> NewsSite:
    """Start the outlet of tests/sites/<name>.yaml."""
    [outlet] = load_outlets(read_site_file(SITES / f"{name}.yaml"))
    return NewsSite(build_site(outlet, now))


def build_harbour_herald(now: datetime | None = None) -> NewsSite:
    """Start The Harbour Herald: feed, sitemaps, paginated listing and every trap page."""
    return build_news_site("harbour-herald", now)


def build_second_outlet(now: datetime | None = None) -> NewsSite:
    """Start the Coast Daily Wire: two current articles in /feed.xml and no robots.txt."""
    return build_news_site("coast-daily-wire", now)


def build_unreachable_url() -> str:
    """An http://127.0.0.1:<port>/ URL on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
