"""The real Scrapy engine crawling local news sites into SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newsalert.config import Config
from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.crawler.runner import CrawlResult, early_start, process_alive, run_crawl
from newsalert.pipelines.urls import canonical_url
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, CrawlRunRow, OutletRunRow, SeenUrlRow
from tests.helpers import BACKENDS, backend_url, make_config, run_cli, stop_sites, write_config
from tests.sites import (
    ARTICLE_PATH_PATTERN,
    NewsSite,
    build_harbour_herald,
    build_second_outlet,
    build_unreachable_url,
)

pytestmark = pytest.mark.slow
# Pages the crawl reads every run to discover articles; everything else is fetched at most once.
DISCOVERY_PATHS = ("/robots.txt", "/rss.xml", "/sitemap", "/world/")


def herald_outlet(site: NewsSite, **overrides: object) -> dict[str, object]:
    return {
        "name": "Harbour Herald",
        "url": site.url("/"),
        "feeds": [site.feed_url],
        "sitemaps": [site.sitemap_url],
        "listings": [site.listing_url],
        "article_url_pattern": ARTICLE_PATH_PATTERN,
        "max_listing_pages": 3,
        "language": "en",
        "country": "KE",
        **overrides,
    }


@dataclass
class Crawled:
    site: NewsSite
    config: Config
    sessions: sessionmaker[Session]
    first: CrawlResult
    second: CrawlResult
    hits_after_first: Counter[str]
    hits_after_second: Counter[str]
    early_pid: int | None  # of the first crawl's process, started by early_start

    def articles(self) -> dict[str, ArticleRow]:
        with self.sessions() as session:
            return {a.url.removeprefix(self.site.server.base_url): a for a in session.scalars(select(ArticleRow))}

    def seen(self, path: str) -> SeenUrlRow | None:
        url = canonical_url(self.site.url(path))
        with self.sessions() as session:
            return session.scalar(select(SeenUrlRow).where(SeenUrlRow.url == url))


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    directory = tmp_path_factory.mktemp(f"herald-{request.param}")
    site = build_harbour_herald()
    try:
        for url in backend_url(request, directory):
            # The worker processes, as in production: this crawl is the one to hold them to account.
            config = make_config(directory, [herald_outlet(site)], database=url, extract_workers=2)
            # Started before the run is recorded, as the command line's `crawl` starts it.
            with early_start(config, config.enabled_outlets) as early_pid:
                first = run_crawl(config, config.enabled_outlets)
            hits_after_first = Counter(site.server.requests)
            # The second crawl tests what is fetched again, not where pages are parsed: a thread
            # does (starting the worker processes again would cost two seconds).
            again = make_config(directory / "again", [herald_outlet(site)], database=url)
            second = run_crawl(again, again.enabled_outlets)
            engine, sessions = open_database(url)
            yield Crawled(
                site, config, sessions, first, second, hits_after_first, Counter(site.server.requests), early_pid
            )
            engine.dispose()
    finally:
        stop_sites(site.server)


def test_every_current_article_is_stored_once(crawled: Crawled) -> None:
    stored = crawled.articles()
    expected = {article.path for article in crawled.site.articles}
    assert set(stored) == expected, (
        f"missing: {sorted(expected - set(stored))}; unexpected: {sorted(set(stored) - expected)}"
    )
    assert crawled.first.status == "ok" and crawled.first.outlets["Harbour Herald"]["stored"] == len(expected)


@pytest.mark.parametrize("kind", ["feed", "news-sitemap", "sitemap", "listing"])
def test_each_discovery_source_yields_its_articles(crawled: Crawled, kind: str) -> None:
    paths = {a.path for a in crawled.site.articles if a.discovered_by == kind}
    assert paths, f"the test site has no article discovered by {kind}"
    assert paths <= set(crawled.articles()), f"articles found only via {kind} were not stored"


def test_the_crawl_process_started_early_is_the_one_that_crawls(crawled: Crawled) -> None:
    with crawled.sessions() as session:
        first_run = session.scalar(select(CrawlRunRow).where(CrawlRunRow.id == crawled.first.run_id))
    assert first_run is not None and first_run.pid == crawled.early_pid


def test_a_crawl_process_started_early_and_not_used_ends(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [{"name": "Nowhere", "url": "http://127.0.0.1:9/", "feeds": ["http://127.0.0.1:9/rss.xml"]}],
        database=f"sqlite:///{tmp_path}/a.db",
    )
    with early_start(config, config.enabled_outlets) as pid:
        assert pid is not None and process_alive(pid)
    assert not process_alive(pid), "the crawl process outlived the command that started it"


def test_listing_pagination_is_followed(crawled: Crawled) -> None:
    for page in ("/world/", "/world/?page=2", "/world/?page=3"):
        assert crawled.hits_after_first[page] == 1, f"{page} was fetched {crawled.hits_after_first[page]} times"


def test_titles_authors_dates_and_language(crawled: Crawled) -> None:
    stored = crawled.articles()
    for expected in crawled.site.articles:
        article = stored[expected.path]
        assert article.title == expected.title
        assert article.author == expected.author
        assert article.published_at == expected.published, expected.path
        assert article.language == expected.language, expected.path


def test_text_keeps_the_body_and_drops_the_boilerplate(crawled: Crawled) -> None:
    stored = crawled.articles()
    for expected in crawled.site.articles:
        text = stored[expected.path].text
        assert expected.marker in text, f"{expected.path}: body sentence missing from the text"
        leaked = [snippet for snippet in crawled.site.boilerplate if snippet in text]
        assert not leaked, f"{expected.path}: boilerplate in the text: {leaked}"


def test_gbk_page_is_decoded(crawled: Crawled) -> None:
    chinese = next(a for a in crawled.site.articles if a.language == "zh")
    article = crawled.articles()[chinese.path]
    assert chinese.marker in article.text
    assert "\ufffd" not in article.text and article.title == chinese.title


def test_robots_txt_is_obeyed(crawled: Crawled) -> None:
    assert crawled.hits_after_first["/robots.txt"] == 1
    assert crawled.hits_after_second[crawled.site.robots_blocked_path] == 0
    record = crawled.seen(crawled.site.robots_blocked_path)
    assert record is not None and record.status == "blocked"


def test_redirect_and_tracking_variants_are_stored_once(crawled: Crawled) -> None:
    site = crawled.site
    with crawled.sessions() as session:
        target = session.scalar(
            select(ArticleRow).where(
                ArticleRow.canonical_url
                == canonical_url(
                    site.url(
                        site.server.routes[site.redirect_path]
                        .headers["Location"]
                        .split(":", 2)[-1]
                        .split("/", 1)[-1]
                        .join(["/", ""])
                    )
                )
            )
        )
    redirect = crawled.seen(site.redirect_path)
    assert redirect is not None and redirect.status in ("duplicate", "stored"), redirect
    assert target is not None and redirect.article_id in (None, target.id)
    assert not any("utm_" in path or "#" in path for path in site.server.requests), (
        "tracking parameters and fragments must be stripped before fetching"
    )
    with crawled.sessions() as session:
        count = session.scalar(select(func.count()).select_from(ArticleRow))
    assert count == len(site.articles)


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("bomb", "too_large"),
        ("empty", "not_article"),
        ("junk", "not_article"),
        ("error500", "failed"),
        ("notfound", "gone"),
    ],
)
def test_bad_pages_are_skipped_with_a_reason(crawled: Crawled, page: str, status: str) -> None:
    record = crawled.seen(crawled.site.bad_paths[page])
    assert record is not None, f"{page} was not recorded"
    assert record.status == status and record.reason, (page, record.status, record.reason)
    assert crawled.first.outlets["Harbour Herald"]["status"] == "ok", "bad pages must not fail the outlet"


def test_stale_articles_are_not_fetched(crawled: Crawled) -> None:
    for path in crawled.site.old_paths:
        assert crawled.hits_after_second[path] == 0, f"{path} is older than max_age_days but was fetched"
        record = crawled.seen(path)
        assert record is not None and record.status == "too_old"


def test_second_crawl_fetches_no_article_page_twice(crawled: Crawled) -> None:
    transient = crawled.site.bad_paths["error500"]
    refetched = [
        path
        for path, count in crawled.hits_after_second.items()
        if count > 1 and not path.startswith(DISCOVERY_PATHS) and path != transient
    ]
    assert not refetched, f"fetched more than once across two crawls: {refetched}"
    assert crawled.second.outlets["Harbour Herald"]["stored"] == 0
    # A transient failure is retried by the next crawl, and its attempts are counted.
    assert crawled.hits_after_second[transient] > crawled.hits_after_first[transient]
    record = crawled.seen(transient)
    assert record is not None and record.attempts == 2


def test_runs_are_recorded_per_outlet(crawled: Crawled) -> None:
    with crawled.sessions() as session:
        runs = session.scalars(select(OutletRunRow).order_by(OutletRunRow.run_id)).all()
    assert [(r.status, r.stored) for r in runs] == [("ok", len(crawled.site.articles)), ("ok", 0)]


@pytest.fixture
def wire() -> Iterator[NewsSite]:
    site = build_second_outlet()
    yield site
    stop_sites(site.server)


def test_unreachable_outlet_is_reported_and_the_others_go_on(
    db_url: str, tmp_path: Path, wire: NewsSite, capfd: pytest.CaptureFixture[str]
) -> None:
    dead = build_unreachable_url()
    path = write_config(
        tmp_path,
        [
            {"name": "Coast Daily Wire", "url": wire.url("/"), "feeds": [wire.feed_url]},
            {"name": "Gone Gazette", "url": dead, "feeds": [dead + "rss.xml"]},
        ],
        database=db_url,
    )
    result = run_cli("--config", str(path), "crawl")
    assert result.exit_code == 1, result.output
    assert "Gone Gazette" in result.output and "failed" in result.output
    folded = "".join(ch for ch in result.output if ch.isalnum())  # the error column wraps
    assert "connectionrefused" in folded, "the table says what went wrong"
    assert "WARNING" not in capfd.readouterr().err, "without -v, the table alone reports the outlets' errors"
    engine, sessions = open_database(db_url)
    with sessions() as session:
        runs = {
            r.outlet.name if hasattr(r, "outlet") else r.outlet_id: r for r in session.scalars(select(OutletRunRow))
        }
        statuses = sorted((r.status, r.stored, bool(r.error)) for r in runs.values())
        stored = session.scalar(select(func.count()).select_from(ArticleRow))
    engine.dispose()
    assert statuses == [("failed", 0, True), ("ok", len(wire.articles), False)]
    assert stored == len(wire.articles)
    verbose = run_cli("--config", str(path), "crawl", "-v")
    assert verbose.exit_code == 1
    log = capfd.readouterr().err  # the crawl process's own log
    assert "connection refused" in log and "Traceback" not in log, "an unreachable site is one line, not a traceback"


@dataclass
class ShortCrawls:
    """Two crawls into one database: the Herald's listing alone, two pages deep, beside an
    outlet whose only source is an archive page linking to an old article with no date (on a
    Herald of its own); then the Herald's feed alone, under a cap of two articles."""

    herald: NewsSite
    undated_site: NewsSite
    old_article: str
    first: CrawlResult
    hits_after_first: Counter[str]
    capped: CrawlResult


@pytest.fixture(scope="module", params=BACKENDS)
def short_crawls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShortCrawls]:
    directory = tmp_path_factory.mktemp(f"short-{request.param}")
    herald, undated_site = build_harbour_herald(), build_harbour_herald()
    try:
        old_article = next(path for path in undated_site.old_paths if path.endswith(".html") and "2026/01" not in path)
        undated_site.server.routes["/archive/"] = Route(
            f'<html><body><h1>Archive</h1><a href="{old_article}">An old story</a></body></html>'.encode()
        )
        listing_only = herald_outlet(herald, feeds=[], sitemaps=[], max_listing_pages=2)
        undated = herald_outlet(
            undated_site, name="Herald archive", feeds=[], sitemaps=[], listings=[undated_site.url("/archive/")]
        )
        for url in backend_url(request, directory):
            config = make_config(directory / "first", [listing_only, undated], database=url)
            first = run_crawl(config, config.enabled_outlets)
            hits_after_first = Counter(herald.server.requests)
            capped = herald_outlet(herald, name="Harbour Herald capped", listings=[], sitemaps=[])
            config = make_config(directory / "cap", [capped], database=url, max_articles_per_outlet=2)
            yield ShortCrawls(
                herald, undated_site, old_article, first, hits_after_first, run_crawl(config, config.enabled_outlets)
            )
    finally:
        stop_sites(herald.server, undated_site.server)


def test_listing_depth(short_crawls: ShortCrawls) -> None:
    assert short_crawls.hits_after_first["/world/?page=3"] == 0
    assert short_crawls.first.outlets["Harbour Herald"]["stored"] == 3  # 2 on page 1, 1 on page 2


def test_article_cap(short_crawls: ShortCrawls) -> None:
    tally = short_crawls.capped.outlets["Harbour Herald capped"]
    assert tally["queued"] == 2, tally


def test_undated_links_are_judged_by_age_after_extraction(short_crawls: ShortCrawls) -> None:
    tally = short_crawls.first.outlets["Herald archive"]
    hits = short_crawls.undated_site.server.hits(short_crawls.old_article)
    assert hits == 1, "a listing link has no date: it must be fetched to learn it"
    assert (tally["stored"], tally["too_old"]) == (0, 1), tally


@pytest.fixture
def two_sites() -> Iterator[tuple[NewsSite, NewsSite]]:
    herald, wire = build_harbour_herald(), build_second_outlet()
    yield herald, wire
    stop_sites(herald.server, wire.server)


def test_outlets_check_counts_links_without_storing(tmp_path: Path, two_sites: tuple[NewsSite, NewsSite]) -> None:
    herald, wire = two_sites
    dead = build_unreachable_url()
    path = write_config(
        tmp_path,
        [
            herald_outlet(herald),
            {"name": "Coast Daily Wire", "url": wire.url("/"), "feeds": [wire.feed_url]},
            {"name": "Gone Gazette", "url": dead, "feeds": [dead + "rss.xml"]},
            {
                "name": "Quiet Post",
                "url": wire.url("/"),
                "feeds": [wire.url("/quiet.xml")],
                "enabled": False,
                "disabled_reason": "no public source confirms the feed",
            },
        ],
        database=f"sqlite:///{tmp_path / 'check.db'}",
    )
    result = run_cli("--config", str(path), "outlets", "check")
    assert "Disabled: Quiet Post (no public source confirms the feed)" in result.output
    assert "/quiet.xml" not in wire.server.requests, "a disabled outlet is not fetched"
    assert result.exit_code == 1, result.output
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:]]
        for line in result.output.splitlines()
        if line.startswith("│")
    }
    assert rows["Coast Daily Wire"][:3] == ["1", "0", str(len(wire.articles))]
    assert rows["Gone Gazette"][:3] == ["0", "1", "0"] and "connection refused" in rows["Gone Gazette"][3]
    assert int(rows["Harbour Herald"][2]) >= len(herald.articles)
    article_paths = {a.path for a in herald.articles} | {a.path for a in wire.articles}
    fetched = set(herald.server.requests) | set(wire.server.requests)
    assert not fetched & article_paths, "outlets check must not fetch article pages"
    assert "need attention" in result.output and "Gone Gazette" in result.output


def test_init_creates_and_migrates(db_url: str) -> None:
    result = run_cli("--db", db_url, "init")
    assert result.exit_code == 0 and "Database ready" in result.output
    assert "Database ready" in run_cli("--db", db_url, "init").output


def test_an_archive_that_cannot_be_opened_stops_the_crawl_process_it_started(tmp_path: Path) -> None:
    """The crawl process starts before the archive is opened (its fork server loads meanwhile):
    when the archive cannot be opened, the error is the caller's and no process is left behind."""
    import multiprocessing

    from newsalert.crawler import runner
    from newsalert.storage.db import DatabaseError

    (tmp_path / "not-a-folder").write_text("a file where the database's folder should be")
    outlets = [{"name": "Nowhere", "url": "http://127.0.0.1:9/", "feeds": ["http://127.0.0.1:9/rss.xml"]}]
    config = make_config(tmp_path, outlets, database=f"sqlite:///{tmp_path / 'not-a-folder' / 'news.db'}")
    with pytest.raises(DatabaseError):
        run_crawl(config, config.enabled_outlets)
    assert not runner._running
    assert not [child for child in multiprocessing.active_children() if child.name == "newsalert-crawl"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads a process's signal handlers in /proc")
def test_a_stop_asked_for_while_the_crawl_process_sets_up_is_honoured_once_it_can_stop(
    tmp_path: Path, serve: Callable[..., SiteServer]
) -> None:
    """The crawl process waits for its plan while the parent records the run; a SIGTERM then
    (a service stopping) is kept, and the crawl does not start: nothing is fetched, and the
    run is reported interrupted, not crawled to its end."""
    import multiprocessing
    import os
    import signal

    from newsalert.crawler import runner

    site = serve({"/rss.xml": Route(b"<rss><channel></channel></rss>", content_type="application/rss+xml")})
    outlets = [{"name": "Early", "url": site.url("/"), "feeds": [site.url("/rss.xml")]}]
    config = make_config(tmp_path, outlets, database=f"sqlite:///{tmp_path / 'news.db'}", extract_workers=0)
    runner._record_start(config, config.enabled_outlets, "manual", True, None, None)  # as the parent does
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    receive_plan, send_plan = context.Pipe(duplex=False)
    child = context.Process(target=runner._crawl_in_child, args=(None, receive_plan, messages, False))
    child.start()
    receive_plan.close()
    try:
        while not _catches(child.pid, signal.SIGTERM):  # its own handler is in place: it waits for the plan
            assert child.is_alive(), "the crawl process ended before it waited for its plan"
            child.join(0.01)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGTERM)
        send_plan.send(runner.CrawlPlan(config, ["Early"], None, False, "WARNING"))
        final = messages.get(timeout=30)
    finally:
        send_plan.close()
        child.join(30)
        if child.is_alive():
            child.kill()
    assert final["final"] and final["status"] == "interrupted", final
    assert site.requests == []


def _catches(pid: int | None, signum: int) -> bool:
    """Whether process `pid` has a handler of its own for `signum` (Linux: SigCgt)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(caught >> (signum - 1) & 1)
