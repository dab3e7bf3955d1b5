"""Conditional re-crawls (crawler/conditional.py): unchanged sources are asked "changed since?"
and skipped, and only a pass that left no link behind lets a later crawl skip a source."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.http import Response
from sqlalchemy import select

from newsalert.config.models import Outlet
from newsalert.crawler.conditional import complete, header_value
from newsalert.crawler.demo.server import Route
from newsalert.crawler.runner import run_crawl
from newsalert.domain import OutletTally
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.models import SourceStateRow
from tests.helpers import make_config, stop_sites
from tests.sites import NewsSite, build_second_outlet

WIRE = "Coast Daily Wire"


@pytest.fixture
def wire() -> Iterator[NewsSite]:
    site = build_second_outlet()
    yield site
    stop_sites(site.server)


def feed_path(site: NewsSite) -> str:
    return site.feed_url.removeprefix(site.url(""))


@pytest.mark.slow
def test_unchanged_sources_are_skipped_once_a_pass_left_nothing_behind(tmp_path: Path, wire: NewsSite) -> None:
    feed = feed_path(wire)
    route = wire.server.routes[feed]
    wire.server.routes[feed] = replace(route, headers={**route.headers, "ETag": '"v1"'})
    # A second copy of the feed without validators: unchanged by its hash alone.
    wire.server.routes["/copy.xml"] = route
    failing = wire.articles[0].path
    page = wire.server.routes[failing]
    wire.server.routes[failing] = Route(b"busy", status=503)
    database = f"sqlite:///{tmp_path / 'archive.db'}"
    outlet = {"name": WIRE, "url": wire.url("/"), "feeds": [wire.feed_url, wire.url("/copy.xml")]}
    config = make_config(tmp_path, [outlet], database=database)
    engine, sessions = open_database(database)

    def saved() -> dict[str, tuple[str | None, bool]]:
        with sessions() as session:
            return {row.url: (row.etag, row.body_hash is not None) for row in session.scalars(select(SourceStateRow))}

    # A page fails: nothing may let a later crawl skip the sources that link to it.
    first = run_crawl(config, config.enabled_outlets).outlets[WIRE]
    assert first["failed"] == 1 and first["stored"] == len(wire.articles) - 1, first
    assert saved() == {}

    # The page answers now: the sources are read in full, and this pass is complete.
    wire.server.routes[failing] = page
    second = run_crawl(config, config.enabled_outlets).outlets[WIRE]
    assert wire.server.not_modified == [] and second["unchanged"] == 0 and second["stored"] == 1, second
    assert saved() == {wire.feed_url: ('"v1"', True), wire.url("/copy.xml"): (None, True)}

    # Nothing changed: the feed with an ETag is answered 304, the other is fetched and its
    # hash matches; neither is parsed.
    wire.server.requests.clear()
    third = run_crawl(config, config.enabled_outlets).outlets[WIRE]
    assert wire.server.not_modified == [feed] and wire.server.hits("/copy.xml") == 1
    assert third["unchanged"] == 2 and third["sources_ok"] == 2, third
    assert third["discovered"] == 0 and third["pages"] == 0 and third["status"] == "ok", third

    # The feed changes: a new ETag, and it is read in full again.
    new_item = f"<item><title>Extra</title><link>{wire.url('/coast/extra-story')}</link></item>"
    changed = route.body.replace(b"</channel>", new_item.encode() + b"</channel>")
    wire.server.routes[feed] = replace(route, body=changed, headers={**route.headers, "ETag": '"v2"'})
    fourth = run_crawl(config, config.enabled_outlets).outlets[WIRE]
    assert fourth["unchanged"] == 1 and fourth["discovered"] == len(wire.articles) + 1, fourth
    # The extra link answers 404 (settled as gone): the pass is complete, the new ETag kept.
    assert saved()[wire.feed_url] == ('"v2"', True)
    engine.dispose()


@pytest.mark.parametrize(
    ("tally", "expected"),
    [
        (OutletTally(discovered=5, known=2, too_old=1, queued=2), True),
        (OutletTally(discovered=5, known=2, queued=2), False),  # one link left out by the cap
        (OutletTally(discovered=2, queued=2, failed=1), False),
        (OutletTally(sources_ok=1, sources_failed=1), False),
        (OutletTally(sources_ok=2, unchanged=2), True),
    ],
)
def test_only_a_pass_that_left_nothing_behind_is_complete(tally: OutletTally, expected: bool) -> None:
    assert complete(tally) is expected


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (b'"abc-123"', '"abc-123"'),
        (b'W/"weak"', 'W/"weak"'),
        (b'"evil"\r\nX-Injected: 1', None),
        (b"\x00\x01", None),
        (b'"' + b"x" * 600 + b'"', None),
        (b"", None),
    ],
)
def test_validators_are_kept_only_as_a_short_printable_line(raw: bytes, kept: str | None) -> None:
    response = Response("http://example.org/feed.xml", headers={"ETag": raw} if raw else {})
    assert header_value(response, "ETag", 512) == kept


def test_source_states_are_replaced_not_duplicated(db_url: str) -> None:
    engine, sessions = open_database(db_url)
    outlet = Outlet(name="Example", url="https://example.org/", feeds=["https://example.org/rss"])
    with sessions.begin() as session:
        [outlet_id] = ledger.sync_outlets(session, [outlet]).values()
        first = ledger.SourceState("https://example.org/rss", outlet_id, '"a"', None, "h1", "j")
        ledger.save_source_states(session, [first])
    with sessions.begin() as session:
        ledger.save_source_states(session, [replace(first, etag='"b"', body_hash="h2")])
    with sessions() as session:
        states = ledger.source_states(session, [outlet_id])
    engine.dispose()
    assert states == {first.url: replace(first, etag='"b"', body_hash="h2")}
