"""Finding article links in feeds, sitemaps and listing pages (pure parsing, no I/O)."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
import lxml.etree
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from w3lib.html import remove_tags, replace_entities

from newsalert.pipelines.clean import clean_line
from newsalert.pipelines.urls import MAX_URL_LENGTH, is_http_url, on_site

GZIP_MAGIC = b"\x1f\x8b"
# What a feed field may hold before it is cut: a title or an author is a line, not a book.
MAX_FIELD_CHARS, MAX_LINE_CHARS = 10_000, 1_000
# Before feedparser: people's names and addresses, and any other field.
MAX_PERSON_FIELD, MAX_FEED_FIELD = 500, 100_000
PERSON_FIELDS = frozenset(
    {
        "author",
        "creator",
        "contributor",
        "name",
        "email",
        "managingeditor",
        "webmaster",
        "publisher",
        "owner",
        "authors",
    }
)
NEXT_LABELS = frozenset(
    {
        "next",
        "next page",
        "older",
        "older posts",
        "more",
        "»",
        "›",
        ">",
        "next »",
        "next ›",
        "suivant",
        "page suivante",
        "siguiente",
        "próxima",
        "seguinte",
        "下一页",
        "下页",
        "التالي",
    }
)
# Paths that are sections, tags and service pages rather than articles, when an outlet
# gives no article_url_pattern.
NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|category|categories|section|author|authors|topic|topics|page|search|about|"
    r"contact|advertise|privacy|terms|login|register|subscribe|newsletter|feed|rss)(/|$)",
    re.I,
)


class SourceError(Exception):
    """A feed or sitemap that cannot be read; the message says why."""


@dataclass(frozen=True)
class Candidate:
    """An article link and what its source said about it."""

    url: str
    published_at: datetime | None = None  # a feed's pubDate, a news sitemap's publication_date
    title: str | None = None
    author: str | None = None
    modified_at: datetime | None = None  # a sitemap's <lastmod>: when the page last changed

    @property
    def listed_at(self) -> datetime | None:
        """The latest the article can have been published: its date, else its last change."""
        return self.published_at or self.modified_at


@dataclass(frozen=True)
class SitemapPage:
    is_index: bool
    sitemaps: list[Candidate]  # child sitemaps of an index, with their lastmod
    articles: list[Candidate]


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> list[Candidate]:
    """Article links of an RSS or Atom feed, newest first where dates are given."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(
        bounded_feed(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.entries:
        if parsed.get("bozo"):
            raise SourceError(f"not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
        if not parsed.get("version") and not parsed.get("feed"):
            raise SourceError("not an RSS/Atom feed")
        return []
    candidates = []
    for entry in parsed.entries:
        link = entry.get("feedburner_origlink") or entry.get("link") or _first_alternate(entry)
        if not link:
            continue
        link = _link(urljoin(url, clean_line(link) or ""))
        if link is None:
            continue
        candidates.append(
            Candidate(
                url=link,
                # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed
                # with a DeprecationWarning.
                published_at=_feed_date(entry),
                title=_text(entry.get("title")),
                author=_text(entry.get("author")),
            )
        )
    return candidates


def bounded_feed(body: bytes) -> bytes:
    """The feed with its fields cut to sane lengths before feedparser reads it: feedparser's
    author parsing is quadratic (a 64 KB e-mail-like <author> costs it 30 s or more), and no
    field of a feed needs more than MAX_FEED_FIELD characters."""
    if body.lstrip()[:1] == b"{":
        return _bounded_json_feed(body)
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(body, parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return body
    cut = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        limit = MAX_PERSON_FIELD if lxml.etree.QName(element).localname.lower() in PERSON_FIELDS else MAX_FEED_FIELD
        for attribute in ("text", "tail"):
            value = getattr(element, attribute)
            if value and len(value) > limit:
                setattr(element, attribute, value[:limit])
                cut = True
    return lxml.etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8") if cut else body


def _bounded_json_feed(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body

    def bound(value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            return value[: MAX_PERSON_FIELD if key.lower() in PERSON_FIELDS else MAX_FEED_FIELD]
        if isinstance(value, list):
            return [bound(item, key) for item in value]
        if isinstance(value, dict):
            return {k: bound(v, k) for k, v in value.items()}
        return value

    return json.dumps(bound(data)).encode("utf-8")


def parse_sitemap(body: bytes, *, max_bytes: int) -> SitemapPage:
    """A sitemap index, urlset or Google News sitemap; gzipped bodies are unpacked first."""
    if body[:2] == GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_bytes)
        except Exception as exc:  # corrupt gzip or beyond max_bytes once unpacked
            raise SourceError(f"cannot unpack the gzipped sitemap: {exc}") from None
    try:
        sitemap = NewsSitemap(body)
    except (lxml.etree.XMLSyntaxError, StopIteration):
        raise SourceError("not an XML sitemap") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise SourceError(f"not a sitemap (root element <{sitemap.type}>)")
    children: list[Candidate] = []
    articles: list[Candidate] = []
    wanted = "sitemap" if sitemap.type == "sitemapindex" else "url"
    for entry in sitemap:
        loc = _link(entry.get("loc") or "")
        if entry["element"] != wanted or loc is None:  # e.g. a stray <sitemap> in a urlset
            continue
        lastmod = _iso_date(entry.get("lastmod"))
        if sitemap.type == "sitemapindex":
            children.append(Candidate(url=loc, modified_at=lastmod))
        else:
            articles.append(
                Candidate(
                    url=loc,
                    published_at=_iso_date(entry.get("news_publication_date")),
                    title=_text(entry.get("news_title")),
                    modified_at=lastmod,
                )
            )
    return SitemapPage(is_index=sitemap.type == "sitemapindex", sitemaps=children, articles=articles)


class NewsSitemap(Sitemap):
    """Scrapy's sitemap parser, also reading the nested <news:news> fields of news sitemaps
    and telling <url> entries from <sitemap> ones."""

    def _process_sitemap_element(self, elem: lxml.etree._Element) -> dict[str, Any] | None:
        news: dict[str, str] = {"element": self._get_tag_name(elem)}
        for child in elem:
            if self._get_tag_name(child) == "news":
                for field in child.iter():
                    name = self._get_tag_name(field)
                    if name in ("publication_date", "title") and field.text:
                        news[f"news_{name}"] = field.text.strip()
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.update(news)
        return entry


def listing_links(response: HtmlResponse, *, domain: str, pattern: str | None) -> list[Candidate]:
    """Links on a section page that lead to articles of the outlet."""
    extractor = LinkExtractor(allow=pattern or (), unique=True)
    # Filtered by host here: LinkExtractor's allow_domains compares host and port together.
    links = [
        url
        for link in extractor.extract_links(response)
        if (url := _link(link.url)) is not None and on_site(url, domain)
    ]
    if pattern is None:
        links = [link for link in links if looks_like_article_url(link)]
    return [Candidate(url=link) for link in links]


def next_page(response: HtmlResponse) -> str | None:
    """The listing's next page: rel=next, else a link labelled Next/Older/» in any language."""
    for href in response.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href').getall():
        return _link(response.urljoin(clean_line(href) or ""))
    for anchor in response.xpath("//a[@href]"):
        label = " ".join(anchor.xpath("string(.)").get("").split()).casefold()
        classes = (anchor.attrib.get("class") or "").casefold()
        if label in NEXT_LABELS or "next" in classes.split():
            return _link(response.urljoin(clean_line(anchor.attrib["href"]) or ""))
    return None


def looks_like_article_url(url: str) -> bool:
    """A path with a dated segment, a numeric id or a long slug, and no section keyword."""
    path = urlsplit(url).path
    if NOT_ARTICLE_PATH.search(path):
        return False
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return False
    last = segments[-1].rsplit(".", 1)[0]
    return (
        bool(re.search(r"/\d{4}/\d{1,2}/", path))
        or last.count("-") >= 3
        or bool(re.fullmatch(r"\d{5,}", last))
        or bool(re.search(r"\d{6,}", last))
    )


def _link(value: str) -> str | None:
    """An article or sitemap address as a source wrote it: clean, http(s), not absurdly long."""
    link = clean_line(value)
    if link is None or len(link) > MAX_URL_LENGTH:
        return None
    link = _unwrap_redirector(link)
    return link if is_http_url(link) else None


def _unwrap_redirector(link: str) -> str:
    """Google Alerts and similar feeds wrap each link as https://www.google.com/url?url=<real>."""
    parts = urlsplit(link)
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target and is_http_url(target[0]):
            return target[0]
    return link


def _first_alternate(entry: Any) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel") == "alternate" and link.get("href"):
            return link["href"]
    return None


ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _feed_date(entry: Any) -> datetime | None:
    """The entry's date as feedparser read it, unless the feed wrote an impossible one:
    feedparser turns 2003-13-45 into 2004-01-01, and a made-up date is no date."""
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed
    # with a DeprecationWarning.
    for raw_key, parsed_key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        parsed = dict.get(entry, parsed_key)
        if not parsed:
            continue
        raw = dict.get(entry, raw_key) or ""
        if (day := ISO_DAY.search(raw)) and not _valid_day(*map(int, day.groups())):
            return None
        return _struct_time(parsed)
    return None


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    return True


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _iso_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(value: Any) -> str | None:
    """Plain text of a feed field (Google Alerts titles carry <b> tags, others entities)."""
    if not isinstance(value, str):
        return None
    return clean_line(replace_entities(remove_tags(value[:MAX_FIELD_CHARS])), limit=MAX_LINE_CHARS)
