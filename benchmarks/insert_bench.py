"""Near-duplicate insert cost: storing and clustering 1,000 new articles into archives of 10k and 100k.

Issue 12 asks that the cost stay flat: the time into an archive of 100k is at most 1.5 times
the time into an archive of 10k, on SQLite and on PostgreSQL.

The archives are synthetic but shaped like real ones: news-like text (a Zipf vocabulary with
stock phrases, 250-900 words), stories syndicated within the archive (one cluster, several
outlets), tags, topic relevance, the ledger's rows, and for every article its MinHash
signature, its LSH band rows and its full-text row, as storage/ingest.py leaves them. They
are written in bulk, both backends from one pass over the generated rows (the 100k archive
extends a copy of the 10k one). Every run then stores the same 1,000 new articles into a
fresh copy of an archive through the crawl's own code path (save_page, in StorePipeline's
transactions of 50 pages): new stories, near-duplicates of archived articles, near-duplicates
among themselves, exact copies at another outlet and exact duplicates at the same outlet.
Runs alternate between the two sizes; the medians are compared. The machine's load is
printed beside them, and this process's CPU time too (all of SQLite's work, only the client's
share of PostgreSQL's), which a busy machine disturbs less than the wall clock.

After each run the bench checks that every copy joined the story it copies, that no new
story joined another, and that the same-outlet duplicates were not stored.

Building the archives takes most of the time (about 6 minutes with PostgreSQL on 2 cores).

Run:  .venv/bin/python benchmarks/insert_bench.py [--quick] [--runs 3] [--json] [--no-postgres]
      [--small 10000] [--large 100000]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import psycopg
from datasketch import MinHash
from sqlalchemy import Connection, func, insert, select, text

from newsalert.config.models import Outlet
from newsalert.crawler.pipelines import StorePipeline
from newsalert.domain import Extracted, Fingerprint, PageItem, Relevance, Tag, Tokenized, UrlStatus
from newsalert.pipelines.dedup import (
    NUM_PERM,
    SEED,
    SIMILARITY_THRESHOLD,
    _band_key,
    _banding,
    fingerprint,
    shingles,
    similarity,
)
from newsalert.pipelines.extract import content_hash
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.fulltext import INDEX_STATEMENTS, search_form
from newsalert.storage.ingest import save_page
from newsalert.storage.models import ArticleRow, ArticleTagRow, ClusterRow, LshBucketRow, OutletRow, SeenUrlRow, TagRow

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 1.5
OUTLETS = 20
TOPIC_VERSION = "bench-1"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
ARCHIVE_DAYS = 365
SYNDICATED_SHARE = 0.12  # of archived articles: a copy of a recent one at another outlet
BUILD_BATCH = 2000
# A copy is made this similar to what it copies (estimated Jaccard of word 3-grams), clearly
# above the threshold at which the archive calls two texts one story.
MIN_COPY_SIMILARITY = SIMILARITY_THRESHOLD + 0.15


# --- text ---------------------------------------------------------------------------------------

FUNCTION_WORDS = (
    "the of and to in a that for on is said with as by at from was it its be has have are an will "
    "this which were their more been also would not but after who new over two year years government "
    "minister people country president first last week than about other into one local could such between"
).split()
NEWS_WORDS = (
    "cooperation development africa asia china kenya nigeria brazil india trade investment railway port "
    "training agriculture energy solar finance loan bank summit forum agreement project road health school "
    "digital technology climate water farmers engineers students economy market exports imports growth "
    "partnership south global initiative belt regional officials million billion national international "
    "policy community workers industry park zone ministry statement according announced signed support"
).split()
SYLLABLES = "ka lo mi ren sa tu vo zen pa di mor el an ti bu go re ne la si to ma ha ku ri wa".split()


@dataclass(frozen=True)
class Doc:
    """An article's text as sentences of folded words: rendered with capitals and stops, it
    folds back to exactly these words (so the fingerprint can skip tokenizing it)."""

    title: tuple[str, ...]
    paragraphs: tuple[tuple[tuple[str, ...], ...], ...]

    def render(self) -> tuple[str, str]:
        title = " ".join(self.title).capitalize()
        body = "\n\n".join(
            " ".join(" ".join(sentence).capitalize() + "." for sentence in paragraph) for paragraph in self.paragraphs
        )
        return title, body

    @property
    def words(self) -> list[str]:
        return [word for paragraph in self.paragraphs for sentence in paragraph for word in sentence]


class Writer:
    """News-like text: words drawn from a Zipf distribution, with recurring stock phrases, so
    that unrelated articles share some word 3-grams as real ones do."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        invented = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(60_000)})
        rng.shuffle(invented)
        vocabulary = list(dict.fromkeys([*FUNCTION_WORDS, *NEWS_WORDS, *invented]))[:40_000]
        self.vocabulary = np.array(vocabulary, dtype=object)
        weights = 1 / (np.arange(len(vocabulary)) + 2.7)
        self.cumulative = np.cumsum(weights) / weights.sum()
        self.phrases = [tuple(self.draw(rng, rng.randint(3, 6))) for _ in range(600)]

    def draw(self, rng: random.Random, count: int) -> list[str]:
        picks = np.searchsorted(self.cumulative, [rng.random() for _ in range(count)], side="right")
        return list(self.vocabulary[np.minimum(picks, len(self.vocabulary) - 1)])

    def sentence(self, rng: random.Random) -> tuple[str, ...]:
        words = self.draw(rng, rng.randint(8, 28))
        if rng.random() < 0.4:
            at = rng.randrange(len(words))
            words[at:at] = rng.choice(self.phrases)
        return tuple(words)

    def article(self, rng: random.Random) -> Doc:
        paragraphs = []
        for _ in range(rng.randint(4, 9)):
            paragraphs.append(tuple(self.sentence(rng) for _ in range(rng.randint(2, 5))))
        return Doc(tuple(self.draw(rng, rng.randint(6, 12))), tuple(paragraphs))

    def near_copy(self, rng: random.Random, doc: Doc, credit: str) -> Doc:
        """A syndicated copy: a new headline, a credit line added, a few words changed, and in a
        long article a paragraph dropped. Its estimated similarity to the original is at least
        MIN_COPY_SIMILARITY: a lighter edit is tried until it is."""
        original = doc_fingerprint(doc).signature
        for attempt in range(20):
            paragraphs = [list(p) for p in doc.paragraphs]
            if len(paragraphs) > 5 and attempt < 10:
                del paragraphs[rng.randrange(1, len(paragraphs))]
            for _ in range(max(1, len(doc.words) // 150)):
                paragraph = rng.choice(paragraphs)
                at = rng.randrange(len(paragraph))
                words = list(paragraph[at])
                words[rng.randrange(len(words))] = self.draw(rng, 1)[0]
                paragraph[at] = tuple(words)
            credit_line = f"this report first appeared in {credit} and is republished with permission"
            paragraphs.append([tuple(credit_line.split())])
            copy = Doc(tuple(self.draw(rng, rng.randint(6, 12))), tuple(tuple(p) for p in paragraphs))
            if similarity(doc_fingerprint(copy).signature, original) >= MIN_COPY_SIMILARITY:
                return copy
        raise AssertionError("no copy similar enough")


@cache
def _permutations() -> tuple[Any, str]:
    made = MinHash(num_perm=NUM_PERM, seed=SEED)
    return made.permutations, made.scheme


def doc_fingerprint(doc: Doc) -> Fingerprint:
    """dedup.fingerprint, without tokenizing the rendered text again and with the permutations
    made once (checked equal to dedup.fingerprint on the new articles)."""
    words = doc.words
    permutations, scheme = _permutations()
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=permutations, scheme=scheme)
    minhash.update_batch(shingles(Tokenized(words, words)))
    values = minhash.hashvalues.astype(np.uint64)
    bands = tuple((band, _band_key(values[start:end])) for band, (start, end) in enumerate(_banding()))
    return Fingerprint(values.tobytes(), bands)


# --- the archive --------------------------------------------------------------------------------

TAGS = [
    *[
        ("country", code, code)
        for code in "KE NG ZA ET GH TZ UG EG MA SN BR AR MX PE CL IN PK BD ID VN TH MY PH CN".split()
    ],
    *[("region", code, code) for code in "africa asia latin-america middle-east south-asia east-asia".split()],
    *[
        ("theme", code, code)
        for code in "trade finance agriculture energy health education infrastructure digital".split()
    ],
    *[("initiative", code, code) for code in "BRI FOCAC SSC BRICS".split()],
    ("topic", "south-south", "south-south"),
]


@dataclass
class Archived:
    """What the new articles need to know of an archived one they copy."""

    article_id: int
    outlet: int  # index into the outlets
    cluster_id: int
    doc: Doc


@dataclass
class ArchivePlan:
    seed: int
    keep: set[int]  # ids whose text the new articles copy
    kept: dict[int, Archived] = field(default_factory=dict)


def outlets() -> list[Outlet]:
    return [
        Outlet(name=f"Outlet {n}", url=f"https://o{n}.example/", feeds=[f"https://o{n}.example/rss"])
        for n in range(OUTLETS)
    ]


def article_url(outlet: int, number: int) -> str:
    return f"https://o{outlet}.example/news/2026/story-{number}.html"


def archive_batches(writer: Writer, plan: ArchivePlan, sizes: list[int]) -> Iterator[tuple[dict[str, list[Any]], int]]:
    """The rows storing the archive's articles leaves behind, BUILD_BATCH articles at a time, with
    the number of articles written so far; a batch ends at every size in `sizes`."""
    recent: dict[int, tuple[Doc, int]] = {}  # article id -> (doc, cluster id), the last 500
    rng = random.Random(f"archive-{plan.seed}")
    rows: dict[str, list[Any]] = {}
    for number in range(max(sizes)):
        if not rows:
            rows = {k: [] for k in ("clusters", "articles", "fts", "lsh", "tags", "seen")}
        article_id = number + 1
        outlet = rng.randrange(OUTLETS)
        syndicated = bool(recent) and rng.random() < SYNDICATED_SHARE
        if syndicated:
            original_id = rng.choice(list(recent))
            original, cluster_id = recent[original_id]
            doc = writer.near_copy(rng, original, f"outlet {original_id % OUTLETS}")
        else:
            doc, cluster_id = writer.article(rng), article_id  # a new story: its own cluster, numbered alike
            rows["clusters"].append({"id": cluster_id, "created_at": NOW})
        if not syndicated:  # copies are made of originals: a chain of copies drifts from its story
            recent[article_id] = (doc, cluster_id)
        if len(recent) > 500:
            del recent[min(recent)]
        title, body = doc.render()
        signature = doc_fingerprint(doc)
        url = article_url(outlet, number)
        score = round(rng.uniform(6, 20), 1)
        when = NOW - timedelta(days=ARCHIVE_DAYS * (1 - number / max(sizes)) + rng.random())
        rows["articles"].append(
            {
                "id": article_id,
                "outlet_id": outlet + 1,
                "canonical_url": url,
                "url": url,
                "title": title,
                "author": None,
                "description": None,
                "site_name": f"Outlet {outlet}",
                "published_at": when,
                "date_note": None,
                "fetched_at": when,
                "language": "en",
                "text": body,
                "content_hash": content_hash(body),
                "relevance": score,
                "matched_terms": ["south-south cooperation", "africa"],
                "topic_version": TOPIC_VERSION,
                "on_topic": True,
                "cluster_id": cluster_id,
                "minhash": signature.signature,
            }
        )
        rows["fts"].append({"id": article_id, "title": " ".join(doc.title), "body": " ".join(doc.words)})
        rows["lsh"].extend({"band": b, "bucket": k, "article_id": article_id} for b, k in signature.bands)
        rows["tags"].extend(
            {"article_id": article_id, "tag_id": tag + 1, "salience": round(rng.random(), 3)}
            for tag in rng.sample(range(len(TAGS)), rng.randint(1, 4))
        )
        stored = {
            "url": url,
            "outlet_id": outlet + 1,
            "status": UrlStatus.STORED.value,
            "reason": None,
            "http_status": 200,
            "attempts": 1,
            "article_id": article_id,
            "relevance": score,
            "topic_version": TOPIC_VERSION,
            "published_at": when,
            "first_seen": when,
            "last_seen": when,
        }
        # The ledger also remembers the pages that were not kept: one off-topic page per article.
        off_topic = {
            **stored,
            "url": f"https://o{outlet}.example/news/2026/other-{number}.html",
            "status": UrlStatus.OFF_TOPIC.value,
            "reason": "relevance 2 below 6",
            "article_id": None,
            "relevance": 2.0,
        }
        rows["seen"] += [stored, off_topic]
        if article_id in plan.keep:
            plan.kept[article_id] = Archived(article_id, outlet, cluster_id, doc)
        if len(rows["articles"]) == BUILD_BATCH or article_id in sizes or article_id == max(sizes):
            yield rows, article_id
            rows = {}


def _schema_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    outlet_rows = [
        {
            "id": n + 1,
            "name": o.name,
            "domain": o.domain,
            "url": o.url,
            "language": o.language,
            "country": o.country,
            "enabled": True,
            "created_at": NOW - timedelta(days=ARCHIVE_DAYS + 1),
        }
        for n, o in enumerate(outlets())
    ]
    tag_rows = [{"id": n + 1, "kind": k, "code": c, "label": label} for n, (k, c, label) in enumerate(TAGS)]
    return outlet_rows, tag_rows


class SqliteArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.engine: Any = None

    def create(self) -> None:
        engine, _ = open_database(self.url)
        outlet_rows, tag_rows = _schema_rows()
        with engine.begin() as connection:
            connection.execute(insert(OutletRow), outlet_rows)
            connection.execute(insert(TagRow), tag_rows)
        engine.dispose()

    def write(self, rows: dict[str, list[Any]]) -> None:
        if self.engine is None:
            self.engine, _ = open_database(self.url)
        with self.engine.begin() as connection:
            if rows["clusters"]:
                connection.execute(insert(ClusterRow), rows["clusters"])
            connection.execute(insert(ArticleRow), rows["articles"])
            connection.execute(INDEX_STATEMENTS["sqlite"], rows["fts"])
            connection.execute(insert(LshBucketRow), rows["lsh"])
            connection.execute(insert(ArticleTagRow), rows["tags"])
            connection.execute(insert(SeenUrlRow), rows["seen"])

    def finish(self) -> None:
        """No ANALYZE: nothing runs it on a real SQLite archive either."""
        if self.engine is not None:
            with self.engine.begin() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            self.engine.dispose()
            self.engine = None

    def copy_to(self, name: str) -> SqliteArchive:
        copied = SqliteArchive(self.path.with_name(f"{name}.db"))
        shutil.copyfile(self.path, copied.path)
        return copied

    def drop(self) -> None:
        self.finish()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class PostgresArchive:
    """One database per archive, so that a run's fresh copy is CREATE DATABASE ... TEMPLATE."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dsn = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
        self.url = self.dsn.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine: Any = None
        self.connection: Connection | None = None
        self.indexes: list[tuple[str, str]] = []

    @staticmethod
    def _admin(statement: str) -> None:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as connection:
            connection.execute(statement.encode())

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')
        engine, _ = open_database(self.url)
        outlet_rows, tag_rows = _schema_rows()
        with engine.begin() as connection:
            connection.execute(insert(OutletRow), outlet_rows)
            connection.execute(insert(TagRow), tag_rows)
            connection.execute(text("SELECT setval('outlets_id_seq', :n)"), {"n": OUTLETS})
            connection.execute(text("SELECT setval('tags_id_seq', :n)"), {"n": len(TAGS)})
        engine.dispose()

    def write(self, rows: dict[str, list[Any]]) -> None:
        if self.connection is None:
            self.engine, _ = open_database(self.url)
            self.connection = self.engine.connect()
            self._drop_indexes()
        connection = self.connection
        with connection.begin():
            self._copy("clusters", rows["clusters"])
            self._copy("articles", rows["articles"])
            connection.execute(INDEX_STATEMENTS["postgresql"], rows["fts"])  # as ingest indexes an article
            self._copy("lsh_buckets", rows["lsh"])
            self._copy("article_tags", rows["tags"])
            self._copy("seen_urls", rows["seen"])

    def _drop_indexes(self) -> None:
        """A bulk load: the secondary indexes are made after it, as CREATE INDEX does it much faster."""
        assert self.connection is not None
        with self.connection.begin():
            self.indexes = [
                (name, definition)
                for name, definition in self.connection.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                        "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                    )
                )
            ]
            for name, _ in self.indexes:
                self.connection.execute(text(f'DROP INDEX "{name}"'))

    def _copy(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        assert self.connection is not None
        columns = list(rows[0])
        raw = cast(psycopg.Connection[Any], self.connection.connection.driver_connection)
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN".encode()
        with raw.cursor().copy(statement) as copying:
            for row in rows:
                copying.write_row([json.dumps(v) if isinstance(v, list) else v for v in row.values()])

    def finish(self) -> None:
        if self.connection is None:
            return
        connection, self.connection = self.connection, None
        with connection.begin():
            for _, definition in self.indexes:
                connection.execute(text(definition))
            for table in ("articles", "clusters", "seen_urls"):
                connection.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        connection.close()
        self.engine.dispose()
        with psycopg.connect(self.dsn, autocommit=True) as raw:
            raw.execute("VACUUM ANALYZE")  # what autovacuum does to a real archive

    def copy_to(self, name: str) -> PostgresArchive:
        copied = PostgresArchive(f"{self.name.rsplit('_', 1)[0]}_{name}")
        self._admin(f'CREATE DATABASE "{copied.name}" TEMPLATE "{self.name}" STRATEGY FILE_COPY')
        return copied

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.engine.dispose()
            self.connection = None
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the new articles ---------------------------------------------------------------------------


@dataclass
class Expectation:
    url: str
    kind: str  # new, archive copy, batch copy, exact copy, same-outlet duplicate
    archive_cluster: int | None = None  # the archived story it must join
    lead_url: str | None = None  # the new article whose story it must join


@dataclass
class NewBatch:
    items: list[PageItem]
    expected: list[Expectation]


MIX = {"new": 500, "archive copy": 250, "batch copy": 150, "exact copy": 60, "same-outlet duplicate": 40}
BATCH_LEADS = 60  # new stories copied within the batch (1 to 4 copies each, 150 in all)


def plan_targets(small: int, seed: int) -> set[int]:
    rng = random.Random(f"targets-{seed}")
    wanted = MIX["archive copy"] + MIX["exact copy"] + MIX["same-outlet duplicate"]
    return set(rng.sample(range(1, small + 1), wanted))


def new_articles(writer: Writer, plan: ArchivePlan, seed: int) -> NewBatch:
    rng = random.Random(f"new-{seed}")
    targets = sorted(plan.kept)
    rng.shuffle(targets)
    entries: list[tuple[int, Doc, Expectation]] = []  # (outlet, doc, expectation)
    number = itertools.count(1)

    def url(outlet: int) -> str:
        return f"https://o{outlet}.example/news/2026/fresh-{next(number)}.html"

    leads = []
    for index in range(MIX["new"]):
        outlet, doc = rng.randrange(OUTLETS), writer.article(rng)
        expectation = Expectation(url(outlet), "new")
        entries.append((outlet, doc, expectation))
        if index < BATCH_LEADS:
            leads.append((outlet, doc, expectation))
    for index in range(MIX["batch copy"]):
        lead_outlet, lead_doc, lead = leads[index % BATCH_LEADS] if index < BATCH_LEADS else rng.choice(leads)
        outlet = rng.choice([o for o in range(OUTLETS) if o != lead_outlet])
        doc = writer.near_copy(rng, lead_doc, f"outlet {lead_outlet}")
        entries.append((outlet, doc, Expectation(url(outlet), "batch copy", lead_url=lead.url)))
    picks = iter(targets)
    for kind in ("archive copy", "exact copy", "same-outlet duplicate"):
        for _ in range(MIX[kind]):
            original = plan.kept[next(picks)]
            if kind == "same-outlet duplicate":
                outlet, doc = original.outlet, original.doc
            else:
                outlet = rng.choice([o for o in range(OUTLETS) if o != original.outlet])
                doc = original.doc if kind == "exact copy" else writer.near_copy(rng, original.doc, "the wire")
            entries.append((outlet, doc, Expectation(url(outlet), kind, archive_cluster=original.cluster_id)))
    rng.shuffle(entries)
    # A copy within the batch comes after the article it copies.
    position = {e.url: i for i, (_, _, e) in enumerate(entries)}
    for i in range(len(entries)):
        lead_url = entries[i][2].lead_url
        if lead_url and position[lead_url] > i:
            j = position[lead_url]
            entries[i], entries[j] = entries[j], entries[i]
            position[entries[i][2].url], position[entries[j][2].url] = i, j
    items = []
    for index, (outlet, doc, expectation) in enumerate(entries):
        title, body = doc.render()
        if index < 20:  # the archive's fingerprints skip tokenizing: they must be the real ones
            assert fingerprint(body) == doc_fingerprint(doc) and search_form(body) == " ".join(doc.words)
        tags = [Tag(*TAGS[t], salience=round(rng.random(), 3)) for t in rng.sample(range(len(TAGS)), rng.randint(1, 4))]
        extracted = Extracted(
            title=title,
            text=body,
            author=None,
            published_at=NOW - timedelta(hours=rng.random() * 48),
            description=None,
            site_name=f"Outlet {outlet}",
            language="en",
            declared_canonical=None,
            content_hash=content_hash(body),
        )
        relevance = Relevance(
            "south-south", round(rng.uniform(6, 20), 1), 6.0, ("south-south cooperation",), (), TOPIC_VERSION
        )
        items.append(
            PageItem(
                outlet=f"Outlet {outlet}",
                url=expectation.url,
                aliases=[expectation.url],
                http_status=200,
                outcome=extracted,
                relevance=relevance,
                tags=tags,
                fingerprint=fingerprint(body),  # computed as the crawl's analysis does, from the text
            )
        )
    return NewBatch(items, [e for _, _, e in entries])


# --- a run ----------------------------------------------------------------------------------------


@dataclass
class RunResult:
    seconds: float
    cpu: float  # of this process: all of SQLite's work, only the client's of PostgreSQL's
    load: float
    joined: int  # copies (near or exact) that joined the story they copy
    copies: int
    merged_wrongly: int  # new stories that joined an existing story
    duplicates_kept_out: int  # same-outlet exact duplicates recorded as duplicates
    same_outlet: int


def store(url: str, batch: NewBatch) -> tuple[float, float]:
    """Store the batch as a crawl does, and return the seconds it took: StorePipeline._save's
    transaction, save_page for each page, StorePipeline.BATCH_SIZE pages a transaction. (The
    pipeline's own threading and counting are left out: they do not touch the archive.)"""
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        outlet_ids = ledger.outlet_ids(session, outlets())
    items = [copy.copy(item) for item in batch.items]
    size = StorePipeline.BATCH_SIZE
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(items), size):
        with sessions.begin() as session:
            for item in items[start : start + size]:
                save_page(session, item, outlet_ids[item.outlet])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return seconds, cpu


def check(url: str, batch: NewBatch, archive_clusters: int) -> tuple[int, int, int, int, int]:
    engine, sessions = open_database(url)
    with sessions() as session:
        urls = [e.url for e in batch.expected]
        clusters = dict(
            session.execute(
                select(ArticleRow.canonical_url, ArticleRow.cluster_id).where(ArticleRow.canonical_url.in_(urls))
            ).all()
        )
        statuses = dict(
            session.execute(select(SeenUrlRow.url, SeenUrlRow.status).where(SeenUrlRow.url.in_(urls))).all()
        )
    engine.dispose()
    joined = copies = merged = kept_out = same_outlet = 0
    new_clusters: dict[int, int] = {}
    for e in batch.expected:
        if e.kind == "same-outlet duplicate":
            same_outlet += 1
            kept_out += e.url not in clusters and statuses.get(e.url) == UrlStatus.DUPLICATE
        elif e.kind == "new":
            cluster = clusters.get(e.url)
            if cluster is None or cluster <= archive_clusters:
                merged += 1
            else:
                new_clusters[cluster] = new_clusters.get(cluster, 0) + 1
        else:
            copies += 1
            want = e.archive_cluster if e.lead_url is None else clusters.get(e.lead_url)
            joined += want is not None and clusters.get(e.url) == want
            if want is None or clusters.get(e.url) != want:
                print(f"    {e.kind} {e.url} is in story {clusters.get(e.url)}, not {want}", file=sys.stderr)
    merged += sum(n - 1 for n in new_clusters.values())
    return joined, copies, merged, kept_out, same_outlet


def warm_up(folder: Path, batch: NewBatch) -> None:
    """Imports and first-use costs, paid once before anything is timed."""
    archive = SqliteArchive(folder / "warm-up.db")
    archive.create()
    store(archive.url, NewBatch(batch.items[:60], batch.expected[:60]))
    archive.drop()


# --- main ---------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    archives: dict[int, Any] = field(default_factory=dict)  # size -> SqliteArchive | PostgresArchive
    results: dict[int, list[RunResult]] = field(default_factory=dict)


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_SERVER, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


@contextmanager
def backends(args: argparse.Namespace, folder: Path, writer: Writer, plan: ArchivePlan) -> Iterator[list[Backend]]:
    """Both backends' archives, written in one pass over the same generated rows: the large
    archive is a copy of the small one, extended."""
    sizes = [args.small, args.large]
    current: dict[str, Any] = {"SQLite": SqliteArchive(folder / f"archive_{args.small}.db")}
    if args.no_postgres:
        args.skipped = "PostgreSQL: skipped (--no-postgres)"
    elif problem := _postgres_problem():
        args.skipped = f"PostgreSQL: skipped, not reachable at {POSTGRES_SERVER} ({problem})"
    else:
        current["PostgreSQL"] = PostgresArchive(f"insert_bench_{uuid.uuid4().hex[:8]}_{args.small}")
    found = {name: Backend(name) for name in current}
    made: list[Any] = list(current.values())
    try:
        for archive in current.values():
            archive.create()
        started = time.perf_counter()
        pending: list[Future[None]] = []
        # Each backend writes a batch in its own thread while the next one is generated.
        with ThreadPoolExecutor(max_workers=len(current)) as pool:
            for rows, written in archive_batches(writer, plan, sizes):
                for future in pending:
                    future.result()
                pending = [pool.submit(archive.write, rows) for archive in current.values()]
                if written not in sizes:
                    continue
                for future in pending:
                    future.result()
                pending = []
                for name, archive in current.items():
                    archive.finish()
                    found[name].archives[written] = archive
                print(f"  archives of {written:,} built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
                if written != max(sizes):
                    current = {name: archive.copy_to(str(args.large)) for name, archive in current.items()}
                    made += current.values()
        yield list(found.values())
    finally:
        for archive in made:
            with suppress(Exception):
                archive.drop()


def newest_cluster(url: str) -> int:
    """The highest story id of the archive: the stories the run makes have higher ones."""
    engine, sessions = open_database(url)
    with sessions() as session:
        newest = session.scalar(select(func.max(ClusterRow.id))) or 0
    engine.dispose()
    return newest


def run_all(args: argparse.Namespace, backend: Backend, batch: NewBatch) -> None:
    run_number = itertools.count()
    for _ in range(args.runs):
        for size in (args.small, args.large):  # interleaved, so a noisy minute hits both sizes
            fresh = backend.archives[size].copy_to(f"run{next(run_number)}")
            try:
                archive_clusters = newest_cluster(fresh.url)
                load = os.getloadavg()[0]
                seconds, cpu = store(fresh.url, batch)
                joined, copies, merged, kept_out, same_outlet = check(fresh.url, batch, archive_clusters)
            finally:
                fresh.drop()
            result = RunResult(seconds, cpu, load, joined, copies, merged, kept_out, same_outlet)
            backend.results.setdefault(size, []).append(result)
            print(
                f"  {backend.name} {size:,}: {seconds:.2f} s, {cpu:.2f} s CPU (load {load:.1f}); "
                f"copies joined {joined}/{copies}, {merged} new stories merged wrongly",
                file=sys.stderr,
                flush=True,
            )


def summary(args: argparse.Namespace, backend: Backend) -> dict[str, Any]:
    small, large = backend.results[args.small], backend.results[args.large]
    median_small = statistics.median(r.seconds for r in small)
    median_large = statistics.median(r.seconds for r in large)
    ratio = median_large / median_small
    cpu_small = statistics.median(r.cpu for r in small)
    cpu_large = statistics.median(r.cpu for r in large)

    def clustering(runs: list[RunResult]) -> dict[str, Any]:
        worst = min(runs, key=lambda r: (r.joined - r.copies, -r.merged_wrongly, r.duplicates_kept_out))
        return {
            "copies_joined": worst.joined,
            "copies": worst.copies,
            "new_stories_merged_wrongly": worst.merged_wrongly,
            "same_outlet_duplicates_kept_out": worst.duplicates_kept_out,
            "same_outlet_duplicates": worst.same_outlet,
        }

    checks = {args.small: clustering(small), args.large: clustering(large)}
    return {
        "backend": backend.name,
        "new_articles": len(args.batch.items),
        "archive_small": args.small,
        "archive_large": args.large,
        "runs": args.runs,
        "seconds_small": [round(r.seconds, 3) for r in small],
        "seconds_large": [round(r.seconds, 3) for r in large],
        "median_small": round(median_small, 3),
        "median_large": round(median_large, 3),
        "ratio": round(ratio, 3),
        "cpu_small": round(cpu_small, 3),
        "cpu_large": round(cpu_large, 3),
        "cpu_ratio": round(cpu_large / cpu_small, 3),
        "target": TARGET_RATIO,
        "passed": ratio <= TARGET_RATIO,
        "load": [round(r.load, 2) for r in small + large],
        "clustering": checks,  # the worst run of each archive
        "clustering_correct": all(
            c["copies_joined"] == c["copies"]
            and c["new_stories_merged_wrongly"] == 0
            and c["same_outlet_duplicates_kept_out"] == c["same_outlet_duplicates"]
            for c in checks.values()
        ),
    }


def print_report(reports: list[dict[str, Any]], skipped: str | None) -> None:
    first = reports[0]
    small, large = first["archive_small"], first["archive_large"]
    print(
        f"Insert cost: storing and clustering {first['new_articles']:,} new articles "
        f"({', '.join(f'{n} {k}' for k, n in MIX.items())}), median of {first['runs']} run(s) on fresh copies"
    )
    print(
        f"  {'backend':11} {f'{small:,} s':>9} {f'{large:,} s':>10} {'ratio':>6} {'target':>7} {'':4}  "
        "(this process's CPU s: small, large, ratio)"
    )
    for r in reports:
        verdict = "PASS" if r["passed"] else "FAIL"
        print(
            f"  {r['backend']:11} {r['median_small']:9.2f} {r['median_large']:10.2f} {r['ratio']:6.2f} "
            f"{'<= ' + str(r['target']):>7} {verdict:4}  "
            f"({r['cpu_small']:.2f}, {r['cpu_large']:.2f}, {r['cpu_ratio']:.2f})"
        )
    print("Clustering (worst run): near and exact copies that joined the story they copy")
    for r in reports:
        for size, c in r["clustering"].items():
            print(
                f"  {r['backend']:11} {int(size):>7,}: copies joined {c['copies_joined']}/{c['copies']}, "
                f"new stories merged wrongly {c['new_stories_merged_wrongly']}, same-outlet duplicates kept out "
                f"{c['same_outlet_duplicates_kept_out']}/{c['same_outlet_duplicates']}"
                + ("" if r["clustering_correct"] else "  WRONG")
            )
    loads = [load for r in reports for load in r["load"]]
    print(f"  load average (1 min) during runs: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores")
    if skipped:
        print(f"  {skipped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="the smaller archive (default 10,000)")
    parser.add_argument("--large", type=int, default=100_000, help="the larger archive (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per archive, each on a fresh copy (median)")
    parser.add_argument("--quick", action="store_true", help="one run per archive instead of --runs")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    copied = MIX["archive copy"] + MIX["exact copy"] + MIX["same-outlet duplicate"]
    if not copied <= args.small < args.large:
        parser.error(f"need {copied} <= --small < --large: the new articles copy {copied} of the small archive's")
    args.skipped = None
    writer = Writer(args.seed)
    plan = ArchivePlan(args.seed, plan_targets(args.small, args.seed))
    with tempfile.TemporaryDirectory(prefix="insert-bench-") as name, backends(args, Path(name), writer, plan) as found:
        args.batch = batch = new_articles(writer, plan, args.seed)
        warm_up(Path(name), batch)
        for backend in found:
            run_all(args, backend, batch)
        reports = [summary(args, backend) for backend in found]
    if args.json:
        print(json.dumps({"reports": reports, "skipped": args.skipped}, indent=2))
    else:
        print_report(reports, args.skipped)
    if not all(r["passed"] and r["clustering_correct"] for r in reports):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
