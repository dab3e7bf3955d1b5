"""Hostile outlets through the real crawl: addresses a page must never reach, poison strings,
feeds and pages built to stall the crawl. Every server here is local; the hostile ones are
canaries that must receive nothing."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from newsalert.crawler import figures
from newsalert.crawler.addresses import AddressPolicy, ip_literal, is_public
from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.crawler.pipelines import StorePipeline
from newsalert.crawler.runner import CrawlResult, run_crawl
from newsalert.crawler.workers import WorkerPool, WorkerSettings, WorkFailed, article_task
from newsalert.domain import Extracted, Hints, PageItem, Rejection
from newsalert.pipelines.extract import PageLimits
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, OutletRow, SeenUrlRow
from tests.helpers import BACKENDS, backend_url, make_config, postgres_schema, stop_sites

NOW = datetime.now(UTC)
PARAGRAPHS = (
    "The harbour authority opened a second container berth on Monday, doubling the space for ships "
    "that carry grain and fertiliser along the coast. Officials said the berth would cut waiting "
    "times by half before the harvest season.",
    "Dock workers, who had complained about night shifts, welcomed a new rota agreed with the union. "
    "The authority will also repave the access road used by trucks from the inland depots.",
)


def article(title: str, *, body: str = "") -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in PARAGRAPHS)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta property="article:published_time" content="{(NOW - timedelta(hours=2)).isoformat()}">'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{escape(title)}</h1>{paragraphs}{body}"
        "</article><footer>Coastal Times</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str]], *, author: str | None = None) -> Route:
    entries = "".join(
        f"<item><title>{title}</title><link>{escape(link)}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate>"
        + (f"<author>{author}</author>" if author else "")
        + "</item>"
        for title, link in items
    )
    return Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{entries}</channel></rss>'.encode(),
        content_type="application/rss+xml",
    )


def outlet(server: SiteServer, name: str = "Coastal Times") -> dict[str, object]:
    return {"name": name, "url": server.url("/"), "feeds": [server.url("/feed.xml")]}


def seen(db_url: str) -> dict[str, tuple[str, str | None]]:
    engine, sessions = open_database(db_url)
    with sessions() as session:
        rows = {
            url: (status, reason)
            for url, status, reason in session.execute(select(SeenUrlRow.url, SeenUrlRow.status, SeenUrlRow.reason))
        }
    engine.dispose()
    return rows


# --- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "017700000001",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "fe80::1",
        "fc00::1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
    ],
)
def test_non_public_addresses_are_recognised_in_every_spelling(host: str) -> None:
    address = ip_literal(host)
    assert address is not None and not is_public(address), host


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_public(host: str) -> None:
    address = ip_literal(host)
    assert address is not None and is_public(address)


def test_a_private_outlet_may_fetch_its_own_host_and_port_only() -> None:
    from newsalert.config.models import Outlet

    policy = AddressPolicy.for_outlets(
        [
            Outlet(
                name="Intranet",
                url="http://127.0.0.1:8080/",
                feeds=["http://127.0.0.1:8080/f"],
                allowed_domains=["cdn.intranet.example"],
            ),
            Outlet(name="Public", url="https://news.example.org/", feeds=["https://news.example.org/f"]),
        ]
    )
    assert policy.permits("Intranet", "http://127.0.0.1:8080/a") is None
    assert policy.permits("Intranet", "http://127.1:8080/a") is None, "the same address, another spelling"
    assert policy.permits("Intranet", "http://127.0.0.1:8081/a") is not None
    assert policy.permits("Intranet", "http://127.0.0.2:8080/a") is not None
    assert policy.permits("Intranet", "http://cdn.intranet.example/x.jpg") is None
    assert policy.permits("Public", "http://127.0.0.1:8080/a") is not None, "another outlet's private site"
    assert policy.permits("Public", "http://cdn.intranet.example/x") is not None
    assert policy.permits("Public", "https://other.example.net/a") is None, "public: left to the resolver"


@dataclass
class HostileCrawl:
    """One crawl, on each backend, of an outlet whose feed, sitemap, redirect and refresh point
    at non-public addresses where two canaries listen, and of two outlets with a poisoned and
    a clean feed."""

    result: CrawlResult
    canaries: tuple[SiteServer, SiteServer]
    db_url: str


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_crawl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCrawl]:
    tmp_path = tmp_path_factory.mktemp(f"hostile-{request.param}")
    # Two servers nothing may reach: one on the outlet's own address (another port), one on
    # another loopback address.
    same_host, other_host = SiteServer().start(), SiteServer(host="127.0.0.2").start()
    site, poisoned, clean = SiteServer().start(), SiteServer().start(), SiteServer().start()
    try:
        for canary in (same_host, other_host):
            canary.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
            for path in ("/", "/secret", "/admin", "/feed.xml"):
                canary.routes[path] = Route(article("Canary page: internal secrets"))
        serve_non_public_links(site, same_host, other_host)
        serve_poisoned_and_clean_feeds(poisoned, clean)
        outlets = [
            {**outlet(site), "sitemaps": [site.url("/sitemap.xml")]},
            outlet(poisoned, "Poisoned Post"),
            outlet(clean, "Clean Courier"),
        ]
        for db_url in backend_url(request, tmp_path):
            config = make_config(tmp_path, outlets, database=db_url)
            yield HostileCrawl(run_crawl(config, config.enabled_outlets), (same_host, other_host), db_url)
    finally:
        stop_sites(same_host, other_host, site, poisoned, clean)


def serve_non_public_links(site: SiteServer, same_host: SiteServer, other_host: SiteServer) -> None:
    port, other = same_host.base_url.rsplit(":", 1)[1], other_host.base_url.rsplit(":", 1)[1]
    spellings = [
        f"http://127.1:{port}/secret",
        f"http://2130706433:{port}/secret",
        f"http://0x7f.1:{port}/secret",
        f"http://0177.0.0.1:{port}/secret",
        f"http://017700000001:{port}/secret",
        f"http://localhost:{port}/secret",
        f"http://127.0.0.1:{port}/secret",
        f"http://127.0.0.2:{other}/secret",
        f"http://[::ffff:127.0.0.2]:{other}/secret",
        f"http://[::ffff:7f00:2]:{other}/admin",
        f"http://localhost:{other}/admin",
    ]
    site.routes["/feed.xml"] = rss(
        [
            ("Berth opens", site.url("/2026/11/berth.html")),
            ("Moved", site.url("/go/moved")),
            ("Refresh", site.url("/refresh.html")),
            *[(f"Link {n}", url) for n, url in enumerate(spellings)],
        ]
    )
    site.routes["/sitemap.xml"] = Route(
        (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{escape(u.replace('/secret', '/admin'))}</loc></url>" for u in spellings)
            + "</urlset>"
        ).encode(),
        content_type="application/xml",
    )
    site.routes["/2026/11/berth.html"] = Route(article("Second container berth opens"))
    site.routes["/go/moved"] = Route.redirect(f"http://127.0.0.2:{other}/secret", status=302)
    site.routes["/refresh.html"] = Route(
        f'<html><head><meta http-equiv="refresh" content="0;url=http://localhost:{port}/admin"></head>'
        "<body>Moved</body></html>".encode()
    )


@pytest.mark.slow
def test_no_page_feed_or_redirect_reaches_a_non_public_address(hostile_crawl: HostileCrawl) -> None:
    same_host, other_host = hostile_crawl.canaries
    assert same_host.requests == [] and other_host.requests == [], "a canary was reached"
    assert hostile_crawl.result.outlets["Coastal Times"]["stored"] == 1, hostile_crawl.result.outlets
    statuses = seen(hostile_crawl.db_url)
    refused = {url: status for url, (status, reason) in statuses.items() if reason and "refused" in reason}
    assert len(refused) >= 8 and set(refused.values()) == {"blocked"}, statuses


# --- poison strings -------------------------------------------------------------------------------


def serve_poisoned_and_clean_feeds(poisoned: SiteServer, clean: SiteServer) -> None:
    poisoned.routes["/feed.xml"] = rss([("a\x00b \x1b[2J", poisoned.url("/2026/11/untitled.html"))])
    # The page has no title of its own, so the feed's title would be used.
    poisoned.routes["/2026/11/untitled.html"] = Route(
        article("").replace(b"<h1></h1>", b"").replace(b"<title></title>", b"")
    )
    clean.routes["/feed.xml"] = rss([(f"Story {n}", clean.url(f"/2026/11/story-{n}.html")) for n in range(3)])
    for n in range(3):
        clean.routes[f"/2026/11/story-{n}.html"] = Route(
            article(f"Harbour story number {n}", body=f"<p>Detail {n} of the day.</p>")
        )


@pytest.mark.slow
def test_a_nul_in_a_feed_title_costs_nobody_anything(hostile_crawl: HostileCrawl) -> None:
    result = hostile_crawl.result
    assert result.error is None and result.outlets["Clean Courier"]["stored"] == 3, result
    engine, sessions = open_database(hostile_crawl.db_url)
    with sessions() as session:
        titles = list(
            session.scalars(
                select(ArticleRow.title)
                .join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
                .where(OutletRow.name.in_(["Poisoned Post", "Clean Courier"]))
            )
        )
    engine.dispose()
    assert len(titles) == 4 and not any("\x00" in t or "\x1b" in t for t in titles), titles


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    yield from postgres_schema(postgres_server)


@pytest.mark.postgres
def test_a_page_the_database_refuses_is_recorded_failed_and_the_batch_is_kept(
    postgres_url: str, tmp_path: Path
) -> None:
    """If a row still fails (here: a language code longer than its column, which PostgreSQL
    refuses), the batch is stored page by page: the others are kept, the bad one is failed."""
    config = make_config(
        tmp_path,
        [{"name": "Coastal Times", "url": "http://127.0.0.1:9/", "feeds": ["http://127.0.0.1:9/feed.xml"]}],
        database=postgres_url,
    )
    engine, sessions = open_database(postgres_url)
    with sessions.begin() as session:
        ids = ledger.sync_outlets(session, config.outlets)
    stats = get_crawler().stats

    def item(n: int, language: str) -> PageItem:
        url = f"http://127.0.0.1:9/2026/11/story-{n}.html"
        extracted = Extracted(
            f"Story {n}", f"Text of story {n}. " * 30, None, NOW, None, None, language, None, f"{n:064d}"
        )
        return PageItem(outlet="Coastal Times", url=url, aliases=[url], outcome=extracted)

    pipeline = StorePipeline(stats, sessions, ids)
    pipeline.pending.extend([item(1, "en"), item(2, "not-a-language-code"), item(3, "fr")])
    pipeline.flush()
    engine.dispose()
    statuses = {url.rsplit("/", 1)[1]: status for url, (status, _reason) in seen(postgres_url).items()}
    assert statuses == {"story-1.html": "stored", "story-2.html": "failed", "story-3.html": "stored"}
    tally = figures.tally(stats, "Coastal Times")
    assert tally.stored == 2 and tally.failed == 1
    assert any("could not be stored" in error for error in figures.storage_errors(stats))


# --- work that would stall the crawl ------------------------------------------------------------


def huge_page() -> str:
    return "<html><body><article>" + "<p>words words word</p>" * 200_000 + "</article></body></html>"  # 4.6 MB


@dataclass
class StallingCrawl:
    """One crawl, in worker processes as in production, of three outlets: one whose feed is
    built to stall feedparser, a quiet one, and one that links to a page of 200,000 paragraphs."""

    result: CrawlResult
    huge_url: str
    db_url: str


@pytest.fixture(scope="module")
def stalling_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StallingCrawl]:
    tmp_path = tmp_path_factory.mktemp("stall")
    hostile, other, site = SiteServer().start(), SiteServer().start(), SiteServer().start()
    try:
        author = "x" * 32_000 + "@" + "y." * 16_000  # 64 KB: feedparser alone takes 30 s or more
        hostile.routes["/feed.xml"] = rss([("Slow", hostile.url("/2026/11/slow.html"))], author=author)
        hostile.routes["/2026/11/slow.html"] = Route(article("A story behind a hostile feed"))
        other.routes["/feed.xml"] = rss([("Fine", other.url("/2026/11/fine.html"))])
        other.routes["/2026/11/fine.html"] = Route(article("A story from a quiet outlet"))
        site.routes["/feed.xml"] = rss(
            [("Huge", site.url("/2026/11/huge.html")), ("Fine", site.url("/2026/11/fine.html"))]
        )
        site.routes["/2026/11/huge.html"] = Route(huge_page().encode())
        site.routes["/2026/11/fine.html"] = Route(article("A story next to a huge page"))
        db_url = f"sqlite:///{tmp_path / 'stall.db'}"
        config = make_config(
            tmp_path,
            [outlet(hostile, "Hostile Herald"), outlet(other, "Quiet Quarterly"), outlet(site)],
            database=db_url,
            extract_workers=2,
        )
        yield StallingCrawl(run_crawl(config, config.enabled_outlets), site.url("/2026/11/huge.html"), db_url)
    finally:
        stop_sites(hostile, other, site)


@pytest.mark.slow
def test_a_feed_built_to_stall_feedparser_is_defused_and_the_others_go_on(stalling_crawl: StallingCrawl) -> None:
    """The fields are bounded before feedparser sees them (crawler/sources.py), so the feed is
    read at once rather than stopped by the time limit: its article is stored too."""
    for name in ("Hostile Herald", "Quiet Quarterly"):
        tally = stalling_crawl.result.outlets[name]
        assert (tally["stored"], tally["sources_failed"], tally["errors"]) == (1, 0, []), tally


@pytest.mark.slow
def test_a_page_of_200000_paragraphs_is_refused_before_trafilatura_and_small(tmp_path: Path) -> None:
    """Refused before trafilatura (which needs minutes and gigabytes for it), in a worker whose
    peak memory stays under 500 MB."""
    pool = WorkerPool(1, WorkerSettings(None, 250, PageLimits().max_elements, 1536), timeout=30)
    try:
        outcome = asyncio.run(pool.run(article_task, huge_page(), "http://127.0.0.1:9/huge.html", Hints(), None))
        peak = asyncio.run(pool.run(resource.getrusage, resource.RUSAGE_SELF)).ru_maxrss / 1024
    finally:
        pool.close()
    # Refused by the element count, which is checked before trafilatura sees the page.
    assert isinstance(outcome, Rejection) and outcome.status == "too_large", outcome
    assert "elements" in outcome.reason and peak < 500, (outcome.reason, f"{peak:.0f} MB")


def test_a_worker_thread_leaves_the_crawl_process_uncapped() -> None:
    """The address-space limit is a worker process's; with `extract_workers: 0` the work runs
    in a thread of the crawl process, which must not take the limit on (every page it holds
    would then count against a worker's budget)."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    pool = WorkerPool(0, WorkerSettings(None, 250, PageLimits().max_elements, 64), timeout=30)
    try:
        page = article("A small page").decode()
        outcome = asyncio.run(pool.run(article_task, page, "http://127.0.0.1:9/a.html", Hints(), None))
    finally:
        pool.close()
    assert not isinstance(outcome, Rejection), outcome
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@pytest.mark.slow
def test_the_crawl_records_the_huge_page_and_finishes(stalling_crawl: StallingCrawl) -> None:
    result = stalling_crawl.result
    assert result.status == "ok" and result.outlets["Coastal Times"]["stored"] == 1, result
    status, reason = seen(stalling_crawl.db_url)[stalling_crawl.huge_url]
    assert status == "too_large" and "elements" in (reason or ""), (status, reason)


@pytest.mark.slow
def test_a_stuck_task_is_stopped_and_its_worker_replaced() -> None:
    pool = WorkerPool(1, WorkerSettings(None, 250, PageLimits().max_elements, None), timeout=1)
    try:
        with pytest.raises(WorkFailed, match="stopped after 1 s"):
            asyncio.run(pool.run(time.sleep, 60))
        assert asyncio.run(pool.run(sum, [1, 2, 3])) == 6, "a new worker took the stuck one's place"
    finally:
        pool.close()
