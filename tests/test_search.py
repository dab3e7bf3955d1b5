"""Full-text search on SQLite and PostgreSQL: ranking, phrases, OR, exclusion, accents, Chinese."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from newsalert.config.models import Outlet
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from tests.helpers import run_cli

ARTICLES = {
    "title-hit": ("South-South cooperation reaches the Sahel", "A short report on training centres."),
    "body-hit": (
        "Ministers meet in Dakar",
        "They discussed south-south cooperation once, among other things, "
        "such as budgets, roads and schools for the coming year.",
    ),
    "french": ("La coopération Sud-Sud s'étend", "Des ingénieurs marocains forment des techniciens maliens."),
    "chinese": ("中国与肯尼亚深化南南合作", "双方在一带一路框架下签署了培训协议，推动南南合作。"),
    "cooperative": ("农民专业合作社分红", "合作社今年收成很好，社员获得分红。"),
    "football": (
        "Harbour FC lift the south stand",
        "The south stand sang as cooperation between the lines improved; football fans were delighted.",
    ),
    "brics": ("BRICS bank funds a solar park", "The New Development Bank approved the loan."),
}


# Per article: outlet, language, days since publication, country tags (for the filter tests).
DETAILS = {
    "title-hit": ("Wire", "en", 1, ["SN"]),
    "body-hit": ("Wire", "en", 3, ["SN"]),
    "french": ("Courrier", "fr", 10, ["MA", "ML"]),
    "chinese": ("Courrier", "zh", 20, ["CN", "KE"]),
    "cooperative": ("Courrier", "zh", 40, ["CN"]),
    "football": ("Wire", "en", 2, []),
    "brics": ("Wire", "en", 5, ["ZA"]),
}
REGIONS = {"SN": "africa", "MA": "africa", "ML": "africa", "KE": "africa", "ZA": "africa", "CN": "asia"}


@pytest.fixture
def archive(db_url: str) -> Iterator[tuple[str, dict[str, int]]]:
    from datetime import timedelta

    from newsalert.domain import Tag

    engine, sessions = open_database(db_url)
    ids = {}
    now = datetime.now(UTC)
    with sessions.begin() as session:
        outlets = ledger.sync_outlets(
            session,
            [
                Outlet(name=name, url=f"https://{name.lower()}.example/", feeds=[f"https://{name.lower()}.example/rss"])
                for name in ("Wire", "Courrier")
            ],
        )
        for key, (title, text) in ARTICLES.items():
            outlet, language, days, countries = DETAILS[key]
            ids[key] = article_store.insert_article(
                session,
                {
                    "outlet_id": outlets[outlet],
                    "canonical_url": f"https://wire.example/{key}",
                    "url": f"https://wire.example/{key}",
                    "title": title,
                    "text": text,
                    "content_hash": key,
                    "fetched_at": now,
                    "published_at": now - timedelta(days=days),
                    "language": language,
                },
            )
            article_store.add_tags(
                session,
                ids[key],
                [Tag("country", c, c, 5.0) for c in countries]
                + [Tag("region", r, r, 5.0) for r in sorted({REGIONS[c] for c in countries})]
                + ([Tag("initiative", "BRI", "Belt and Road", 3.0)] if key == "chinese" else []),
            )
    engine.dispose()
    yield db_url, ids


def found(archive: tuple[str, dict[str, int]], query: str) -> list[str]:
    db_url, ids = archive
    result = run_cli("--db", db_url, "search", query, "--format", "json", "--limit", "50")
    assert result.exit_code == 0, result.output
    by_id = {v: k for k, v in ids.items()}
    return [by_id[a["id"]] for a in json.loads(result.output)]


def test_title_matches_rank_first(archive: tuple[str, dict[str, int]]) -> None:
    assert found(archive, "south-south cooperation")[:2] == ["title-hit", "body-hit"]


def test_accents_do_not_matter(archive: tuple[str, dict[str, int]]) -> None:
    assert "french" in found(archive, "cooperation sud")
    assert set(found(archive, "coopération")) >= {"french", "title-hit", "body-hit"}


def test_phrases_or_and_exclusion(archive: tuple[str, dict[str, int]]) -> None:
    assert "football" not in found(archive, '"south-south cooperation"')
    assert "football" in found(archive, "south cooperation")
    assert set(found(archive, "BRICS OR Sahel")) == {"brics", "title-hit"}
    assert found(archive, "cooperation -football -sahel") == ["body-hit"] or set(
        found(archive, "cooperation -football -sahel")
    ) == {"body-hit", "french"}


def test_chinese_is_searchable(archive: tuple[str, dict[str, int]]) -> None:
    assert found(archive, "南南合作") == ["chinese"], "合作社 (cooperative) must not match 南南合作"
    assert found(archive, "一带一路") == ["chinese"]
    assert set(found(archive, "合作")) == {"chinese", "cooperative"}


@pytest.mark.parametrize(
    ("query", "code"), [("'; DROP TABLE articles; --", 0), ('"unbalanced', 2), ("NEAR(", 0), ("*", 2), ("-football", 2)]
)
def test_hostile_queries_are_harmless(archive: tuple[str, dict[str, int]], query: str, code: int) -> None:
    db_url, ids = archive
    result = run_cli("--db", db_url, "search", "--format", "json", "--", query)  # -- : a query may start with -
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    if code == 2:
        assert len(result.output.strip().splitlines()) == 1
    everything = run_cli("--db", db_url, "search", "--format", "json", "--limit", "50")
    assert len(json.loads(everything.output)) == len(ids), "the archive must be intact"


def test_sort_by_date_collapse_and_ndjson(archive: tuple[str, dict[str, int]]) -> None:
    db_url, ids = archive
    by_date = run_cli("--db", db_url, "search", "cooperation", "--sort", "date", "--format", "json")
    dates = [a["fetched_at"] for a in json.loads(by_date.output)]
    assert dates == sorted(dates, reverse=True)
    lines = run_cli("--db", db_url, "search", "--format", "ndjson", "--limit", "50").output.splitlines()
    assert len(lines) == len(ids) and all(json.loads(line)["url"].startswith("https://") for line in lines)
    collapsed = run_cli("--db", db_url, "search", "--collapse", "--format", "json", "--limit", "50")
    assert len(json.loads(collapsed.output)) == len(ids), "without clusters every article is its own story"


def test_snippets_highlight_the_matched_words() -> None:
    from newsalert.service.terminal import highlighted_snippet

    text = "Budgets came first. " * 10 + "Then the Coopération Sud-Sud programme was discussed at length."
    snippet = highlighted_snippet(text, [("cooperation", "sud", "sud")])
    assert snippet.plain.startswith("…") and "Coopération Sud-Sud" in snippet.plain
    bold = [snippet.plain[span.start : span.end] for span in snippet.spans if "bold" in str(span.style)]
    assert bold == ["Coopération Sud-Sud"]


def test_stats_per_day_tag_and_yield_drop(db_url: str) -> None:
    from datetime import timedelta

    from newsalert.domain import Tag

    engine, sessions = open_database(db_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        ids = ledger.sync_outlets(
            session,
            [
                Outlet(name=name, url=f"https://{name}.example/", feeds=[f"https://{name}.example/rss"])
                for name in ("steady", "fading")
            ],
        )
        tags = [Tag("country", "KE", "Kenya", 5), Tag("theme", "trade", "Trade", 3)]
        for number in range(12):  # "fading": three articles a week for four weeks, then none
            when = now - timedelta(days=8 + number * 2)
            article_id = article_store.insert_article(
                session,
                {
                    "outlet_id": ids["fading"],
                    "canonical_url": f"https://x.example/{number}",
                    "url": f"https://x.example/{number}",
                    "title": f"Story {number}",
                    "text": "cooperation " * 60,
                    "content_hash": str(number),
                    "fetched_at": when,
                    "published_at": when,
                },
            )
            article_store.add_tags(session, article_id, tags)
        article_store.insert_article(
            session,
            {
                "outlet_id": ids["steady"],
                "canonical_url": "https://x.example/s",
                "url": "https://x.example/s",
                "title": "Today",
                "text": "cooperation " * 60,
                "content_hash": "s",
                "fetched_at": now,
                "published_at": now,
            },
        )
    engine.dispose()
    stats = json.loads(run_cli("--db", db_url, "stats", "--since", "60d", "--format", "json").output)
    assert sum(day["articles"] for day in stats["per_day"]) == 13
    assert stats["per_country"] == [{"country": "KE", "name": "Kenya", "articles": 12}]
    assert stats["per_theme"][0]["theme"] == "trade"
    health = {h["name"]: h for h in stats["outlets_health"]}
    assert health["fading"]["yield_dropped"] and not health["steady"]["yield_dropped"]
    table = run_cli("--db", db_url, "stats", "--since", "60d")
    assert table.exit_code == 0 and "▁" in table.output and "↓" in table.output


FILTERS = [
    (["--since", "4d"], {"title-hit", "body-hit", "football"}),
    (["--until", "15d"], {"chinese", "cooperative"}),
    (["--since", "30d", "--until", "4d"], {"french", "chinese", "brics"}),
    (["--outlet", "courrier"], {"french", "chinese", "cooperative"}),
    (["--lang", "fr", "--lang", "zh"], {"french", "chinese", "cooperative"}),
    (["--country", "ke", "--country", "ZA"], {"chinese", "brics"}),
    (["--region", "asia"], {"chinese", "cooperative"}),
    (["--tag", "BRI"], {"chinese"}),
    (["--tag", "country:CN", "--tag", "region:africa"], {"chinese"}),
]


@pytest.mark.parametrize(("options", "expected"), FILTERS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_each_filter(archive: tuple[str, dict[str, int]], options: list[str], expected: set[str]) -> None:
    db_url, ids = archive
    result = run_cli("--db", db_url, "search", *options, "--format", "json", "--limit", "50")
    assert result.exit_code == 0, result.output
    by_id = {v: k for k, v in ids.items()}
    assert {by_id[a["id"]] for a in json.loads(result.output)} == expected


def test_limit_offset_and_every_format(archive: tuple[str, dict[str, int]]) -> None:
    db_url, _ = archive
    everything = json.loads(run_cli("--db", db_url, "search", "--format", "json", "--limit", "50").output)
    page = json.loads(run_cli("--db", db_url, "search", "--format", "json", "--limit", "2", "--offset", "3").output)
    assert [a["id"] for a in page] == [a["id"] for a in everything[3:5]]
    csv_lines = run_cli("--db", db_url, "search", "cooperation", "--format", "csv").output.splitlines()
    assert csv_lines[0].startswith("id,url,title,outlet") and len(csv_lines) == 1 + len(found(archive, "cooperation"))
    table = run_cli("--db", db_url, "search", "cooperation")
    assert table.exit_code == 0 and "South-South cooperation reaches the Sahel" in table.output
    assert all(
        json.loads(line)["outlet"] in ("Wire", "Courrier")
        for line in run_cli("--db", db_url, "search", "--format", "ndjson").output.splitlines()
    )
