"""The crawl's Scrapy components, each built from settings with `get_crawler` as Scrapy's own
tests do: the spider's callbacks, the admission ledger, the guards, the pipelines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.test import get_crawler
from sqlalchemy.exc import OperationalError
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler import figures
from newsalert.crawler.addresses import REFUSED_HOSTS, AddressPolicy, AddressRefused
from newsalert.crawler.admission import AlreadySeen, ArticleAdmission, RedirectCheck, article_request
from newsalert.crawler.middlewares import AddressBlocked, AddressGuard, GuardedResolver, RobotsForbidden, RobotsTxt
from newsalert.crawler.pipelines import AnalyzePipeline, StorePipeline
from newsalert.crawler.settings import scrapy_settings
from newsalert.crawler.spider import OutletsSpider, describe_failure
from newsalert.crawler.workers import Workers
from newsalert.domain import Extracted, Hints, PageItem, Rejection, UrlStatus
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.ledger import UrlRecord

NOW = datetime.now(UTC)
SITE = "https://coast.example"
OUTLET = Outlet(name="Coast Times", url=f"{SITE}/", feeds=[f"{SITE}/feed.xml"])  # type: ignore[arg-type]
ARTICLE = f"""<html lang="en"><head><title>Lagos port training</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Nigerian and Brazilian port engineers train together</h1>
{
    "<p>Engineers from the ports of Lagos and Santos spent a week comparing how each harbour plans its berths, "
    "trains crane operators and keeps records of container dwell times, under a cooperation programme.</p>" * 4
}
</article><footer>Contact us. Subscribe to our newsletter.</footer></body></html>"""


def crawler_for(tmp_path: Path, **overrides: Any) -> Crawler:
    """A crawler configured as a real crawl is, over a fresh SQLite archive."""
    crawl = CrawlSettings(extract_workers=0, **overrides.pop("crawl", {}))
    settings = scrapy_settings(crawl, address_policy=AddressPolicy.for_outlets([OUTLET]))
    settings.update(
        {
            "NEWSALERT_DATABASE_URL": f"sqlite:///{tmp_path / 'archive.db'}",
            "NEWSALERT_OUTLETS": [OUTLET],
            "NEWSALERT_TOPICS": None,
            **overrides,
        }
    )
    return get_crawler(OutletsSpider, settings)


@pytest.fixture
def crawler(tmp_path: Path) -> Iterator[Crawler]:
    crawler = crawler_for(tmp_path)
    yield crawler
    if workers := crawler.get_extension(Workers):
        workers.pool.close()


def article(path: str, published: datetime | None) -> Request:
    request = article_request(OUTLET.name, f"{SITE}{path}", Hints(published_at=published))
    assert request is not None
    return request


def stat(crawler: Crawler, name: str) -> int:
    return int(crawler.stats.get_value(figures.stat_key(OUTLET.name, name), 0))


async def _collect(result: AsyncIterator[Any]) -> list[Any]:
    return [obj async for obj in result]


async def _aiter(objects: list[Any]) -> AsyncIterator[Any]:
    for obj in objects:
        yield obj


# --- the admission ledger -------------------------------------------------------------------


def test_admission_lets_through_new_recent_links_newest_first_within_the_cap(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, crawl={"max_articles_per_outlet": 2, "max_age_days": 7})
    admission = ArticleAdmission.from_crawler(crawler)
    with admission.seen.sessions.begin() as session:
        ledger.record_urls(session, [UrlRecord(f"{SITE}/known", admission.seen.outlet_ids[OUTLET.name], "stored")])
    listing = Request(f"{SITE}/world?page=2")
    output = [
        article("/older", NOW - timedelta(days=2)),
        listing,
        article("/newest", NOW - timedelta(hours=1)),
        article("/newest?utm_source=feed", NOW - timedelta(hours=1)),  # the same page
        article("/known", NOW),
        article("/ancient", NOW - timedelta(days=40)),
        article("/undated", None),
    ]
    passed = list(admission.process_spider_output(HtmlResponse(f"{SITE}/feed.xml"), iter(output)))

    assert passed[0] is listing, "sources and listings pass untouched, before the articles"
    assert [r.url for r in passed[1:]] == [f"{SITE}/newest", f"{SITE}/older"], "newest first, capped at 2"
    assert passed[1].priority > passed[2].priority
    assert {name: stat(crawler, name) for name in ("discovered", "known", "too_old", "queued")} == {
        "discovered": 5,
        "known": 1,
        "too_old": 1,
        "queued": 2,
    }
    # The cap holds across batches, and what was admitted is not admitted twice.
    again = asyncio.run(_collect(admission.process_spider_output_async(HtmlResponse(f"{SITE}/s"), _aiter(output))))
    assert again == [listing]
    admission.spider_closed(crawler.spider)  # type: ignore[arg-type]


def test_admission_in_discover_mode_counts_but_requests_and_records_nothing(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, NEWSALERT_DISCOVER_ONLY=True)
    admission = ArticleAdmission.from_crawler(crawler)
    output = [article("/a", NOW), article("/old", NOW - timedelta(days=90))]
    assert list(admission.process_spider_output(HtmlResponse(SITE), iter(output))) == []
    assert stat(crawler, "discovered") == 2 and stat(crawler, "queued") == 1
    with admission.seen.sessions() as session:
        assert ledger.settled_urls(session, [f"{SITE}/old"], max_attempts=3) == set(), "nothing is stored"


def test_redirect_targets_go_through_the_same_ledger(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    admission = ArticleAdmission.from_crawler(crawler)
    check = RedirectCheck.from_crawler(crawler)
    check.seen = admission.seen  # what spider_opened does, once the engine exists
    first, second = article("/short/1", NOW), article("/short/2", NOW)
    list(admission.process_spider_output(HtmlResponse(SITE), iter([first, second])))

    check.process_request(first.replace(url=f"{SITE}/story"))  # a new target: fetched
    with pytest.raises(AlreadySeen, match="already met"):
        check.process_request(second.replace(url=f"{SITE}/story"))
    check.process_request(Request(f"{SITE}/feed.xml"))  # sources are never checked


def test_components_needing_the_archive_are_off_without_it(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, NEWSALERT_DATABASE_URL=None)
    for component in (ArticleAdmission, RedirectCheck, StorePipeline):
        with pytest.raises(NotConfigured):
            component.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        RobotsTxt.from_crawler(crawler_for(tmp_path, ROBOTSTXT_OBEY=False))


# --- the guards -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://10.0.0.8/admin", "http://[::1]:8080/", "http://2130706433/"]
)
def test_the_address_guard_refuses_by_type(crawler: Crawler, url: str) -> None:
    guard = AddressGuard.from_crawler(crawler)
    with pytest.raises(AddressBlocked, match="refused"):
        guard.process_request(Request(url, meta={"outlet": OUTLET.name}))
    guard.process_request(Request(f"{SITE}/story", meta={"outlet": OUTLET.name}))


def test_the_resolver_refuses_names_that_resolve_to_private_addresses(crawler: Crawler) -> None:
    resolver = GuardedResolver.from_crawler(crawler, MemoryReactorClock())  # _check never touches it
    assert resolver._check("93.184.215.14", "news.example") == "93.184.215.14"
    with pytest.raises(AddressRefused, match="not a public address"):
        resolver._check("10.1.2.3", "rebind.example")
    assert "rebind.example" in REFUSED_HOSTS
    status, reason = describe_failure(_failure(DNSLookupError("x"), "http://rebind.example/a"))
    assert status == UrlStatus.BLOCKED and "10.1.2.3" in reason


def test_robots_txt_refusals_have_their_own_type(crawler: Crawler) -> None:
    middleware = RobotsTxt.from_crawler(crawler)
    parser = ProtegoRobotParser.from_crawler(crawler, b"User-agent: *\nDisallow: /private/\n")
    with pytest.raises(RobotsForbidden):
        middleware.process_request_2(parser, Request(f"{SITE}/private/page"))
    middleware.process_request_2(parser, Request(f"{SITE}/public/page"))


def _failure(exc: BaseException, url: str = f"{SITE}/a") -> Failure:
    failure = Failure(exc)
    failure.request = Request(url)  # type: ignore[attr-defined]
    return failure


def _decompression_bomb() -> IgnoreRequest:
    try:
        raise IgnoreRequest("Ignored response") from _DecompressionMaxSizeExceeded(10_000_001, 10_000_000)
    except IgnoreRequest as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "status", "reason"),
    [
        (HttpError(TextResponse(f"{SITE}/a", status=404), "x"), UrlStatus.GONE, "HTTP 404"),
        (HttpError(TextResponse(f"{SITE}/a", status=503), "x"), UrlStatus.FAILED, "HTTP 503"),
        (RobotsForbidden("Forbidden by robots.txt"), UrlStatus.BLOCKED, "forbidden by robots.txt"),
        (AddressBlocked("refused: 10.0.0.8 is not public"), UrlStatus.BLOCKED, "refused: 10.0.0.8"),
        (AlreadySeen("redirects to x, already met"), UrlStatus.DUPLICATE, "already met"),
        (_decompression_bomb(), UrlStatus.TOO_LARGE, "once decompressed"),
        # The message names robots.txt, but only the type decides.
        (IgnoreRequest("robots.txt said so"), UrlStatus.BLOCKED, "robots.txt said so"),
        (DownloadCancelledError("Cancelling download"), UrlStatus.TOO_LARGE, "larger than max_page_bytes"),
        (DNSLookupError("no such host"), UrlStatus.FAILED, "DNS lookup failed"),
        (ConnectionRefusedError(), UrlStatus.FAILED, "connection refused"),
        (DownloadTimeoutError("took longer"), UrlStatus.FAILED, "timed out"),
        (ValueError("odd"), UrlStatus.FAILED, "ValueError: odd"),
    ],
)
def test_failures_are_classified_by_exception_type(exc: BaseException, status: UrlStatus, reason: str) -> None:
    got_status, got_reason = describe_failure(_failure(exc))
    assert got_status == status and reason in got_reason


# --- the spider -----------------------------------------------------------------------------


def test_the_spider_turns_a_feed_into_article_requests_and_counts_the_source(crawler: Crawler) -> None:
    crawler.spider = spider = OutletsSpider.from_crawler(crawler)
    items = "".join(
        f"<item><title>Story {n}</title><link>{SITE}/2026/story-{n}.html</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=n))}</pubDate></item>"
        for n in range(3)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>C</title>{items}'
    body += "<item><title>Bad</title><link>javascript:alert(1)</link></item></channel></rss>"
    response = TextResponse(
        OUTLET.feeds[0],
        body=body.encode(),
        headers={"Content-Type": "application/rss+xml"},
        request=Request(OUTLET.feeds[0], meta={"outlet": OUTLET.name}),
    )
    requests = asyncio.run(_collect(spider.parse_feed(response)))
    assert [r.url for r in requests] == [f"{SITE}/2026/story-{n}.html" for n in range(3)]
    assert requests[0].meta["hints"].title == "Story 0" and requests[0].callback == spider.parse_article
    assert stat(crawler, "sources_ok") == 1


def test_the_spider_records_a_broken_source_against_its_outlet(crawler: Crawler) -> None:
    crawler.spider = spider = OutletsSpider.from_crawler(crawler)
    url = OUTLET.feeds[0]
    response = TextResponse(url, body=b"<html>not a feed</html>", request=Request(url, meta={"outlet": OUTLET.name}))
    assert asyncio.run(_collect(spider.parse_feed(response))) == []
    tally = figures.tally(crawler.stats, OUTLET.name)
    assert tally.sources_failed == 1 and tally.errors and tally.errors[0].startswith(url)


def test_the_spider_makes_an_item_of_an_article_page_or_of_its_failure(crawler: Crawler) -> None:
    crawler.spider = spider = OutletsSpider.from_crawler(crawler)
    request = article("/2026/port.html", NOW)
    page = HtmlResponse(request.url, body=ARTICLE.encode(), headers={"Content-Language": "en"}, request=request)
    (item,) = spider.parse_article(page)
    assert item.html and item.declared_language == "en" and item.outcome is None and item.http_status == 200
    assert stat(crawler, "pages") == 1

    image = Response(request.url, body=b"\x89PNG", headers={"Content-Type": "image/png"}, request=request)
    (item,) = spider.parse_article(image)
    assert isinstance(item.outcome, Rejection) and item.outcome.status == UrlStatus.NOT_ARTICLE

    failure = _failure(HttpError(TextResponse(request.url, status=410), "gone"))
    failure.request = request  # type: ignore[attr-defined]
    (item,) = spider.article_failed(failure)
    assert isinstance(item.outcome, Rejection) and item.outcome.status == UrlStatus.GONE and item.http_status == 410


# --- the pipelines --------------------------------------------------------------------------


def test_the_analysis_pipeline_extracts_in_the_crawls_worker_pool(crawler: Crawler) -> None:
    pipeline = AnalyzePipeline.from_crawler(crawler)
    pipeline.open_spider()
    url = f"{SITE}/2026/port.html"
    item = PageItem(outlet=OUTLET.name, url=url, aliases=[url], html=ARTICLE)
    asyncio.run(pipeline.process_item(item))
    assert isinstance(item.outcome, Extracted) and item.outcome.title.startswith("Nigerian and Brazilian")
    assert item.html is None, "the page is not kept once extracted"
    assert "Subscribe" not in item.outcome.text

    empty = PageItem(outlet=OUTLET.name, url=url, aliases=[url], html="<html><body></body></html>")
    asyncio.run(pipeline.process_item(empty))
    assert isinstance(empty.outcome, Rejection) and empty.outcome.status == UrlStatus.NOT_ARTICLE


def _extracted(n: int) -> PageItem:
    url = f"{SITE}/2026/story-{n}.html"
    outcome = Extracted(f"Story {n}", f"Text of story {n}. " * 30, None, NOW, None, None, "en", None, f"{n:064d}")
    return PageItem(outlet=OUTLET.name, url=url, aliases=[url], outcome=outcome)


def test_the_store_pipeline_writes_batches_and_counts_per_outlet(crawler: Crawler, tmp_path: Path) -> None:
    pipeline = StorePipeline.from_crawler(crawler)
    rejected = PageItem(
        outlet=OUTLET.name, url=f"{SITE}/x", aliases=[f"{SITE}/x"], outcome=Rejection("not_article", "empty")
    )
    for item in (_extracted(1), _extracted(2), _extracted(1), rejected):
        pipeline.process_item(item)
    pipeline.flush()
    tally = figures.tally(crawler.stats, OUTLET.name)
    assert (tally.stored, tally.duplicates, tally.rejected) == (2, 1, 1)
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'archive.db'}")
    with sessions() as session:
        assert ledger.settled_urls(session, [f"{SITE}/x", f"{SITE}/2026/story-2.html"], max_attempts=3) == {
            f"{SITE}/x",
            f"{SITE}/2026/story-2.html",
        }
    engine.dispose()


def test_the_writer_thread_stores_batches_while_items_keep_coming(crawler: Crawler) -> None:
    """Full batches go to the writer thread; when it is behind, an item waits (a Deferred)
    until a batch is written; closing waits for every batch and writes the rest."""
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.BATCH_SIZE, pipeline.MAX_INFLIGHT = 2, 0  # every full batch makes the next item wait
    items = [_extracted(n) for n in range(1, 8)]

    waited = []

    async def crawl() -> list[object]:
        results = []
        for item in items:
            result = pipeline.process_item(item)
            if isinstance(result, Deferred):
                waited.append(item)
                result = await result.asFuture(asyncio.get_running_loop())
            results.append(result)
        await pipeline.close_spider()
        return results

    assert asyncio.run(crawl()) == items, "every item passes on, written or not yet"
    assert waited == [items[1], items[3], items[5]], "each full batch held its last item back"
    assert figures.tally(crawler.stats, OUTLET.name).stored == 7
    assert pipeline.pending == [] and not pipeline.inflight


class BrokenSessions:
    """A session factory whose database has gone away."""

    def begin(self) -> object:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))


def test_a_failed_batch_is_reported_not_raised(crawler: Crawler) -> None:
    pipeline = StorePipeline(crawler.stats, BrokenSessions(), {OUTLET.name: 1})  # type: ignore[arg-type]
    item = PageItem(outlet=OUTLET.name, url=f"{SITE}/a", aliases=[f"{SITE}/a"], outcome=Rejection("gone", "x"))
    assert pipeline.process_item(item) is item
    pipeline.flush()
    errors = figures.storage_errors(crawler.stats)
    assert errors and "disk I/O error" in errors[0]
    assert stat(crawler, "rejected") == 0, "nothing was recorded, so nothing may be counted"
    assert pipeline.pending == []


def test_outlet_figures_are_bounded_and_checked(crawler: Crawler) -> None:
    for n in range(figures.MAX_ERRORS + 5):
        figures.note_error(crawler.stats, OUTLET.name, f"error {n}")
    assert len(figures.tally(crawler.stats, OUTLET.name).errors) == figures.MAX_ERRORS
    with pytest.raises(ValueError, match="not an outlet figure"):
        figures.count(crawler.stats, OUTLET.name, "storedd")


def test_the_worker_pool_stops_with_the_engine(crawler: Crawler) -> None:
    workers = crawler.get_extension(Workers)
    assert workers is not None
    workers.engine_stopped()
    workers.engine_stopped()  # twice is harmless: the runner also closes it after a crash


@pytest.mark.parametrize(
    ("html", "status"), [("", "not_article"), ("<html><body><p>Subscribe now.</p></body></html>", "too_short")]
)
def test_extraction_rejections_carry_a_reason(html: str, status: str) -> None:
    from newsalert.pipelines.extract import extract_article

    outcome = extract_article(html, "https://o.example/a")
    assert isinstance(outcome, Rejection) and outcome.status == status and outcome.reason


DAY = datetime(2026, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("declared", "found", "listed", "expected"),
    [
        # The page's declared time wins over what the feed or sitemap said.
        (DAY + timedelta(hours=9), DAY, DAY + timedelta(days=40), DAY + timedelta(hours=9)),
        # A date trafilatura finds on the page wins over a listed date of another day.
        (None, DAY, DAY + timedelta(days=40), DAY),
        # The page states only the day: a listed time within that day gives the time of day,
        (None, DAY, DAY + timedelta(hours=15, minutes=30), DAY + timedelta(hours=15, minutes=30)),
        (None, DAY, DAY - timedelta(hours=5), DAY - timedelta(hours=5)),  # late on the 4th in UTC-7
        # but a page date with a time of its own keeps it.
        (None, DAY + timedelta(hours=7), DAY + timedelta(hours=15), DAY + timedelta(hours=7)),
        # A page that states nothing takes the listed date.
        (None, None, DAY, DAY),
        (None, None, None, None),
    ],
)
def test_the_pages_own_date_wins(
    declared: datetime | None, found: datetime | None, listed: datetime | None, expected: datetime | None
) -> None:
    from newsalert.pipelines.extract import publication_date

    assert publication_date(declared, found, listed) == expected


def test_a_sitemaps_last_change_does_not_date_the_article_but_ages_the_link(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, crawl={"max_age_days": 7})
    admission = ArticleAdmission.from_crawler(crawler)
    crawler.spider = spider = OutletsSpider.from_crawler(crawler)
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{SITE}/2026/fresh.html</loc><lastmod>{NOW.isoformat()}</lastmod></url>"
        f"<url><loc>{SITE}/2019/stale.html</loc><lastmod>2019-05-01</lastmod></url></urlset>"
    )
    url = f"{SITE}/sitemap.xml"
    response = TextResponse(url, body=sitemap.encode(), request=Request(url, meta={"outlet": OUTLET.name}))
    requests = asyncio.run(_collect(spider.parse_sitemap(response)))
    assert all(r.meta["hints"].published_at is None for r in requests), "lastmod is no publication date"
    admitted = list(admission.process_spider_output(response, iter(requests)))
    assert [r.url for r in admitted] == [f"{SITE}/2026/fresh.html"], "a page unchanged since 2019 is too old"


def test_the_crawl_runs_no_remote_control_telnet_or_cookie_jar() -> None:
    """Scrapy's remote control (an HTTP server that runs code sent to it, with a token in a job
    file) and telnet console are out, and not even imported; so is the unused cookie jar."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from scrapy.settings import Settings\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from newsalert.config.models import CrawlSettings\n"
        "from newsalert.crawler.settings import scrapy_settings\n"
        "settings = Settings(scrapy_settings(CrawlSettings()))\n"
        "parts = [*build_component_list(settings.getwithbase('EXTENSIONS')),\n"
        "         *build_component_list(settings.getwithbase('DOWNLOADER_MIDDLEWARES'))]\n"
        "print(sorted(p.rsplit('.', 1)[1] for p in parts if p.startswith('scrapy') and 'Cookies' in p\n"
        "             or p.endswith(('RemoteControl', 'TelnetConsole'))))\n"
        "print(sorted(m for m in ('aiohttp', 'twisted.conch.telnet', 'tldextract') if m in sys.modules))\n"
        "print(settings.getbool('REMOTE_CONTROL_ENABLED'))\n"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.split("\n")[:3] == ["[]", "[]", "False"], printed


def test_the_compiled_cache_rebuilds_what_it_cannot_read_and_reads_no_folder_others_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsalert.pipelines import compiled

    builds: list[int] = []

    def build() -> dict[str, int]:
        builds.append(1)
        return {"built": len(builds)}

    folder = tmp_path / "cache"
    monkeypatch.setenv(compiled.CACHE_DIR_ENV, str(folder))
    assert compiled.compiled("table", build) == {"built": 1}
    assert compiled.compiled("table", build) == {"built": 1} and len(builds) == 1  # read back
    [stored] = folder.glob("table-*.pickle")
    assert folder.stat().st_mode & 0o777 == 0o700

    stored.write_bytes(b"\x80\x05truncated")  # a file cut short: built again and replaced
    assert compiled.compiled("table", build) == {"built": 2}
    assert compiled.compiled("table", build) == {"built": 2} and len(builds) == 2

    folder.chmod(0o777)  # another user could have put any pickle there: never read
    assert compiled.compiled("table", build) == {"built": 3}
    folder.chmod(0o700)

    assert compiled.compiled("table", build, libraries=["no-such-library"]) == {"built": 4}  # another key
    assert compiled.compiled("table", build) == {"built": 2}  # the first key's file is kept, and read
    for n in range(compiled.KEPT_KEYS + 1):  # keys never used again go, the last few used stay
        compiled.compiled("table", build, libraries=[f"no-such-library-{n}"])
    assert len(list(folder.glob("table-*.pickle"))) == compiled.KEPT_KEYS
    assert compiled.compiled("table", build, libraries=[f"no-such-library-{compiled.KEPT_KEYS}"])["built"] == 8

    monkeypatch.setenv(compiled.CACHE_DIR_ENV, "")  # turned off
    assert compiled.compiled("table", build) == {"built": 9}
