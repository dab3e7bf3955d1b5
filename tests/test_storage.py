"""The archive schema: migrations match the models, and the database enforces uniqueness."""

from __future__ import annotations

import json
import threading
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from newsalert.config.models import Outlet
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage.db import (
    HEAD_REVISION,
    current_revision,
    head_revision,
    managed_by_models,
    migrate,
    open_database,
)
from newsalert.storage.ledger import UrlRecord
from newsalert.storage.models import ArticleRow, Base


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    engine, _ = open_database(db_url)
    assert current_revision(engine) == head_revision() == HEAD_REVISION, "a new migration? update HEAD_REVISION"
    assert migrate(engine) is False, "a second migration run must find nothing to do"
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": managed_by_models})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], f"models and migrations disagree; write a revision for: {differences}"


def _article(canonical: str, outlet_id: int) -> dict[str, object]:
    return {
        "outlet_id": outlet_id,
        "canonical_url": canonical,
        "url": canonical,
        "title": "T",
        "text": "x" * 300,
        "content_hash": "h",
        "fetched_at": datetime.now(UTC),
        "published_at": datetime(2026, 11, 1, tzinfo=UTC),
    }


def test_two_writers_never_store_an_article_twice(db_url: str) -> None:
    engine, sessions = open_database(db_url)
    with sessions.begin() as session:
        outlet_id = ledger.sync_outlets(
            session, [Outlet(name="O", url="https://o.example/", feeds=["https://o.example/rss"])]
        )["O"]
    ids: list[int | None] = []
    start = threading.Barrier(4)

    def writer() -> None:
        start.wait()
        for number in range(20):
            with sessions.begin() as session:
                ids.append(article_store.insert_article(session, _article(f"https://o.example/{number}", outlet_id)))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(ArticleRow))
    engine.dispose()
    assert count == 20
    assert sum(1 for i in ids if i is not None) == 20 and len(ids) == 80


def test_seen_url_ledger_counts_attempts_and_keeps_stored(db_url: str) -> None:
    engine, sessions = open_database(db_url)
    with sessions.begin() as session:
        outlet_id = ledger.sync_outlets(
            session, [Outlet(name="O", url="https://o.example/", feeds=["https://o.example/rss"])]
        )["O"]
        for _ in range(2):
            ledger.record_urls(session, [UrlRecord("https://o.example/flaky", outlet_id, "failed", "HTTP 503")])
        article_id = article_store.insert_article(session, _article("https://o.example/ok", outlet_id))
        ledger.record_urls(session, [UrlRecord("https://o.example/ok", outlet_id, "stored", None, 200, article_id)])
        ledger.record_urls(session, [UrlRecord("https://o.example/ok", outlet_id, "duplicate", "again")])
    with sessions() as session:
        urls = ["https://o.example/flaky", "https://o.example/ok", "https://o.example/new"]
        assert ledger.settled_urls(session, urls, max_attempts=3) == {"https://o.example/ok"}
        assert ledger.settled_urls(session, urls, max_attempts=2) == {
            "https://o.example/ok",
            "https://o.example/flaky",
        }
    engine.dispose()


def test_an_archive_from_the_first_revision_upgrades_with_its_articles(db_url: str) -> None:
    """Every data migration (stories backfilled, search form indexed, the search table filled)
    runs on an archive that has articles, with that revision's own schema."""
    from alembic import command
    from sqlalchemy import text

    from newsalert.storage.db import alembic_config, make_engine
    from newsalert.storage.search import SearchFilters, search_articles

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        outlet_id = connection.execute(
            text("INSERT INTO outlets (name, domain, url, enabled, created_at) VALUES ('Old', 'o', 'u', :t, :now)"
                 " RETURNING id"),
            {"t": True, "now": now},
        ).scalar()  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO articles (outlet_id, canonical_url, url, title, text, content_hash, fetched_at)"
                " VALUES (:outlet, 'https://o/1', 'https://o/1', 'Coopération Sud-Sud au Sahel', :body, 'h', :now)"
            ),
            {"outlet": outlet_id, "body": "Des ingénieurs sénégalais et chinois. " * 20, "now": now},
        )
    engine.dispose()
    engine, sessions = open_database(db_url)  # upgrades to the head
    with sessions() as session:
        found = search_articles(session, SearchFilters(query="cooperation sahel"))
        [article] = session.scalars(select(ArticleRow)).all()
        assert [a.id for a in found] == [article.id]
        for phrase, where in (('"sud au sahel"', "title"), ('"senegalais et chinois"', "text")):
            assert [a.id for a in search_articles(session, SearchFilters(query=phrase))] == [article.id], where
        assert article.cluster_id is not None and article.minhash, "the story was backfilled"
    engine.dispose()


def test_backup_copies_what_is_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    """While a crawl's connections are open, recent writes live in the -wal file: a copy of the
    database file alone would miss them; the backup API copies them."""
    import sqlite3

    from newsalert.storage.db import DatabaseError, backup_sqlite

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        outlet_id = ledger.sync_outlets(session, [Outlet(name="O", url="https://o.example/", feeds=["https://o/rss"])])
        for n in range(3):
            article_store.insert_article(session, _article(f"https://o.example/{n}", outlet_id["O"]))
    wal = tmp_path / "archive.db-wal"
    assert wal.is_file() and wal.stat().st_size > 0, "the writes are still in the log"
    size = backup_sqlite(url, tmp_path / "copies" / "backup.db")
    engine.dispose()
    with closing(sqlite3.connect(tmp_path / "copies" / "backup.db")) as copy:
        assert copy.execute("SELECT COUNT(*) FROM articles").fetchone() == (3,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert size == (tmp_path / "copies" / "backup.db").stat().st_size
    with pytest.raises(DatabaseError, match="exists"):
        backup_sqlite(url, tmp_path / "copies" / "backup.db")
    with pytest.raises(DatabaseError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://postgres@127.0.0.1/test", tmp_path / "pg.db")
    assert not list((tmp_path / "copies").glob(".*partial")), "no half file is left"


def test_subscribers_tags_become_one_alert_per_tag(db_url: str) -> None:
    """0010: a subscriber's tags ("any of these") become an alert per tag, so that they get
    exactly the stories they got before; no tags: one alert for every story."""
    from alembic import command
    from sqlalchemy import text

    from newsalert.storage.db import alembic_config, make_engine, migrate

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0009")
    with engine.begin() as connection:
        for email, tags in (("tags@example.org", '["KE", "theme:trade", "KE"]'), ("all@example.org", "[]")):
            connection.execute(
                text("INSERT INTO subscribers (email, tags, created_at) VALUES (:e, :t, CURRENT_TIMESTAMP)"),
                {"e": email, "t": tags},
            )
        connection.execute(
            text(
                "INSERT INTO digests (subscriber_id, email, created_at, period_start, period_end, status) "
                "VALUES (1, 'tags@example.org', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'sent')"
            )
        )
    assert migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT subscriber_id FROM digests")).scalar() == 1, "what was mailed to whom"
        rows = connection.execute(
            text(
                "SELECT s.email, s.status, a.name, a.filters, a.feed_key FROM alerts a "
                "JOIN subscribers s ON s.id = a.subscriber_id ORDER BY a.id"
            )
        ).all()
    engine.dispose()
    alerts = [(email, status, name, json.loads(f) if isinstance(f, str) else f) for email, status, name, f, _ in rows]
    assert alerts == [
        ("tags@example.org", "active", "KE", {"tags": ["KE"]}),
        ("tags@example.org", "active", "theme:trade", {"tags": ["theme:trade"]}),
        ("all@example.org", "active", "All stories", {}),
    ]
    assert len({row.feed_key for row in rows}) == 3 and all(len(row.feed_key) >= 32 for row in rows)


def test_topic_tags_take_the_topics_label(db_url: str) -> None:
    """An archive whose topic tags carry the topic's name (older versions) gets its label."""
    from newsalert.storage import articles as article_store
    from newsalert.storage.models import TagRow

    engine, sessions = open_database(db_url)
    with sessions.begin() as session:
        session.add(TagRow(kind="topic", code="south-south-cooperation", label="south-south-cooperation"))
    with sessions.begin() as session:
        article_store.sync_topic_labels(session, {"south-south-cooperation": "South-South cooperation"})
    with sessions() as session:
        assert session.query(TagRow.label).filter_by(kind="topic").scalar() == "South-South cooperation"
    engine.dispose()
