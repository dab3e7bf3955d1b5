"""Storing into a large archive: the near-duplicate lookup reads the LSH index by band, so its
cost does not grow with the archive, and a copy still finds its story among many chance
matches. (The times themselves are measured by benchmarks/insert_bench.py.)"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from newsalert.config.models import Outlet
from newsalert.domain import PageItem, UrlStatus
from newsalert.pipelines.dedup import NUM_PERM, fingerprint
from newsalert.pipelines.extract import content_hash
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.ingest import save_page
from newsalert.storage.models import ArticleRow, ClusterRow, LshBucketRow
from tests.helpers import make_extracted

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DECOYS = article_store.MAX_NEAR_DUPLICATE_CANDIDATES + 100


def _text(seed: int, words: int = 400) -> str:
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(5000)]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _edited(text: str) -> str:
    """A syndicated copy: a passage dropped, a credit line added."""
    words = text.split()
    return " ".join(words[:150] + words[190:] + "first published by the harbour herald".split())


def _archive(
    session: Session, outlet_id: int, first_id: int, texts: dict[int, str], decoy_band: tuple[int, int]
) -> None:
    """Articles `texts` (id -> text) with their real fingerprints, and DECOYS unrelated articles
    that share one band, `decoy_band`, with the copy: more chance matches than are verified."""
    rng = np.random.default_rng(1)
    articles, bands, clusters = [], [], []
    for number in range(len(texts) + DECOYS):
        article_id = first_id + number
        if article_id in texts:
            body = texts[article_id]
            print_ = fingerprint(body)
            signature, rows = print_.signature, list(print_.bands)
        else:
            body = f"decoy {number}"
            signature = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64).tobytes()
            rows = [decoy_band, *((band, int(rng.integers(-(2**62), 2**62))) for band in range(1, 37))]
        clusters.append({"id": article_id, "created_at": NOW})
        articles.append(
            {
                "id": article_id,
                "outlet_id": outlet_id,
                "canonical_url": f"https://herald.example/{article_id}",
                "url": f"https://herald.example/{article_id}",
                "title": f"Story {article_id}",
                "text": body,
                "content_hash": content_hash(body),
                "fetched_at": NOW,
                "cluster_id": article_id,
                "minhash": signature,
            }
        )
        bands += [{"band": band, "bucket": key, "article_id": article_id} for band, key in rows]
    session.execute(insert(ClusterRow), clusters)
    session.execute(insert(ArticleRow), articles)
    session.execute(insert(LshBucketRow), bands)
    if session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequences past them
        for table in ("articles", "clusters"):
            session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))


def _outlet(name: str) -> Outlet:
    return Outlet(name=name, url=f"https://{name.lower()}.example/", feeds=[f"https://{name.lower()}.example/rss"])


def _page(outlet: str, url: str, body: str) -> PageItem:
    extracted = make_extracted("Coast wire: a shared story", body, published_at=NOW, site_name=outlet, language="en")
    return PageItem(outlet=outlet, url=url, aliases=[url], outcome=extracted, fingerprint=fingerprint(body))


def test_a_copy_joins_its_story_among_more_chance_matches_than_are_verified(db_url: str) -> None:
    original, copy = _text(1), _edited(_text(1))
    copy_bands = fingerprint(copy).bands
    engine, sessions = open_database(db_url)
    outlets = [_outlet("Herald"), _outlet("Wire")]
    with sessions.begin() as session:
        ids = ledger.sync_outlets(session, outlets)
        # The original is the newest article: the decoys come first in id order too.
        _archive(session, ids["Herald"], 1, {DECOYS + 1: original}, copy_bands[0])
    with sessions.begin() as session:
        status = save_page(session, _page("Wire", "https://wire.example/copy", copy), ids["Wire"])
        stored = session.scalar(select(ArticleRow).where(ArticleRow.url == "https://wire.example/copy"))
        story = session.scalar(select(ArticleRow.cluster_id).where(ArticleRow.id == DECOYS + 1))
        new_story = save_page(session, _page("Wire", "https://wire.example/new", _text(2)), ids["Wire"])
        unrelated = session.scalar(select(ArticleRow.cluster_id).where(ArticleRow.url == "https://wire.example/new"))
    engine.dispose()
    assert status == UrlStatus.STORED and stored is not None
    assert stored.cluster_id == story == DECOYS + 1
    assert new_story == UrlStatus.STORED and unrelated not in (None, story)


def _plan(session: Session, bands: tuple[tuple[int, int], ...]) -> str:
    statement, parameters = article_store.near_copy_query(bands)
    bind = session.get_bind()
    sql = str(statement.params(parameters).compile(bind, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        return "\n".join(row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))


def test_the_near_duplicate_lookup_reads_the_band_index(db_url: str) -> None:
    """Each band is looked up in the primary key (band, bucket, article_id); neither backend
    reads the whole LSH table, which would make every insert slower as the archive grows."""
    engine, sessions = open_database(db_url)
    with sessions.begin() as session:
        outlet_id = ledger.sync_outlets(session, [_outlet("Herald")])["Herald"]
        _archive(session, outlet_id, 1, {}, (0, 12345))
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
    bands = fingerprint(_text(3)).bands
    with sessions.begin() as session:
        plan = _plan(session, bands)
    engine.dispose()
    if engine.dialect.name == "sqlite":
        lookups = [line for line in plan.splitlines() if "lsh_buckets" in line]
        assert lookups and all(
            line.startswith("SEARCH lsh_buckets USING COVERING INDEX") and "(band=? AND bucket=?)" in line
            for line in lookups
        ), plan
    else:
        assert "Seq Scan on lsh_buckets" not in plan and "pk_lsh_buckets" in plan, plan
        assert "Index Cond: ((band = 0) AND (bucket = " in plan, plan
