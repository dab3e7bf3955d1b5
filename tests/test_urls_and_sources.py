"""Canonical URLs and link discovery, as pure functions."""

from __future__ import annotations

import gzip

import pytest
from scrapy.http import HtmlResponse

from newsalert.crawler.sources import (
    SourceError,
    listing_links,
    looks_like_article_url,
    next_page,
    parse_feed,
    parse_sitemap,
)
from newsalert.pipelines.urls import canonical_url


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        (
            "https://www.example.org/2026/11/story.html?utm_source=rss&utm_medium=feed",
            "https://example.org/2026/11/story.html",
        ),
        ("HTTPS://Example.org:443/2026/11/story.html#comments", "https://example.org/2026/11/story.html"),
        ("https://example.org/news.php?nid=77&fbclid=abc&gclid=x", "https://example.org/news.php?nid=77"),
        ("https://example.org/a?b=2&a=1&ref=rss", "https://example.org/a?a=1&b=2"),
        ("https://example.org", "https://example.org/"),
        ("http://127.0.0.1:8080/x.html?spm=a2c.1", "http://127.0.0.1:8080/x.html"),
    ],
)
def test_canonical_url_folds_variants(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical


def test_canonical_url_keeps_identifying_parameters() -> None:
    assert canonical_url("https://example.org/?p=123") != canonical_url("https://example.org/?p=124")


NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://example.org/2026/11/expo.html</loc>
<news:news><news:publication><news:name>Example</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2026-11-20T08:30:00+03:00</news:publication_date>
<news:title>Expo opens</news:title></news:news></url>
<url><loc>https://example.org/2026/11/other.html</loc><lastmod>2026-11-19</lastmod></url>
</urlset>"""


def test_news_sitemap_gives_date_and_title() -> None:
    page = parse_sitemap(NEWS_SITEMAP, max_bytes=10_000)
    first, second = page.articles
    assert not page.is_index
    assert (first.title, first.published_at.isoformat()) == ("Expo opens", "2026-11-20T05:30:00+00:00")
    assert second.title is None
    # <lastmod> says when the page last changed, not when it was published.
    assert second.published_at is None and second.modified_at is not None
    assert second.listed_at == second.modified_at and first.listed_at == first.published_at


def test_gzipped_sitemap_is_unpacked_within_the_size_limit() -> None:
    assert len(parse_sitemap(gzip.compress(NEWS_SITEMAP), max_bytes=10_000).articles) == 2
    with pytest.raises(SourceError, match="gzip"):
        parse_sitemap(gzip.compress(NEWS_SITEMAP + b" " * 50_000), max_bytes=10_000)


@pytest.mark.parametrize("body", [b"", b"<html><body>Not a sitemap</body></html>", b"\x00\x01garbage"])
def test_broken_sitemaps_raise_a_clear_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        parse_sitemap(body, max_bytes=10_000)


def test_feed_items_are_cleaned() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>A &lt;b&gt;bold&lt;/b&gt; claim</title><link>https://www.google.com/url?rct=j&amp;url=https://example.org/real.html&amp;ct=ga</link>
    <pubDate>Fri, 20 Nov 2026 10:00:00 +0100</pubDate></item>
    <item><title>Relative</title><link>/2026/11/rel.html</link></item>
    <item><title>Mail</title><link>mailto:desk@example.org</link></item></channel></rss>"""
    items = parse_feed(feed, url="https://example.org/rss.xml")
    assert [(i.url, i.title) for i in items] == [
        ("https://example.org/real.html", "A bold claim"),
        ("https://example.org/2026/11/rel.html", "Relative"),
    ]
    assert items[0].published_at.isoformat() == "2026-11-20T09:00:00+00:00"


def test_a_page_that_is_not_a_feed_is_an_error() -> None:
    with pytest.raises(SourceError):
        parse_feed(
            b"<html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
            url="https://example.org/",
            content_type="text/html",
        )


LISTING = """<html><body><nav><a href="/about">About</a><a href="/section/world/">World</a></nav>
<a href="/2026/11/port-deal-signed.html">Port deal</a><a href="https://other.example/2026/11/x.html">Elsewhere</a>
<a href="/tag/kenya">Kenya</a><a href="/news/kenya-and-china-sign-a-rail-training-pact">Rail</a>
<div class="pager"><a href="/section/world/?page=2" class="next">Older stories</a></div></body></html>"""


def test_listing_links_use_the_pattern_or_the_heuristic() -> None:
    response = HtmlResponse("https://www.example.org/section/world/", body=LISTING.encode(), encoding="utf-8")
    with_pattern = listing_links(response, domain="example.org", pattern=r"/\d{4}/\d{2}/")
    assert [c.url for c in with_pattern] == ["https://www.example.org/2026/11/port-deal-signed.html"]
    heuristic = listing_links(response, domain="example.org", pattern=None)
    assert [c.url for c in heuristic] == [
        "https://www.example.org/2026/11/port-deal-signed.html",
        "https://www.example.org/news/kenya-and-china-sign-a-rail-training-pact",
    ]
    assert next_page(response) == "https://www.example.org/section/world/?page=2"


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://e.org/2026/11/03/budget.html", True),
        ("https://e.org/world/china-africa-summit-ends-in-beijing", True),
        ("https://e.org/article/123456", True),
        ("https://e.org/tag/brics", False),
        ("https://e.org/about", False),
        ("https://e.org/world/", False),
    ],
)
def test_article_url_heuristic(url: str, article: bool) -> None:
    assert looks_like_article_url(url) is article
