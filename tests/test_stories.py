"""Stories across outlets: a syndicated copy joins the original's cluster, through the real crawl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.crawler.runner import run_crawl
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, SeenUrlRow
from tests.helpers import make_config, run_cli, stop_sites
from tests.sites import ARTICLE_PATH_PATTERN, NewsSite, build_harbour_herald

pytestmark = pytest.mark.slow
CREDIT = "This report first appeared in The Harbour Herald and is republished under a content-sharing agreement."


def syndicate(herald: NewsSite, path: str) -> SiteServer:
    """A second outlet carrying a copy of a Herald article: new headline, credit line added."""
    original = next(a for a in herald.articles if a.path == path)
    html = herald.server.routes[path].body.decode("utf-8")
    html = html.replace(original.title, "Coast wire: " + original.title.lower(), 3)
    html = html.replace(original.marker, f"{original.marker} {CREDIT}", 1)
    copy_path = "/wire/2026/shared-story.html"
    wire = SiteServer().start()
    wire.routes[copy_path] = Route(html.encode("utf-8"))
    item = (
        f"<item><title>Coast wire copy</title><link>{wire.url(copy_path)}</link>"
        f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate></item>"
    )
    wire.routes["/feed.xml"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{item}</channel></rss>'.encode(),
        content_type="application/rss+xml",
    )
    return wire


@pytest.fixture
def outlets() -> Iterator[tuple[NewsSite, SiteServer, str]]:
    herald = build_harbour_herald()
    original = next(a for a in herald.articles if a.discovered_by == "feed")
    wire = syndicate(herald, original.path)
    yield herald, wire, original.path
    stop_sites(herald.server, wire)


def _outlets(herald: NewsSite, wire: SiteServer) -> list[dict[str, object]]:
    return [
        {
            "name": "Harbour Herald",
            "url": herald.url("/"),
            "feeds": [herald.feed_url],
            "article_url_pattern": ARTICLE_PATH_PATTERN,
        },
        {"name": "Coast Wire", "url": wire.url("/"), "feeds": [wire.url("/feed.xml")]},
    ]


@pytest.mark.parametrize("separate_runs", [False, True], ids=["one-run", "separate-runs"])
def test_syndicated_copy_joins_the_original_story(
    db_url: str, tmp_path: Path, separate_runs: bool, outlets: tuple[NewsSite, SiteServer, str]
) -> None:
    herald, wire, original_path = outlets
    config = make_config(tmp_path, _outlets(herald, wire), database=db_url)
    if separate_runs:
        run_crawl(config, config.select_outlets(["Harbour Herald"]))
        run_crawl(config, config.select_outlets(["Coast Wire"]))
    else:
        run_crawl(config, config.enabled_outlets)
    engine, sessions = open_database(db_url)
    with sessions() as session:
        original = session.scalar(select(ArticleRow).where(ArticleRow.url == herald.url(original_path)))
        copy = session.scalar(select(ArticleRow).where(ArticleRow.url.like("%/wire/%")))
        archived = [(a.id, a.url, a.cluster_id) for a in session.scalars(select(ArticleRow))]
        ledger = [(s.url, s.status, s.reason) for s in session.scalars(select(SeenUrlRow))]
    engine.dispose()
    assert original is not None and copy is not None, (archived, ledger)
    others = [row for row in archived if row[0] not in (original.id, copy.id)]
    assert copy.cluster_id == original.cluster_id, (archived, ledger)
    assert all(cluster not in (None, original.cluster_id) for _, _, cluster in others), (
        "different stories must not join the syndicated story",
        archived,
    )

    shown = run_cli("--db", db_url, "show", str(original.id), "--format", "json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["cluster_size"] == 2 and data["duplicates"] == [copy.url]


def test_off_topic_pages_are_remembered_and_never_fetched_again(
    tmp_path: Path, outlets: tuple[NewsSite, SiteServer, str]
) -> None:
    herald, wire, _ = outlets
    database = f"sqlite:///{tmp_path / 'topic.db'}"
    config = make_config(tmp_path, _outlets(herald, wire)[:1], database=database, topics=True)
    first = run_crawl(config, config.enabled_outlets)
    herald.server.requests.clear()
    run_crawl(config, config.enabled_outlets)
    engine, sessions = open_database(database)
    with sessions() as session:
        off_topic = session.scalars(select(SeenUrlRow).where(SeenUrlRow.status == "off_topic")).all()
        kept = session.scalars(select(ArticleRow)).all()
    engine.dispose()
    assert first.outlets["Harbour Herald"]["irrelevant"] == len(off_topic) > 0
    assert kept and all(a.relevance is not None and a.relevance >= 6 and a.matched_terms for a in kept)
    assert all(r.relevance is not None and r.relevance < 6 and r.reason.startswith("relevance") for r in off_topic)
    refetched = {url.split("/", 3)[-1] for url in (r.url for r in off_topic)} & {
        p.lstrip("/") for p in herald.server.requests
    }
    assert not refetched, f"off-topic pages fetched again: {refetched}"
