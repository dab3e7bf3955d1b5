"""Fake news sites as data: outlets, their articles, feeds, sitemaps, listings and traps.

A site file is YAML with `outlets:` (each with a `key`), `articles:` (each naming its
`outlet` by key) and optional `defaults:`, merged into every outlet. Unknown keys are errors,
so a typo in a site file fails loudly instead of silently building a different site.

Times are relative to the moment a site is built: `days_ago`, `hours_ago` and `minutes_ago`
go back from then, and `at: "HH:MM"` then sets the clock time, in the outlet's time zone.
The words the templates print come from labels.yaml by language (English fills the gaps);
an outlet overrides any of them under `labels:`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field, is_dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from newsalert.config import yamlio

DISCOVERY = ("feed", "news-sitemap", "sitemap", "listing", "none")
EXPECT = ("stored", "too_old", "blocked")  # what a correct crawl makes of an article
TRAP_KINDS = ("gzip-bomb", "empty", "junk", "error", "missing")


@dataclass(frozen=True, kw_only=True)
class Timed:
    """Something published at a time relative to when its site is built."""

    days_ago: int = 0
    hours_ago: int = 0
    minutes_ago: int = 0
    at: str = ""  # "HH:MM" on that day, in the outlet's time zone

    def published(self, now: datetime, zone: tzinfo) -> datetime:
        """The publication time in UTC, in whole minutes."""
        moment = (now - timedelta(days=self.days_ago, hours=self.hours_ago, minutes=self.minutes_ago)).astimezone(zone)
        if self.at:
            hour, minute = (int(part) for part in self.at.split(":"))
            moment = moment.replace(hour=hour, minute=minute)
        return moment.replace(second=0, microsecond=0).astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class Article(Timed):
    """One article page. Its path is /YYYY/MM/<slug>.html of its publication date unless set."""

    outlet: str
    slug: str
    title: str
    author: str
    section: str
    description: str
    paragraphs: tuple[str, ...]
    discovery: str = ""  # how the site announces it (DISCOVERY); default: the outlet's
    expect: str = "stored"  # EXPECT
    marker: str = ""  # a body sentence that the extracted text must keep
    language: str = ""  # default: the outlet's
    charset: str = "utf-8"  # any other is declared only in <meta http-equiv>, not in Content-Type
    author_slug: str = ""  # default: the author's name, lower-cased and hyphenated
    path: str = ""
    fragment: str = ""  # the feed links it with "#<fragment>"
    on_topic: bool | None = None  # demo: whether it is about the topic the demo looks for
    syndicated_from: str | None = None  # demo: "<outlet>/<slug>" of the original


@dataclass(frozen=True, kw_only=True)
class FeedItem(Timed):
    """A feed item of its own, beside those of the articles the feed announces."""

    article: str = ""  # slug of the article it links...
    trap: str = ""  # ...or name of the trap page it links
    query: str = ""  # added to the link, e.g. tracking parameters
    title: str = ""  # default: the article's
    author: str = ""
    description: str = ""


@dataclass(frozen=True)
class Feed:
    path: str
    format: str = "rss"  # rss | atom
    language: str = ""  # the channel's language; default: the outlet's
    link_query: str = ""  # added to every article link, e.g. "utm_source=rss&utm_medium=feed"
    extra_items: tuple[FeedItem, ...] = ()


@dataclass(frozen=True)
class Sitemaps:
    index: str = ""  # a sitemap index listing the two below
    news: str = ""  # Google News sitemap: articles and redirects discovered by "news-sitemap"
    urlset: str = ""  # plain sitemap: articles discovered by "sitemap"; gzipped if it ends in .gz


@dataclass(frozen=True)
class Listing:
    """A section front with the articles discovered by "listing", newest first, over pages."""

    path: str
    heading: str
    page_param: str = "page"  # page N > 1 is <path>?<page_param>=N
    page_sizes: tuple[int, ...] = ()  # teasers on each page
    page_size: int = 10  # when page_sizes is empty
    topics: dict[str, str] = field(default_factory=dict)  # label -> path links above the teasers


@dataclass(frozen=True)
class Redirect:
    path: str
    to: str  # slug of the article it redirects to
    status: int = 301
    discovery: str = "none"  # where it is listed, with its target's title and date


@dataclass(frozen=True)
class Trap:
    """A page that must never be stored, served at /YYYY/MM/<slug>.html of the build's month."""

    name: str
    kind: str  # TRAP_KINDS
    slug: str = ""  # default: name
    size: int = 0  # junk: random bytes; gzip-bomb: repetitions of `fill`
    fill: str = ""  # gzip-bomb: what the body inflates to, `size` times over
    seed: int = 0  # junk: the bytes are the same every run
    status: int = 200
    title: str = ""  # error: heading
    message: str = ""  # error: text


@dataclass(frozen=True)
class Zone:
    name: str = "UTC"
    hours: float = 0

    @property
    def tz(self) -> tzinfo:
        return timezone(timedelta(hours=self.hours), self.name)


@dataclass(frozen=True)
class Robots:
    disallow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outlet:
    """A site: masthead and page furniture, how it announces articles, and its articles."""

    key: str
    name: str
    tagline: str
    language: str
    country: str = ""
    owner: str = ""  # named in the footer copyright line; default: name
    timezone: Zone = Zone()
    discovery: str = "feed"  # the default discovery of its articles
    sections: dict[str, str] = field(default_factory=dict)  # navigation: label -> path
    tags: dict[str, str] = field(default_factory=dict)  # tag links under every article
    hot: tuple[str, ...] = ()  # sidebar headlines; empty: the outlet's own newest articles
    recent: tuple[str, ...] = ()
    top: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # under every article; empty: other articles of the outlet
    labels: dict[str, Any] = field(default_factory=dict)  # overrides of labels.yaml
    home: int = 0  # teasers of the newest articles on "/"; 0: no front page
    robots: Robots | None = None  # None: no robots.txt
    feed: Feed | None = None
    sitemaps: Sitemaps | None = None
    listing: Listing | None = None
    redirects: tuple[Redirect, ...] = ()
    traps: tuple[Trap, ...] = ()
    articles: tuple[Article, ...] = ()


def read_site_file(path: Path) -> dict[str, Any]:
    """A site file as plain YAML data."""
    data: dict[str, Any] = yamlio.safe_load(path.read_text(encoding="utf-8"))
    return data


def load_outlets(data: dict[str, Any]) -> list[Outlet]:
    """The outlets of a site file's data, each with its articles, checked."""
    defaults = data.get("defaults") or {}
    articles = data.get("articles") or []
    outlets = [
        _check(_build(Outlet, {**defaults, **entry, "articles": [a for a in articles if a["outlet"] == entry["key"]]}))
        for entry in data["outlets"]
    ]
    unknown = {a["outlet"] for a in articles} - {o.key for o in outlets}
    if unknown:
        raise ValueError(f"articles of unknown outlets: {sorted(unknown)}")
    return outlets


def labels_for(language: str) -> dict[str, Any]:
    """The template words for `language`, English where it has none of its own."""
    table = _labels()
    return {**table["en"], **table.get(language, {})}


@cache
def _labels() -> dict[str, dict[str, Any]]:
    text = (resources.files("newsalert.crawler.demo") / "labels.yaml").read_text(encoding="utf-8")
    labels: dict[str, dict[str, Any]] = yamlio.safe_load(text)
    return labels


def _check(outlet: Outlet) -> Outlet:
    """`outlet` if every name in it is known and every article is announced by a source it has."""
    slugs = {a.slug for a in outlet.articles}
    traps = {t.name for t in outlet.traps}
    sitemaps = outlet.sitemaps or Sitemaps()
    sources = {
        "feed": outlet.feed,
        "news-sitemap": sitemaps.news,
        "sitemap": sitemaps.urlset,
        "listing": outlet.listing,
    }
    discoveries = [a.discovery or outlet.discovery for a in outlet.articles] + [r.discovery for r in outlet.redirects]
    problems = [f"discovery {d!r}" for d in discoveries if d not in DISCOVERY or (d in sources and not sources[d])]
    problems += [f"expect {a.expect!r}" for a in outlet.articles if a.expect not in EXPECT]
    problems += [f"trap kind {t.kind!r}" for t in outlet.traps if t.kind not in TRAP_KINDS]
    problems += [f"redirect to {r.to!r}" for r in outlet.redirects if r.to not in slugs]
    items = outlet.feed.extra_items if outlet.feed else ()
    problems += [f"feed item of {i.article!r}" for i in items if i.article and i.article not in slugs]
    problems += [f"feed item of trap {i.trap!r}" for i in items if i.trap and i.trap not in traps]
    if problems:
        raise ValueError(f"outlet {outlet.key}: unknown or unserved " + ", ".join(problems))
    return outlet


def _build(cls: Any, data: dict[str, Any]) -> Any:
    """An instance of dataclass `cls` from YAML data, converting nested values by type."""
    hints = get_type_hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)} in {data}")
    return cls(**{name: _convert(hints[name], value) for name, value in data.items()})


def _convert(hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
        origin = get_origin(hint)
    if is_dataclass(hint):
        return _build(hint, value)
    if origin is tuple:
        return tuple(_convert(get_args(hint)[0], item) for item in value or ())
    if origin is dict:
        return dict(value or {})
    return value
