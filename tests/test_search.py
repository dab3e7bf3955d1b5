"""Full-text search on SQLite and PostgreSQL: ranking, phrases, OR, exclusion, accents, Chinese."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from newsalert.config.models import Outlet
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from tests.helpers import BACKENDS, backend_url, run_cli

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


@pytest.fixture(scope="module", params=BACKENDS)
def archive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, int]]]:
    """The seven articles above, once per backend for the module: the tests only read them."""
    for db_url in backend_url(request, tmp_path_factory.mktemp("search")):
        yield db_url, _fill_archive(db_url)


def _fill_archive(db_url: str) -> dict[str, int]:
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
    return ids


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


# --- Ranking bounded to windows of the newest matches (search.RANK_WINDOW) --------------------

WINDOW = 4  # stands in for search.RANK_WINDOW, so that a few articles fill several windows


Many = tuple[Any, dict[int, dict[str, Any]]]  # the sessions, and each article's facts by id


@pytest.fixture(scope="module", params=BACKENDS)
def many_stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Many]:
    """The articles of `many`, once per backend for the module."""
    for db_url in backend_url(request, tmp_path_factory.mktemp("many")):
        yield from _many(db_url)


@pytest.fixture
def many(many_stored: Many, monkeypatch: pytest.MonkeyPatch) -> Many:
    """Eighteen articles a day apart (id 1 the newest), on two outlets, in English and French,
    every third tagged KE; the word "cooperation" in most, in the title of the oldest ones (so
    that the best-ranked matches are the oldest), "kenya" or "nigeria" in some, "loan" in a few.
    Shared by the module's tests, which only read them (see `many_to_change`)."""
    from newsalert.storage import search

    monkeypatch.setattr(search, "RANK_WINDOW", WINDOW)
    return many_stored


@pytest.fixture
def many_to_change(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Many]:
    """The articles of `many`, in a database of the test's own."""
    from newsalert.storage import search

    monkeypatch.setattr(search, "RANK_WINDOW", WINDOW)
    yield from _many(db_url)


def _many(db_url: str) -> Iterator[Many]:
    from datetime import timedelta

    from newsalert.domain import Tag

    engine, sessions = open_database(db_url)
    now = datetime.now(UTC)
    facts: dict[int, dict[str, Any]] = {}
    with sessions.begin() as session:
        outlets = ledger.sync_outlets(
            session, [Outlet(name=n, url=f"https://{n}.example/", feeds=[f"https://{n}.example/rss"]) for n in "ab"]
        )
        for number in range(18):
            words = {"cooperation"} if number % 6 != 5 else set()
            words |= {"kenya"} if number % 3 == 0 else {"nigeria"} if number % 3 == 1 else set()
            words |= {"loan"} if number % 4 == 0 else set()
            title = "Cooperation cooperation" if number >= 12 and "cooperation" in words else "Weekly notes"
            article_id = article_store.insert_article(
                session,
                {
                    "outlet_id": outlets["ab"[number % 2]],
                    "canonical_url": f"https://a.example/{number}",
                    "url": f"https://a.example/{number}",
                    "title": title,
                    "text": "Filler words about the week. " + " ".join(sorted(words)),
                    "content_hash": str(number),
                    "fetched_at": now,
                    "published_at": now - timedelta(days=number),
                    "language": "fr" if number % 5 == 0 else "en",
                },
            )
            assert article_id is not None
            if number % 3 == 0:
                article_store.add_tags(session, article_id, [Tag("country", "KE", "Kenya", 5.0)])
            facts[article_id] = {"age": number, "words": words, "outlet": "ab"[number % 2], "title": title}
    yield sessions, facts
    engine.dispose()


def newest_first(facts: dict[int, dict[str, Any]], keep: Any) -> list[int]:
    return sorted((i for i, fact in facts.items() if keep(fact)), key=lambda i: facts[i]["age"])


def run_search(sessions: Any, **options: Any) -> Any:
    from newsalert.storage import search

    with sessions() as session:
        return search.search(session, search.SearchFilters(**options))


def test_a_common_word_ranks_the_newest_window_first(many: Many) -> None:
    sessions, facts = many
    matching = newest_first(facts, lambda fact: "cooperation" in fact["words"])
    assert len(matching) > 3 * WINDOW
    page = run_search(sessions, query="cooperation", limit=2)
    assert {a.id for a in page.articles} <= set(matching[:WINDOW]), "a page holds the newest matches, not the best"
    assert (page.matches, page.more) == (WINDOW, True), "more match than the window counted"
    everything = run_search(sessions, query="cooperation", limit=50)
    ids = [a.id for a in everything.articles]
    assert (everything.matches, everything.more) == (len(matching), False)
    for start in range(0, len(matching), WINDOW):  # window by window: the same articles, ranked within
        assert set(ids[start : start + WINDOW]) == set(matching[start : start + WINDOW])
    for start in range(0, len(ids), WINDOW):
        in_title = [facts[i]["title"] != "Weekly notes" for i in ids[start : start + WINDOW]]
        assert in_title == sorted(in_title, reverse=True), "title hits rank first within their window"
    assert facts[ids[-1]]["title"] != "Weekly notes", "the best-ranked matches, the oldest, come last"
    pages = [
        a.id
        for offset in range(0, 16, 3)
        for a in run_search(sessions, query="cooperation", limit=3, offset=offset).articles
    ]
    assert pages == ids[: len(pages)], "pages across windows follow the same order"
    by_date = run_search(sessions, query="cooperation", sort="date", limit=50)
    assert [a.id for a in by_date.articles] == matching, "sort by date is exact"


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("kenya OR nigeria", lambda words: "kenya" in words or "nigeria" in words),
        ("kenya OR nigeria -loan", lambda words: ("kenya" in words or "nigeria" in words) and "loan" not in words),
        ("cooperation -kenya", lambda words: "cooperation" in words and "kenya" not in words),
    ],
)
def test_or_and_exclusion_are_exact_beyond_the_window(many: Many, query: str, keep: Any) -> None:
    sessions, facts = many
    expected = newest_first(facts, lambda fact: keep(fact["words"]))
    assert len(expected) > WINDOW
    page = run_search(sessions, query=query, limit=50)
    assert sorted(a.id for a in page.articles) == sorted(expected)
    assert {a.id for a in page.articles[:WINDOW]} == set(expected[:WINDOW])
    assert (page.matches, page.more) == (len(expected), False)


@pytest.mark.parametrize(
    ("options", "keep"),
    [
        ({"outlets": ("A",)}, lambda fact: fact["outlet"] == "a"),
        ({"languages": ("fr",)}, lambda fact: fact["age"] % 5 == 0),
        ({"countries": ("ke",)}, lambda fact: fact["age"] % 3 == 0),
        ({"since_days": 9}, lambda fact: fact["age"] < 9),
        ({"until_days": 9, "outlets": ("b",)}, lambda fact: fact["age"] > 9 and fact["outlet"] == "b"),
    ],
)
def test_filters_are_exact_beyond_the_window(many: Many, options: dict[str, Any], keep: Any) -> None:
    from datetime import timedelta

    sessions, facts = many
    now = datetime.now(UTC)
    if "since_days" in options:  # from half a day before the day: age < since_days
        options["since"] = now - timedelta(days=options.pop("since_days") - 0.5)
    if "until_days" in options:  # to half a day after the day: age > until_days
        options["until"] = now - timedelta(days=options.pop("until_days") + 0.5)
    expected = newest_first(facts, lambda fact: "cooperation" in fact["words"] and keep(fact))
    page = run_search(sessions, query="cooperation", limit=50, **options)
    assert sorted(a.id for a in page.articles) == sorted(expected)
    assert {a.id for a in page.articles[:WINDOW]} == set(expected[:WINDOW]), "the window is the newest that pass"
    newest = run_search(sessions, limit=50, **options)  # without a query: every article that passes, newest first
    assert [a.id for a in newest.articles] == newest_first(facts, keep)


def test_the_search_table_follows_updates_and_deletes(many_to_change: Many) -> None:
    from datetime import timedelta

    from sqlalchemy import delete, update

    from newsalert.storage.models import ArticleRow

    sessions, facts = many_to_change
    matching = newest_first(facts, lambda fact: "cooperation" in fact["words"])
    newest, oldest = matching[:2], matching[-1]
    with sessions.begin() as session:  # a rescore finds the newest off topic; the oldest is re-dated
        session.execute(update(ArticleRow).where(ArticleRow.id == newest[0]).values(on_topic=False))
        when = datetime.now(UTC) + timedelta(hours=1)
        session.execute(update(ArticleRow).where(ArticleRow.id == oldest).values(published_at=when, fetched_at=when))
        session.execute(delete(ArticleRow).where(ArticleRow.id == newest[1]))
    ids = [a.id for a in run_search(sessions, query="cooperation", sort="date", limit=50).articles]
    assert newest[0] not in ids and newest[1] not in ids
    assert ids[0] == oldest
    off_topic = run_search(sessions, query="cooperation", sort="date", include_off_topic=True, limit=50)
    assert newest[0] in [a.id for a in off_topic.articles]


def test_the_upgrade_fills_the_search_table_from_an_existing_archive(db_url: str) -> None:
    """An archive at revision 0008 (the index then lived in articles_fts / articles.search_vector)
    is searchable after the upgrade, and keeps indexing what is stored afterwards."""
    from alembic import command
    from sqlalchemy import text

    from newsalert.storage.db import alembic_config, make_engine
    from newsalert.storage.fulltext import search_form

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0008")
    old_index = {
        "sqlite": "INSERT INTO articles_fts(rowid, title, body) VALUES (:id, :title, :body)",
        "postgresql": "UPDATE articles SET search_vector = setweight(to_tsvector('simple', :title), 'A') "
        "|| setweight(to_tsvector('simple', :body), 'B') WHERE id = :id",
    }[engine.dialect.name]
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = []
    with engine.begin() as connection:
        outlet_id = _raw_outlet(connection, now)
        for number, (title, body) in enumerate([("Coopération Sud-Sud", "un texte"), ("Other", "nothing here")]):
            article_id = connection.execute(
                text(
                    "INSERT INTO articles (outlet_id, canonical_url, url, title, text, content_hash, fetched_at,"
                    " on_topic) VALUES (:outlet, :url, :url, :title, :body, 'h', :now, :t) RETURNING id"
                ),
                {
                    "outlet": outlet_id,
                    "url": f"https://o/{number}",
                    "title": title,
                    "body": body,
                    "t": True,
                    "now": now,
                },
            ).scalar()
            ids.append(article_id)
            folded = {"id": article_id, "title": search_form(title), "body": search_form(body)}
            connection.execute(text(old_index), folded)
    engine.dispose()
    engine, sessions = open_database(db_url)  # upgrades to the head
    page = run_search(sessions, query="cooperation sud")
    assert [a.id for a in page.articles] == ids[:1] and (page.matches, page.more) == (1, False)
    with sessions.begin() as session:
        article_store.insert_article(
            session,
            {
                "outlet_id": outlet_id,
                "canonical_url": "https://o/new",
                "url": "https://o/new",
                "title": "Cooperation again",
                "text": "south south",
                "content_hash": "n",
                "fetched_at": datetime.now(UTC),
            },
        )
    assert [a.title for a in run_search(sessions, query="cooperation", sort="date").articles] == [
        "Cooperation again",
        "Coopération Sud-Sud",
    ]
    engine.dispose()


def _raw_outlet(connection: Any, now: datetime) -> int:
    """Outlet "O", written in SQL (a test's archive at an older revision than the models')."""
    from sqlalchemy import text

    return connection.execute(
        text(
            "INSERT INTO outlets (name, domain, url, enabled, created_at) VALUES ('O', 'o', 'u', :t, :now) RETURNING id"
        ),
        {"t": True, "now": now},
    ).scalar()


def test_windows_reach_back_past_the_recent_weeks(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Matches spread over two years: the first window is still the newest (PostgreSQL looks in
    the recent weeks first, then further back), and re-dating an article moves it."""
    from datetime import timedelta

    from sqlalchemy import update

    from newsalert.storage import search
    from newsalert.storage.models import ArticleRow

    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    engine, sessions = open_database(db_url)
    now, ids = datetime.now(UTC), {}
    with sessions.begin() as session:
        outlet = ledger.sync_outlets(
            session, [Outlet(name="O", url="https://o.example/", feeds=["https://o.example/r"])]
        )
        for weeks in (1, 3, 40, 100, 120):
            ids[weeks] = article_store.insert_article(
                session,
                {
                    "outlet_id": outlet["O"],
                    "canonical_url": f"https://o.example/{weeks}",
                    "url": f"https://o.example/{weeks}",
                    "title": "Cooperation" if weeks in (3, 100) else "Notes",
                    "text": "cooperation",
                    "content_hash": str(weeks),
                    "fetched_at": now,
                    "published_at": now - timedelta(weeks=weeks),
                },
            )
    page = run_search(sessions, query="cooperation", limit=50)
    assert [a.id for a in page.articles] == [ids[3], ids[1], ids[100], ids[40], ids[120]]
    first = run_search(sessions, query="cooperation", limit=1)
    assert [a.id for a in first.articles] == [ids[3]] and (first.matches, first.more) == (2, True)
    with sessions.begin() as session:
        session.execute(update(ArticleRow).where(ArticleRow.id == ids[120]).values(published_at=now))
    assert [a.id for a in run_search(sessions, query="cooperation", sort="date", limit=2).articles] == [
        ids[120],
        ids[1],
    ]
    engine.dispose()


def test_filters_follow_changed_tags_outlets_and_languages(many_to_change: Many) -> None:
    """The filters stay exact when an article's tags (a rescore), outlet or language change:
    on PostgreSQL they are lexemes of its vector, kept in step by triggers (revision 0012)."""
    from sqlalchemy import select, update

    from newsalert.domain import Tag
    from newsalert.storage.models import ArticleRow, OutletRow

    sessions, facts = many_to_change
    kenyan = newest_first(facts, lambda fact: fact["age"] % 3 == 0)
    other = newest_first(facts, lambda fact: fact["age"] % 3 == 1)[0]
    with sessions.begin() as session:
        article_store.replace_tags(session, kenyan[0], [Tag("theme", "trade", "Trade", 1.0)])
        article_store.replace_tags(session, other, [Tag("country", "KE", "Kenya", 1.0), Tag("theme", "trade", "", 1.0)])
        outlet_a = session.scalar(select(OutletRow.id).where(OutletRow.name == "a"))
        session.execute(update(ArticleRow).where(ArticleRow.id == other).values(outlet_id=outlet_a))
        session.execute(update(ArticleRow).where(ArticleRow.id == kenyan[1]).values(language="pt"))

    def found(**options: Any) -> set[int]:
        return {a.id for a in run_search(sessions, limit=50, include_off_topic=True, **options).articles}

    assert found(countries=("KE",)) == set(kenyan[1:]) | {other}
    assert found(tags=("country:ke", "TRADE")) == {other}
    assert found(tags=("theme:trade",)) == {kenyan[0], other}
    assert other in found(outlets=("a",)) and other not in found(outlets=("b",))
    assert found(languages=("pt",)) == {kenyan[1]} and kenyan[1] not in found(languages=("en",))
    assert found(query="cooperation", countries=("ZZ",)) == found(tags=("nothing",)) == found(outlets=("z",)) == set()
    assert found(languages=("x'y\\z",)) == found(languages=("toolonglanguage",)) == set()


def test_the_upgrade_gives_archived_articles_their_filter_lexemes(db_url: str) -> None:
    """An archive at revision 0011 (vectors without outlet, language and tag lexemes) filters
    exactly after the upgrade."""
    from alembic import command
    from sqlalchemy import text

    from newsalert.storage.db import alembic_config, make_engine

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0011")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        outlet_id = _raw_outlet(connection, now)
        tag_id = connection.execute(
            text("INSERT INTO tags (kind, code, label) VALUES ('country', 'KE', 'Kenya') RETURNING id")
        ).scalar()
        ids = []
        for number in range(2):
            article_id = connection.execute(
                text(
                    "INSERT INTO articles (outlet_id, canonical_url, url, title, text, content_hash, fetched_at,"
                    " language, on_topic)"
                    " VALUES (:outlet, :url, :url, 'Cooperation', 'cooperation', 'h', :now, 'fr', :t)"
                    " RETURNING id"
                ),
                {"outlet": outlet_id, "url": f"https://o/{number}", "now": now, "t": True},
            ).scalar()
            ids.append(article_id)
            if engine.dialect.name == "postgresql":  # the row as revision 0009 wrote it
                connection.execute(
                    text(
                        "INSERT INTO article_search"
                        " (article_id, published, outlet_id, language, on_topic, search_vector)"
                        " SELECT id, fetched_at, outlet_id, language, on_topic, to_tsvector('simple', 'cooperation')"
                        " || array_to_tsvector(ARRAY['week:' || to_char(fetched_at AT TIME ZONE 'UTC', 'IYYY-IW')])"
                        " FROM articles WHERE id = :id"
                    ),
                    {"id": article_id},
                )
            else:
                connection.execute(
                    text("INSERT INTO articles_fts(rowid, title, body) VALUES (:id, 'cooperation', 'cooperation')"),
                    {"id": article_id},
                )
        connection.execute(
            text("INSERT INTO article_tags (article_id, tag_id, salience) VALUES (:a, :t, 1)"),
            {"a": ids[0], "t": tag_id},
        )
    engine.dispose()
    engine, sessions = open_database(db_url)  # upgrades to the head
    for options in ({"countries": ("ke",)}, {"countries": ("KE",), "outlets": ("o",), "languages": ("FR",)}):
        for query in ("cooperation", None):
            assert [a.id for a in run_search(sessions, query=query, **options).articles] == ids[:1]
    assert {a.id for a in run_search(sessions, query="cooperation", outlets=("O",), languages=("fr",)).articles} == set(
        ids
    )
    engine.dispose()


def _store(sessions: Any, key: str, title: str, text: str) -> int:
    """An article of outlet "O", stored as the crawl stores it; its id."""
    with sessions.begin() as session:
        [outlet_id] = ledger.sync_outlets(
            session, [Outlet(name="O", url="https://o.example/", feeds=["https://o.example/rss"])]
        ).values()
        return article_store.insert_article(
            session,
            {
                "outlet_id": outlet_id,
                "canonical_url": f"https://o.example/{key}",
                "url": f"https://o.example/{key}",
                "title": title,
                "text": text,
                "content_hash": key,
                "fetched_at": datetime.now(UTC),
            },
        )


def _out_of_line_values(connection: Any) -> int:
    """How many values article_search keeps in its TOAST table (PostgreSQL)."""
    from sqlalchemy import text

    toast = connection.execute(
        text("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'article_search'::regclass")
    ).scalar()
    return connection.execute(text(f"SELECT count(DISTINCT chunk_id) FROM {toast}")).scalar()


def test_the_upgrade_moves_search_vectors_into_their_rows(postgres_server: str) -> None:
    """Revision 0013: a vector too long for a plain row, stored out of line before, is in its
    row after the upgrade, as is a new one; phrases are still found in both."""
    from alembic import command
    from sqlalchemy.orm import sessionmaker

    from newsalert.storage.db import alembic_config, make_engine
    from tests.helpers import postgres_schema

    # About 4 kB of vector: distinct words, each with its position.
    body = " ".join(f"word{number} development" for number in range(300)) + " the belt and road forum"
    for db_url in postgres_schema(postgres_server):
        engine = make_engine(db_url)
        command.upgrade(alembic_config(engine), "0012")
        for number in range(2):
            _store(sessionmaker(engine), str(number), "Forum", body)
        with engine.connect() as connection:
            assert _out_of_line_values(connection) == 2, "revision 0012 kept both vectors out of line"
        engine.dispose()

        engine, sessions = open_database(db_url)  # upgrades to the head
        _store(sessions, "2", "Forum", body)
        with engine.connect() as connection:
            assert _out_of_line_values(connection) == 0
        assert len(run_search(sessions, query='"belt and road"').articles) == 3
        assert run_search(sessions, query='"road and belt"').articles == []
        engine.dispose()


# (title, text) by key: "belt road" across the title's end and the text's start, in the title,
# in the text.
ACROSS_TITLE_AND_TEXT = {
    "across": ("Ministers open the new Belt", "Road works start in the spring."),
    "title": ("A belt road for the port", "Ministers met."),
    "body": ("Ministers met", "They spoke of a belt road for the port."),
}


def test_a_phrase_never_runs_from_the_title_into_the_body(db_url: str) -> None:
    """The title's last word and the body's first are not a phrase, on either backend; the
    same words side by side in the title or in the body are."""
    engine, sessions = open_database(db_url)
    ids = {key: _store(sessions, key, title, text) for key, (title, text) in ACROSS_TITLE_AND_TEXT.items()}
    assert {a.id for a in run_search(sessions, query='"belt road"').articles} == {ids["title"], ids["body"]}
    assert {a.id for a in run_search(sessions, query="belt road").articles} == set(ids.values())
    assert {a.id for a in run_search(sessions, query='belt -"belt road"').articles} == {ids["across"]}
    engine.dispose()


def test_the_upgrade_keeps_phrases_from_running_from_the_title_into_the_body(postgres_server: str) -> None:
    """Revision 0014: vectors written by revision 0013 put the title's last word beside the
    body's first; after the upgrade a phrase finds the same words in the title or in the body,
    never across the two, and the downgrade takes the position-keeping lexeme out again."""
    from alembic import command
    from sqlalchemy import text

    from newsalert.storage.db import alembic_config, make_engine
    from tests.helpers import postgres_schema

    for db_url in postgres_schema(postgres_server):
        engine = make_engine(db_url)
        command.upgrade(alembic_config(engine), "0013")
        now = datetime.now(UTC)
        ids = {}
        with engine.begin() as connection:
            outlet_id = _raw_outlet(connection, now)
            for key, (title, body) in ACROSS_TITLE_AND_TEXT.items():
                ids[key] = connection.execute(
                    text(
                        "INSERT INTO articles (outlet_id, canonical_url, url, title, text, content_hash, fetched_at,"
                        " language, on_topic) VALUES (:outlet, :url, :url, :title, :body, :url, :now, 'en', :t)"
                        " RETURNING id"
                    ),
                    {
                        "outlet": outlet_id,
                        "url": f"https://o/{key}",
                        "title": title,
                        "body": body,
                        "now": now,
                        "t": True,
                    },
                ).scalar()
                connection.execute(  # the row as revisions 0012 and 0013 wrote it
                    text(
                        "INSERT INTO article_search"
                        " (article_id, published, outlet_id, language, on_topic, search_vector)"
                        " SELECT id, fetched_at, outlet_id, language, on_topic,"
                        " setweight(to_tsvector('simple', lower(title)), 'A')"
                        " || setweight(to_tsvector('simple', lower(text)), 'B')"
                        " || array_to_tsvector(ARRAY['week:' || to_char(fetched_at AT TIME ZONE 'UTC', 'IYYY-IW'),"
                        " 'outlet:' || outlet_id, 'lang:' || language]) FROM articles WHERE id = :id"
                    ),
                    {"id": ids[key]},
                )
        engine.dispose()

        engine, sessions = open_database(db_url)  # upgrades to the head
        assert {a.id for a in run_search(sessions, query='"belt road"').articles} == {ids["title"], ids["body"]}
        assert {
            a.id for a in run_search(sessions, query='"road works"', languages=("en",), outlets=("O",)).articles
        } == {ids["across"]}
        assert run_search(sessions, query='"belt road"').articles[0].id == ids["title"]  # the title ranks first
        engine.dispose()

        command.downgrade(alembic_config(engine), "0013")
        with engine.connect() as connection:
            marked = "SELECT count(*) FROM article_search WHERE search_vector @@ '''title:end'''::tsquery"
            assert connection.execute(text(marked)).scalar() == 0
        engine.dispose()
