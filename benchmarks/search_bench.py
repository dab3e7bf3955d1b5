"""Search latency on a synthetic archive of 100,000 articles (SQLite, and PostgreSQL if reachable).

Builds the archive with the project's schema (migrations, triggers) and search form, then
times every query shape of issue 12 through the function the command line uses
(search.search_articles): median and p95 over repeated runs, against the target of median
<= 50 ms and p95 <= 200 ms on each backend. Prints a table (shape x backend) and a verdict
line, and whether both backends found as many matches for each shape (they search the same
archive); --json prints the same figures as JSON.

Run:  .venv/bin/python benchmarks/search_bench.py [--articles 100000] [--repeat 30] [--no-postgres] [--json]
To study a plan (EXPLAIN ANALYZE), keep the PostgreSQL archive with --keep-schema, and time it
again without rebuilding with --schema NAME --no-sqlite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import OperationalError

from newsalert.config.models import Outlet
from newsalert.storage import ledger, search
from newsalert.storage.db import open_database
from newsalert.storage.fulltext import INDEX_STATEMENTS, search_form
from newsalert.storage.models import ArticleRow, ArticleTagRow, TagRow

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
RARE = "zanzibar"  # in about one article in a thousand
TOPICAL_SHARE = 0.15  # the rest of a text is filler, so a topical word is in about a fifth of the articles
COUNTRIES = "KE NG ZA ET EG GH SN MA CN IN BR ID PK BD VN TH MY AR CL PE".split()
THEMES = "trade infrastructure agriculture energy health education finance technology".split()
LANGUAGES = (("en", 0.7), ("fr", 0.15), ("zh", 0.1), ("pt", 0.05))
OFF_TOPIC_SHARE = 0.05  # articles a rescore found off topic: search leaves them out
TARGET_MEDIAN_MS, TARGET_P95_MS = 50.0, 200.0


def shape(query: str | None, days: int | None = None, sort: str = "relevance", **filters: Any) -> dict[str, Any]:
    return {"query": query, "days": days, "sort": sort, **filters}


SHAPES = {  # name: the search's filters
    "one very common word": shape("cooperation"),
    "common word, by date": shape("cooperation", sort="date"),
    "common word, page 3": shape("cooperation", offset=40),
    "two words": shape("cooperation africa"),
    "two words + 30 days": shape("cooperation africa", 30),
    "rare word": shape(RARE),
    "rare word + 7 days": shape(RARE, 7),
    "two words, 7 days": shape("railway summit", 7),
    "phrase": shape('"belt road"'),
    "OR": shape("kenya OR nigeria"),
    "OR + exclusion": shape("kenya OR nigeria -loan"),
    "accented word": shape("coopération"),
    "Chinese phrase": shape("南南合作"),
    "common word + outlet": shape("cooperation", outlets=("Outlet 3",)),
    "common word + country": shape("cooperation", countries=("KE",)),
    "common word + tag": shape("cooperation", tags=("theme:energy",)),
    "common word + language": shape("cooperation", languages=("fr",)),
    "common word + 4 filters": shape("cooperation", 90, countries=("KE",), tags=("trade",), languages=("en",)),
    "no query, newest": shape(None),
    "no query + country": shape(None, countries=("NG",)),
}
GUARANTEE = (
    f"ordering: relevance ranks the newest {search.RANK_WINDOW} matches (of query and filters), then the next "
    f"{search.RANK_WINDOW}, ...; exact when at most {search.RANK_WINDOW} match; matching, filters and date order exact"
)


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
    tag_ids = _tags(sessions)
    batch_size = 2000
    for start in range(0, count, batch_size):
        rows, index_rows, tag_rows = [], [], []
        for number in range(start, min(start + batch_size, count)):
            size = rng.randint(60, 140)
            words = [rng.choice(WORDS) if rng.random() < TOPICAL_SHARE else rng.choice(filler) for _ in range(size)]
            if rng.random() < 0.05:
                words += rng.choices(CHINESE, k=10)
            if rng.random() < 0.001:
                words.insert(rng.randrange(len(words)), RARE)
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
                    "language": rng.choices([code for code, _ in LANGUAGES], [share for _, share in LANGUAGES])[0],
                    "on_topic": rng.random() >= OFF_TOPIC_SHARE,
                }
            )
            index_rows.append({"id": number + 1, "title": search_form(title), "body": search_form(body)})
            country = rng.choice(COUNTRIES)
            tags = {("country", country), ("region", "asia" if COUNTRIES.index(country) >= 8 else "africa")}
            tags |= {("theme", theme) for theme in rng.sample(THEMES, rng.randint(0, 2))}
            tag_rows += [{"article_id": number + 1, "tag_id": tag_ids[tag], "salience": 1.0} for tag in tags]
        with engine.begin() as connection:
            connection.execute(insert(ArticleRow), rows)
            connection.execute(insert(ArticleTagRow), tag_rows)  # before the index, as insert_article
            connection.execute(INDEX_STATEMENTS[dialect], index_rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def _tags(sessions: Any) -> dict[tuple[str, str], int]:
    wanted = [("country", code) for code in COUNTRIES] + [("region", "africa"), ("region", "asia")]
    wanted += [("theme", theme) for theme in THEMES]
    with sessions.begin() as session:
        rows = [TagRow(kind=kind, code=code, label=code) for kind, code in wanted]
        session.add_all(rows)
        session.flush()
        return {(row.kind, row.code): row.id for row in rows}


Figures = dict[str, dict[str, Any]]


def measure(url: str, repeat: int) -> Figures:
    engine, sessions = open_database(url)
    results: Figures = {}
    for name, wanted in SHAPES.items():
        options = {key: value for key, value in wanted.items() if key != "days"}
        since = datetime.now(UTC) - timedelta(days=wanted["days"]) if wanted["days"] else None
        filters = search.SearchFilters(since=since, limit=20, **options)
        timings, found, matches, more = [], 0, 0, False
        for _ in range(repeat):
            with sessions() as session:
                started = time.perf_counter()
                page = search.search(session, filters)
                timings.append((time.perf_counter() - started) * 1000)
                found, matches, more = len(page.articles), page.matches, page.more
        timings.sort()
        median, p95 = statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]
        results[name] = {
            "median_ms": round(median, 1),
            "p95_ms": round(p95, 1),
            "results": found,
            "matches": f"{matches}+" if more else str(matches),
            "pass": median <= TARGET_MEDIAN_MS and p95 <= TARGET_P95_MS,
        }
    engine.dispose()
    return results


def report(figures: dict[str, Figures], builds: dict[str, float], articles: int) -> None:
    backends = list(figures)
    print(f"\nSearch at {articles} articles; target median <= {TARGET_MEDIAN_MS:.0f} ms, p95 <= {TARGET_P95_MS:.0f} ms")
    print("  built in " + ", ".join(f"{backend} {seconds:.0f} s" for backend, seconds in builds.items()))
    print(f"  {'shape':26} {'backend':10} {'median ms':>9} {'p95 ms':>7} {'results':>7} {'matches':>8}  verdict")
    for name in SHAPES:
        for backend in backends:
            row = figures[backend][name]
            verdict = "pass" if row["pass"] else "FAIL"
            print(
                f"  {name:26} {backend:10} {row['median_ms']:9.1f} {row['p95_ms']:7.1f} {row['results']:7} "
                f"{row['matches']:>8}  {verdict}"
            )
    print(f"  {GUARANTEE}")
    if len(backends) == 2:  # one archive, built alike from one seed: every count must agree
        counts = {
            name: [(figures[b][name]["matches"], figures[b][name]["results"]) for b in backends] for name in SHAPES
        }
        differ = [
            name
            + " ("
            + ", ".join(f"{backend} {found[0]}" for backend, found in zip(backends, pair, strict=True))
            + ")"
            for name, pair in counts.items()
            if pair[0] != pair[1]
        ]
        agreement = f"the backends differ on {', '.join(differ)}" if differ else "the backends agree on every shape"
        print(f"Matches: {agreement}")
    failed = [
        f"{name} ({backend})" for backend in backends for name, row in figures[backend].items() if not row["pass"]
    ]
    print(
        f"Verdict: {'PASS' if not failed else 'FAIL'}: "
        + (
            f"every shape on {' and '.join(backends)} within target"
            if not failed
            else f"over target: {', '.join(failed)}"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep-schema", action="store_true", help="keep the PostgreSQL archive, and say its schema")
    parser.add_argument("--schema", help="time the PostgreSQL archive kept in this schema instead of building one")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    figures: dict[str, Figures] = {}
    builds: dict[str, float] = {}
    load = [os.getloadavg()[0]]
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            started = time.perf_counter()
            build(url, args.articles)
            builds["SQLite"] = time.perf_counter() - started
            figures["SQLite"] = measure(url, args.repeat)
    if not args.no_postgres:
        measured = measure_postgres(args.articles, args.repeat, keep=args.keep_schema, schema=args.schema)
        if measured:
            builds["PostgreSQL"], figures["PostgreSQL"] = measured
    load.append(os.getloadavg()[0])
    if args.json:
        print(json.dumps({"articles": args.articles, "guarantee": GUARANTEE, "load": load, "figures": figures}))
        return
    report(figures, builds, args.articles)
    print(f"  load average (1 min) at start and end: {load[0]:.1f}, {load[1]:.1f} on {os.cpu_count()} cores")


def measure_postgres(
    articles: int, repeat: int, *, keep: bool = False, schema: str | None = None
) -> tuple[float, Figures] | None:
    """Build the archive in a new schema (dropped after, unless `keep`) and time it, or time
    the one kept in `schema` (migrated to the head revision first)."""
    kept = schema is not None
    schema = schema or f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA {"IF NOT EXISTS " if kept else ""}"{schema}"'))
    except OperationalError as exc:
        print(f"\nPostgreSQL not reachable at {POSTGRES}: {str(exc.orig).splitlines()[0]}")
        return None
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        started = time.perf_counter()
        if kept:
            open_database(url)[0].dispose()
        else:
            build(url, articles)
        return time.perf_counter() - started, measure(url, repeat)
    finally:
        if keep or kept:
            print(
                f"\nPostgreSQL archive kept in schema {schema}: psql -h 127.0.0.1 -U postgres test, "
                f"SET search_path = {schema};"
            )
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
