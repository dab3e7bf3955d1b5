"""The HTML pages of a fake outlet: articles, section fronts, the front page, robots.txt.

Article pages carry the furniture real sites have (cookie notice, navigation, sidebar,
newsletter box, related stories, share buttons, footer), so a crawl shows extraction at work;
`Pages.boilerplate` lists the strings of it that must never reach the extracted text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsalert.crawler.demo.model import Article, Listing, Outlet, labels_for
from newsalert.crawler.demo.render import render
from newsalert.crawler.demo.server import Route

ARTICLE_WORDS = ("html_lang", "news_language", "by", "published", "months")  # follow the article's language


@dataclass(frozen=True)
class Story:
    """An article as served: where, when and in which language."""

    article: Article
    path: str
    url: str
    published: datetime  # UTC
    local: datetime  # the same moment in the outlet's time zone
    language: str
    discovery: str


@dataclass(frozen=True)
class Link:
    title: str
    href: str


def resolve_stories(outlet: Outlet, now: datetime, url: Callable[[str], str]) -> list[Story]:
    """The outlet's articles as published at `now`, newest first."""
    zone = outlet.timezone.tz
    stories = []
    for article in outlet.articles:
        published = article.published(now, zone)
        path = article.path or f"/{published:%Y/%m}/{article.slug}.html"
        language, discovery = article.language or outlet.language, article.discovery or outlet.discovery
        stories.append(Story(article, path, url(path), published, published.astimezone(zone), language, discovery))
    return sorted(stories, key=lambda story: story.published, reverse=True)


class Pages:
    """Renders the HTML pages of `outlet` as they stand at `now`."""

    def __init__(self, outlet: Outlet, now: datetime, url: Callable[[str], str], stories: list[Story]) -> None:
        self.outlet, self.now, self.url, self.stories = outlet, now, url, stories
        self.ui = {**labels_for(outlet.language), **outlet.labels}
        self.copyright = self.ui["copyright"].format(year=now.year, owner=outlet.owner or outlet.name)

    def article(self, index: int, story: Story) -> Route:
        """The page of `story`, the `index`-th newest article (which picks its related stories)."""
        article, local, outlet, ui = story.article, story.local, self.outlet, self.ui
        if story.language != outlet.language:
            words = labels_for(story.language)
            ui = {**ui, **{key: words[key] for key in ARTICLE_WORDS if key in words}}
        shown_date = ui["published"].format(
            day=local.day,
            month=local.month,
            month_name=ui["months"][local.month - 1],
            year=local.year,
            time=f"{local:%H:%M}",
            zone=outlet.timezone.name,
        )
        json_ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.description,
            "datePublished": local.isoformat(),
            "dateModified": local.isoformat(),
            "inLanguage": ui["html_lang"],
            "articleSection": article.section,
            "mainEntityOfPage": {"@type": "WebPage", "@id": story.url},
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {"@type": "Organization", "name": outlet.name},
        }
        others = [other for other in self.stories if other is not story]
        page = self._render(
            "article.html",
            ui=ui,
            html_lang=ui["html_lang"],
            charset=article.charset,
            story=story,
            article=article,
            shown_date=shown_date,
            json_ld=json_ld,
            author_slug=article.author_slug or "-".join(article.author.lower().split()),
            related=self._headlines(outlet.related, others[index % 3 : index % 3 + 3]),
        )
        if article.charset == "utf-8":
            return Route(page.encode())
        # Only the <meta> in the page tells the encoding: the Content-Type has no charset.
        return Route(page.encode(article.charset, errors="xmlcharrefreplace"), content_type="text/html")

    def listing(self, listing: Listing) -> dict[str, Route]:
        """The section front: the articles discovered by "listing", over pages linked by rel=next/prev."""
        stories = [story for story in self.stories if story.discovery == "listing"]
        pages = _paginate(stories, listing.page_sizes, listing.page_size)
        paths = [listing.path] + [f"{listing.path}?{listing.page_param}={n}" for n in range(2, len(pages) + 1)]
        description = self.ui["listing_description"].format(section=listing.heading.lower(), outlet=self.outlet.name)
        return {
            path: self._listing_page(
                path,
                listing.heading,
                description,
                teasers,
                page=number,
                previous=paths[number - 2] if number > 1 else None,
                next=paths[number] if number < len(paths) else None,
                topics=listing.topics,
            )
            for number, (path, teasers) in enumerate(zip(paths, pages, strict=True), start=1)
        }

    def home(self, count: int) -> Route:
        """The front page: teasers of the `count` newest articles."""
        return self._listing_page("/", self.ui["latest"], self.outlet.tagline, self.stories[:count])

    def robots(self, disallow: Sequence[str], sitemap: str) -> Route:
        text = render("robots.txt", disallow=disallow, sitemap=sitemap)
        return Route(text.encode(), content_type="text/plain; charset=utf-8")

    def error(self, status: int, title: str, message: str) -> Route:
        return Route(render("error.html", status=status, title=title, message=message).encode(), status=status)

    def boilerplate(self) -> list[str]:
        """Strings on every article page that lie outside the article."""
        outlet, ui = self.outlet, self.ui
        return [
            *outlet.hot,
            *outlet.recent,
            *outlet.top,
            *outlet.related,
            ui["newsletter_heading"],
            ui["newsletter_text"],
            ui["cookie_text"],
            self.copyright,
            " | ".join((ui["about"], ui["contact"], ui["advertise"])),
            *(f"{ui['share']} {network}" for network in ui["networks"]),
        ]

    def _listing_page(self, path: str, heading: str, description: str, teasers: list[Story], **more: Any) -> Route:
        more = {"page": 1, "previous": None, "next": None, "topics": {}, **more}
        page = self._render(
            "listing.html", heading=heading, description=description, canonical=self.url(path), teasers=teasers, **more
        )
        return Route(page.encode())

    def _render(self, template: str, **context: Any) -> str:
        sidebar = {
            "hot": self._headlines(self.outlet.hot, self.stories[:4]),
            "recent": self._headlines(self.outlet.recent, self.stories[4:8]),
            "top": self._headlines(self.outlet.top, []),
        }
        page = {"outlet": self.outlet, "ui": self.ui, "html_lang": self.ui["html_lang"], "charset": "utf-8"}
        return render(template, **{**page, "copyright": self.copyright, "sidebar": sidebar, **context})

    def _headlines(self, fixed: Sequence[str], stories: Iterable[Story]) -> list[Link]:
        """Links to the outlet's fixed headlines (WordPress shortlinks), else to `stories`."""
        if fixed:
            return [Link(title, f"/?p={sum(map(ord, title)) * 7}") for title in fixed]
        return [Link(story.article.title, story.path) for story in stories]


def _paginate(stories: list[Story], sizes: Sequence[int], size: int) -> list[list[Story]]:
    pages, start = [], 0
    for count in itertools.chain(sizes, itertools.repeat(size)):
        if start >= len(stories):
            break
        pages.append(stories[start : start + count])
        start += count
    return pages or [[]]
