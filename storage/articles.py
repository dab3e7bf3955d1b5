"""Articles and stories: storing an article, finding its copies, its tags, and reading it back.

Deduplication is the database's job: an article is inserted with ON CONFLICT on its
unique canonical URL, so it is stored once even with several writers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, or_, select, text, tuple_, update
from sqlalchemy.orm import Session, joinedload, selectinload

from newsalert.storage.db import dialect_insert
from newsalert.storage.fulltext import index_article
from newsalert.storage.models import (
    ArticleRow,
    ArticleTagRow,
    ClusterRow,
    LshBucketRow,
    OutletRow,
    SeenUrlRow,
    TagRow,
    utcnow,
)

MAX_NEAR_DUPLICATE_CANDIDATES = 200


def insert_article(
    session: Session, values: dict[str, Any], tags: Iterable[Any] = (), search_forms: tuple[str, str] | None = None
) -> int | None:
    """Store an article and its tags (see add_tags); None when its canonical URL is already in
    the archive. `search_forms`: its title and text as the full-text index takes them, when
    the analysis made them already (fulltext.index_article)."""
    statement = (
        dialect_insert(session, ArticleRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(ArticleRow.id)
    )
    article_id = session.scalar(statement)
    if article_id is not None:
        # The tags before the index: on PostgreSQL its row takes them in the one write, where
        # tags added after it are an update of the row (revision 0012).
        add_tags(session, article_id, tags)
        index_article(session, article_id, values["title"], values["text"], search_forms)
    return article_id


@dataclass(frozen=True)
class Copy:
    article_id: int
    outlet_id: int
    cluster_id: int | None
    similarity: float


def lock_story_keys(session: Session, hashes: Iterable[str], bands: Iterable[tuple[int, int]]) -> None:
    """PostgreSQL: a transaction-level advisory lock on every content hash and LSH band that
    the transaction is about to look up and write, taken in one global order (so two
    transactions never wait on each other in a circle), and held until it commits.

    Two workers storing copies of one new story at the same instant both look for an earlier
    copy, find none, and would start two stories. With the locks, the second waits until the
    first commits, then finds its rows and joins its story. Only transactions that share a
    key wait; SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = {_lock_key(b"hash:" + value.encode()) for value in hashes}
    keys |= {_lock_key(f"band:{band}:{key}".encode()) for band, key in bands}
    if keys:
        # The inner query orders the keys; the outer one takes them in that order.
        session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS o"),
            {"keys": sorted(keys)},
        )


def _lock_key(value: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(value, digest_size=8).digest(), "big", signed=True)


def find_exact_copy(session: Session, content_hash: str) -> Copy | None:
    row = session.execute(
        select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.cluster_id)
        .where(ArticleRow.content_hash == content_hash)
        .order_by(ArticleRow.id)
        .limit(1)
    ).first()
    return Copy(row[0], row[1], row[2], 1.0) if row else None


NearCopyQuery = Select[int, int, int | None, bytes | None]  # id, outlet_id, cluster_id, minhash


def near_copy_query(bands: tuple[tuple[int, int], ...]) -> tuple[NearCopyQuery, dict[str, int]]:
    """The archived articles sharing an LSH band with `bands` (at most the
    MAX_NEAR_DUPLICATE_CANDIDATES sharing most), and the statement's parameters.

    One equality per band, joined by OR, so that both SQLite and PostgreSQL look each band up
    in the primary key (band, bucket, article_id) and the cost does not grow with the archive.
    A row-value list, `(band, bucket) IN (...)`, reads the whole table on SQLite: it uses no
    index for it, and prefers the article_id index to save the GROUP BY's sort. The statement
    is built once, with bound parameters: building 37 comparisons for every page costs more
    than running them.
    """
    parameters: dict[str, int] = {}
    for number, (band, key) in enumerate(bands):
        parameters[f"band_{number}"], parameters[f"bucket_{number}"] = band, key
    return _near_copy_statement(len(bands)), parameters


@cache
def _near_copy_statement(band_count: int) -> NearCopyQuery:
    matches = or_(
        *(
            and_(LshBucketRow.band == bindparam(f"band_{n}"), LshBucketRow.bucket == bindparam(f"bucket_{n}"))
            for n in range(band_count)
        )
    )
    # A true copy shares many bands; unrelated texts share one by chance: verify the best first.
    candidates = (
        select(LshBucketRow.article_id)
        .where(matches)
        .group_by(LshBucketRow.article_id)
        .order_by(func.count().desc(), LshBucketRow.article_id)
        .limit(MAX_NEAR_DUPLICATE_CANDIDATES)
        .subquery()
    )
    return select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.cluster_id, ArticleRow.minhash).where(
        ArticleRow.id.in_(select(candidates.c.article_id))
    )


def find_near_copy(
    session: Session, signature: bytes, bands: tuple[tuple[int, int], ...], *, threshold: float
) -> Copy | None:
    """The most similar archived article sharing an LSH band, if similar enough."""
    from newsalert.pipelines.dedup import similarity

    if not bands:
        return None
    statement, parameters = near_copy_query(bands)
    scored = [
        Copy(id_, outlet_id, cluster_id, similarity(signature, minhash))
        for id_, outlet_id, cluster_id, minhash in session.execute(statement, parameters)
        if minhash
    ]
    best = max(scored, key=lambda copy: (copy.similarity, -copy.article_id), default=None)
    return best if best and best.similarity >= threshold else None


def new_cluster(session: Session) -> int:
    cluster = ClusterRow(created_at=utcnow())
    session.add(cluster)
    session.flush()
    return cluster.id


def set_cluster(session: Session, article_id: int, cluster_id: int) -> None:
    session.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(cluster_id=cluster_id))


def add_lsh_bands(session: Session, article_id: int, bands: tuple[tuple[int, int], ...]) -> None:
    if not bands:
        return
    # One statement run for many rows (compiled once and cached), on the table rather than the
    # ORM class: a VALUES list of its own was compiled again for every article (2 ms each).
    session.execute(
        dialect_insert(session, LshBucketRow.__table__).on_conflict_do_nothing(),
        [{"band": band, "bucket": key, "article_id": article_id} for band, key in bands],
    )


def add_tags(session: Session, article_id: int, tags: Iterable[Any]) -> None:
    """Attach tags (objects with kind, code, label, salience), creating the tags that are new."""
    tags = list(tags)
    if not tags:
        return
    # Statements with their values as parameters: compiled once, not per article.
    session.execute(
        dialect_insert(session, TagRow).on_conflict_do_nothing(),
        [{"kind": t.kind, "code": t.code, "label": t.label} for t in tags],
    )
    ids = {
        (kind, code): id_
        for id_, kind, code in session.execute(
            select(TagRow.id, TagRow.kind, TagRow.code).where(
                tuple_(TagRow.kind, TagRow.code).in_([(t.kind, t.code) for t in tags])
            )
        )
    }
    session.execute(
        dialect_insert(session, ArticleTagRow).on_conflict_do_nothing(),
        [{"article_id": article_id, "tag_id": ids[(t.kind, t.code)], "salience": t.salience} for t in tags],
    )


def replace_tags(session: Session, article_id: int, tags: Iterable[Any]) -> None:
    """Give the article exactly these tags (after a rescore)."""
    session.execute(delete(ArticleTagRow).where(ArticleTagRow.article_id == article_id))
    add_tags(session, article_id, tags)


def articles_to_rescore(
    session: Session, since: datetime | None, *, after_id: int = 0, limit: int = 200
) -> list[ArticleRow]:
    """A batch of stored articles published (or fetched) since `since`, in id order."""
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    statement = select(ArticleRow).where(ArticleRow.id > after_id)
    if since is not None:
        statement = statement.where(when >= since)
    return list(session.scalars(statement.order_by(ArticleRow.id).limit(limit).options(selectinload(ArticleRow.tags))))


def article_id_for(session: Session, canonical_url: str) -> int | None:
    return session.scalar(select(ArticleRow.id).where(ArticleRow.canonical_url == canonical_url))


def get_article(session: Session, article_id: int) -> ArticleRow | None:
    return session.scalar(
        select(ArticleRow)
        .where(ArticleRow.id == article_id)
        .options(joinedload(ArticleRow.outlet), selectinload(ArticleRow.tags))
    )


@dataclass(frozen=True)
class StoryCopy:
    article_id: int
    url: str
    outlet: str
    title: str
    published_at: datetime | None


def story_copies(session: Session, articles: Iterable[ArticleRow]) -> dict[int, list[StoryCopy]]:
    """For each article, the other articles of its story (cluster), oldest first."""
    by_cluster: dict[int, list[StoryCopy]] = {}
    cluster_ids = {a.cluster_id for a in articles if a.cluster_id is not None}
    if cluster_ids:
        rows = session.execute(
            select(
                ArticleRow.cluster_id,
                ArticleRow.id,
                ArticleRow.url,
                OutletRow.name,
                ArticleRow.title,
                ArticleRow.published_at,
            )
            .join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
            .where(ArticleRow.cluster_id.in_(cluster_ids))
            .order_by(ArticleRow.id)
        )
        for cluster_id, article_id, url, outlet, title, published_at in rows:
            if cluster_id is None:
                continue
            by_cluster.setdefault(cluster_id, []).append(StoryCopy(article_id, url, outlet, title, published_at))
    return {
        a.id: [c for c in by_cluster.get(a.cluster_id, []) if c.article_id != a.id]
        for a in articles
        if a.cluster_id is not None
    }


def article_urls(session: Session, article_id: int) -> list[str]:
    """Every URL recorded as leading to the article (redirects, tracking variants)."""
    return list(
        session.scalars(select(SeenUrlRow.url).where(SeenUrlRow.article_id == article_id).order_by(SeenUrlRow.id))
    )


def stored_between(session: Session, since: datetime, until: datetime, *, among: Any = None) -> list[ArticleRow]:
    """The on-topic articles stored in [since, until) that belong to a story, with their outlet
    and tags loaded; with `among` (a select of ids), those it selects."""
    statement = (
        select(ArticleRow)
        .where(
            ArticleRow.fetched_at >= since,
            ArticleRow.fetched_at < until,
            ArticleRow.cluster_id.is_not(None),
            ArticleRow.on_topic,
        )
        .options(joinedload(ArticleRow.outlet), selectinload(ArticleRow.tags))
    )
    if among is not None:
        statement = statement.where(ArticleRow.id.in_(among))
    return list(session.scalars(statement))


def sync_topic_labels(session: Session, labels: dict[str, str]) -> None:
    """Topic tags carry the topic's label in plain words ("South-South cooperation"), also when
    topics.yaml changed it, or when an older version stored the topic's name as its label."""
    for code, label in labels.items():
        session.execute(
            update(TagRow).where(TagRow.kind == "topic", TagRow.code == code, TagRow.label != label).values(label=label)
        )


def known_tags(session: Session) -> set[tuple[str, str]]:
    """Every (kind, code) the archive has tagged an article with."""
    return {(kind, code) for kind, code in session.execute(select(TagRow.kind, TagRow.code))}
