"""The feeds and sitemaps of a fake outlet: RSS 2.0 or Atom, sitemap index, Google News
sitemap and plain (optionally gzipped) urlset, each listing the articles of its discovery."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsalert.crawler.demo.model import Feed, FeedItem, Outlet, Sitemaps, labels_for
from newsalert.crawler.demo.pages import Story
from newsalert.crawler.demo.render import render
from newsalert.crawler.demo.server import Route

FEED_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


@dataclass(frozen=True)
class Entry:
    """A feed item or a sitemap entry."""

    title: str
    link: str
    published: datetime  # in the outlet's time zone
    author: str = ""
    description: str = ""
    language: str = ""  # for a news sitemap


class Feeds:
    """Renders the feed and the sitemaps of `outlet` as they stand at `now`."""

    def __init__(
        self, outlet: Outlet, now: datetime, url: Callable[[str], str], stories: list[Story], traps: dict[str, str]
    ) -> None:
        self.outlet, self.url, self.stories, self.traps = outlet, url, stories, traps
        self.zone = outlet.timezone.tz
        self.now = now.astimezone(self.zone)
        self.by_slug = {story.article.slug: story for story in stories}

    def feed(self, feed: Feed) -> tuple[Route, list[Entry]]:
        """The feed: the articles discovered by "feed", newest first, then its extra items."""
        query = f"?{feed.link_query}" if feed.link_query else ""
        items = [
            self._entry(story, story.url + query + (f"#{story.article.fragment}" if story.article.fragment else ""))
            for story in self.stories
            if story.discovery == "feed"
        ]
        items += [self._extra(item) for item in feed.extra_items]
        text = self._render(
            f"{feed.format}.xml",
            items=items,
            home=self.url("/"),
            feed_url=self.url(feed.path),
            language=feed.language or self.outlet.language,
        )
        return Route(text.encode(), content_type=FEED_TYPES[feed.format]), items

    def sitemaps(self, sitemaps: Sitemaps) -> dict[str, Route]:
        """The news sitemap and the urlset, and the index that lists them."""
        routes = {}
        if sitemaps.news:
            entries = [self._entry(story) for story in self.stories if story.discovery == "news-sitemap"]
            entries += [
                self._entry(self.by_slug[redirect.to], self.url(redirect.path))
                for redirect in self.outlet.redirects
                if redirect.discovery == "news-sitemap"
            ]
            routes[sitemaps.news] = self._xml(sitemaps.news, "news_sitemap.xml", entries=entries)
        if sitemaps.urlset:
            entries = [self._entry(story) for story in self.stories if story.discovery == "sitemap"]
            routes[sitemaps.urlset] = self._xml(sitemaps.urlset, "urlset.xml", entries=entries)
        if sitemaps.index:
            children = [self.url(path) for path in routes]
            routes[sitemaps.index] = self._xml(sitemaps.index, "sitemap_index.xml", sitemaps=children)
        return routes

    def _entry(self, story: Story, link: str = "") -> Entry:
        article = story.article
        language = labels_for(story.language)["news_language"]
        return Entry(article.title, link or story.url, story.local, article.author, article.description, language)

    def _extra(self, item: FeedItem) -> Entry:
        """An item of its own: a variant link to an article, or a link to a trap page."""
        published = item.published(self.now, self.zone).astimezone(self.zone)
        query = f"?{item.query}" if item.query else ""
        story = self.by_slug.get(item.article)
        if story is None:
            return Entry(item.title, self.url(self.traps[item.trap]) + query, published, item.author, item.description)
        article = story.article
        return Entry(
            item.title or article.title,
            story.url + query,
            published,
            item.author or article.author,
            item.description or article.description,
        )

    def _xml(self, path: str, template: str, **context: Any) -> Route:
        body = self._render(template, **context).encode()
        if path.endswith(".gz"):
            return Route(gzip.compress(body, mtime=0), content_type="application/x-gzip")
        return Route(body, content_type="application/xml; charset=utf-8")

    def _render(self, template: str, **context: Any) -> str:
        return render(template, outlet=self.outlet, now=self.now, **context)
