"""Search latency on a synthetic archive of 100,000 articles (SQLite, and PostgreSQL if reachable).

Builds the archive with the project's schema and search form, then times typical queries
through the same function the command line uses (search.search_articles): median and
p95 over repeated runs. Target on SQLite: median <= 50 ms, p95 <= 200 ms for a two-word
query with a date filter.

Run:  .venv/bin/python benchmarks/search_bench.py [--articles 100000] [--repeat 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import OperationalError

from newsalert.config.models import Outlet
from newsalert.storage import ledger, search
from newsalert.storage.db import open_database
from newsalert.storage.fulltext import INDEX_STATEMENTS, search_form
from newsalert.storage.models import ArticleRow

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = (
    "cooperation development africa asia china kenya nigeria brazil india trade investment railway port "
    "training agriculture energy solar finance loan bank summit forum minister agreement project road "
    "health school digital technology climate water farmers engineers students government economy market "
    "exports imports growth partnership south global initiative belt road regional officials said week "
    "year million billion local national international policy community workers industry park zone "
    "coopération développement cooperación desarrollo cooperação desenvolvimento"
).split()
CHINESE = "南南合作 一带一路 中非合作 农业 培训 基础设施 贸易 投资 发展 项目".split()
TOPICAL_SHARE = 0.15  # the rest of a text is filler, so a topical word is in about a fifth of the articles
QUERIES = {  # name: (query, days back or None, sort)
    "one very common word": ("cooperation", None, "relevance"),
    "common word, by date": ("cooperation", None, "date"),
    "two words + date filter": ("cooperation africa", 30, "relevance"),
    "phrase": ('"belt road"', None, "relevance"),
    "OR + exclusion": ("kenya OR nigeria -loan", None, "relevance"),
    "accented word": ("coopération", None, "relevance"),
    "Chinese phrase": ("南南合作", None, "relevance"),
    "rare word, 7 days": ("railway summit", 7, "relevance"),
}


def build(url: str, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "sa", "tu", "vo", "zen", "pa", "di", "mor", "el", "an", "ti", "bu"]
    filler = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(20_000)})
    engine, sessions = open_database(url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        outlet_ids = list(
            ledger.sync_outlets(
                session,
                [
                    Outlet(name=f"Outlet {n}", url=f"https://o{n}.example/", feeds=[f"https://o{n}.example/rss"])
                    for n in range(20)
                ],
            ).values()
        )
    dialect = engine.dialect.name
    batch_size = 2000
    for start in range(0, count, batch_size):
        rows, index_rows = [], []
        for number in range(start, min(start + batch_size, count)):
            size = rng.randint(60, 140)
            words = [rng.choice(WORDS) if rng.random() < TOPICAL_SHARE else rng.choice(filler) for _ in range(size)]
            if rng.random() < 0.05:
                words += rng.choices(CHINESE, k=10)
            title = " ".join(rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(filler) for _ in range(8))
            body = " ".join(words)
            when = now - timedelta(days=rng.random() * 365)
            rows.append(
                {
                    "id": number + 1,
                    "outlet_id": rng.choice(outlet_ids),
                    "canonical_url": f"https://x/{number}",
                    "url": f"https://x/{number}",
                    "title": title,
                    "text": body,
                    "content_hash": str(number),
                    "fetched_at": when,
                    "published_at": when,
                    "language": "en",
                }
            )
            index_rows.append({"id": number + 1, "title": search_form(title), "body": search_form(body)})
        with engine.begin() as connection:
            connection.execute(insert(ArticleRow), rows)
            connection.execute(INDEX_STATEMENTS[dialect], index_rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, repeat: int) -> dict[str, tuple[float, float, int]]:
    engine, sessions = open_database(url)
    results = {}
    for name, (query, days, sort) in QUERIES.items():
        filters = search.SearchFilters(
            query=query, since=datetime.now(UTC) - timedelta(days=days) if days else None, limit=20, sort=sort
        )
        timings, found = [], 0
        for _ in range(repeat):
            with sessions() as session:
                started = time.perf_counter()
                found = len(search.search_articles(session, filters))
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[name] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1], found)
    engine.dispose()
    return results


def report(label: str, build_seconds: float, results: dict[str, tuple[float, float, int]]) -> None:
    print(f"\n{label} (built in {build_seconds:.0f} s)")
    print(f"  {'query':26} {'median ms':>10} {'p95 ms':>8} {'results':>8}")
    for name, (median, p95, found) in results.items():
        print(f"  {name:26} {median:10.1f} {p95:8.1f} {found:8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        build(url, args.articles)
        report(f"SQLite, {args.articles} articles", time.perf_counter() - started, measure(url, args.repeat))
    if args.no_postgres:
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"\nPostgreSQL not reachable at {POSTGRES}: {str(exc.orig).splitlines()[0]}")
        return
    try:
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        started = time.perf_counter()
        build(url, args.articles)
        report(f"PostgreSQL, {args.articles} articles", time.perf_counter() - started, measure(url, args.repeat))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
