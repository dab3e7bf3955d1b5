"""Queries shared by the crawler, the command line and the digest.

Deduplication is the database's job: inserts go through ON CONFLICT clauses on the unique
canonical URL, so concurrent writers (several crawl processes, later several machines)
can never store an article twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from newsalert.config.models import Outlet
from newsalert.domain import RunStatus, UrlStatus
from newsalert.storage.fulltext import fulltext_matches, index_article
from newsalert.storage.models import (
    ArticleRow,
    ArticleTagRow,
    ClusterRow,
    CrawlRunRow,
    LshBucketRow,
    OutletRow,
    OutletRunRow,
    SeenUrlRow,
    TagRow,
    utcnow,
)

IN_CLAUSE_CHUNK = 500
MAX_NEAR_DUPLICATE_CANDIDATES = 200


@dataclass(frozen=True)
class UrlRecord:
    url: str  # canonical
    outlet_id: int | None
    status: str
    reason: str | None = None
    http_status: int | None = None
    article_id: int | None = None
    relevance: float | None = None
    topic_version: str | None = None  # the topic profile that judged the page
    published_at: datetime | None = None


@dataclass(frozen=True)
class Reconsider:
    """Off-topic pages that may be fetched again: judged under another topic profile than
    `topic_version`, and published (or first met) since `since` (None: whenever)."""

    topic_version: str
    since: datetime | None


def dialect_insert(session: Session, table: Any) -> Insert:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    items = list(items)
    for start in range(0, len(items), IN_CLAUSE_CHUNK):
        yield items[start : start + IN_CLAUSE_CHUNK]


def sync_outlets(session: Session, outlets: Iterable[Outlet]) -> dict[str, int]:
    """Insert or update the configured outlets; returns their ids by name."""
    ids: dict[str, int] = {}
    for outlet in outlets:
        values = {
            "domain": outlet.domain,
            "url": outlet.url,
            "language": outlet.language,
            "country": outlet.country,
            "enabled": outlet.enabled,
        }
        statement = dialect_insert(session, OutletRow).values(name=outlet.name, created_at=utcnow(), **values)
        statement = statement.on_conflict_do_update(index_elements=["name"], set_=values)
        session.execute(statement)
        ids[outlet.name] = session.scalar(select(OutletRow.id).where(OutletRow.name == outlet.name))
    return ids


def settled_urls(
    session: Session, urls: Collection[str], *, max_attempts: int, reconsider: Reconsider | None = None
) -> set[str]:
    """The URLs among `urls` that must not be fetched again: final, or failed too often.

    With `reconsider`, an off-topic page judged under another topic profile is not settled
    while it is recent: the changed profile may keep it now.
    """
    settled: set[str] = set()
    final = or_(SeenUrlRow.status != UrlStatus.FAILED, SeenUrlRow.attempts >= max_attempts)
    if reconsider is not None:
        when = func.coalesce(SeenUrlRow.published_at, SeenUrlRow.first_seen)
        judged_before = and_(
            SeenUrlRow.status == UrlStatus.OFF_TOPIC,
            or_(SeenUrlRow.topic_version.is_(None), SeenUrlRow.topic_version != reconsider.topic_version),
            *([when >= reconsider.since] if reconsider.since else []),
        )
        final = and_(final, ~judged_before)
    for chunk in _chunks(urls):
        rows = session.execute(select(SeenUrlRow.url).where(SeenUrlRow.url.in_(chunk), final))
        settled.update(rows.scalars())
    return settled


def record_urls(session: Session, records: Iterable[UrlRecord]) -> None:
    """Record what became of each URL. A stored URL stays stored; a failure counts an attempt."""
    now = utcnow()
    for record in records:
        values = {
            "status": record.status,
            "reason": record.reason,
            "http_status": record.http_status,
            "article_id": record.article_id,
            "relevance": record.relevance,
            "topic_version": record.topic_version,
            "published_at": record.published_at,
            "last_seen": now,
        }
        statement = dialect_insert(session, SeenUrlRow).values(
            url=record.url, outlet_id=record.outlet_id, attempts=1, first_seen=now, **values
        )
        table = SeenUrlRow.__table__
        statement = statement.on_conflict_do_update(
            index_elements=["url"],
            set_={**values, "attempts": table.c.attempts + 1},
            where=table.c.status != UrlStatus.STORED,
        )
        session.execute(statement)


def record_new_urls(session: Session, records: Iterable[UrlRecord]) -> None:
    """Record URLs met but not fetched (e.g. too old), leaving known ones as they are."""
    now = utcnow()
    rows = [
        {
            "url": r.url,
            "outlet_id": r.outlet_id,
            "status": r.status,
            "reason": r.reason,
            "attempts": 0,
            "first_seen": now,
            "last_seen": now,
        }
        for r in records
    ]
    if rows:
        session.execute(dialect_insert(session, SeenUrlRow).values(rows).on_conflict_do_nothing(index_elements=["url"]))


def insert_article(session: Session, values: dict[str, Any]) -> int | None:
    """Store an article; None when its canonical URL is already in the archive."""
    statement = (
        dialect_insert(session, ArticleRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(ArticleRow.id)
    )
    article_id = session.scalar(statement)
    if article_id is not None:
        index_article(session, article_id, values["title"], values["text"])
    return article_id


@dataclass(frozen=True)
class Copy:
    article_id: int
    outlet_id: int
    cluster_id: int | None
    similarity: float


def find_exact_copy(session: Session, content_hash: str) -> Copy | None:
    row = session.execute(
        select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.cluster_id)
        .where(ArticleRow.content_hash == content_hash)
        .order_by(ArticleRow.id)
        .limit(1)
    ).first()
    return Copy(row[0], row[1], row[2], 1.0) if row else None


def find_near_copy(
    session: Session, signature: bytes, bands: tuple[tuple[int, int], ...], *, threshold: float
) -> Copy | None:
    """The most similar archived article sharing an LSH band, if similar enough."""
    from newsalert.pipelines.dedup import similarity

    # A true copy shares many bands; unrelated texts share one by chance: verify the best first.
    candidates = (
        select(LshBucketRow.article_id)
        .where(tuple_(LshBucketRow.band, LshBucketRow.bucket).in_(list(bands)))
        .group_by(LshBucketRow.article_id)
        .order_by(func.count().desc())
        .limit(MAX_NEAR_DUPLICATE_CANDIDATES)
        .subquery()
    )
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.cluster_id, ArticleRow.minhash).where(
            ArticleRow.id.in_(select(candidates.c.article_id))
        )
    ).all()
    scored = [
        Copy(id_, outlet_id, cluster_id, similarity(signature, minhash))
        for id_, outlet_id, cluster_id, minhash in rows
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
    session.execute(
        dialect_insert(session, LshBucketRow)
        .values([{"band": band, "bucket": key, "article_id": article_id} for band, key in bands])
        .on_conflict_do_nothing()
    )


def add_tags(session: Session, article_id: int, tags: Iterable[Any]) -> None:
    """Attach tags (objects with kind, code, label, salience), creating the tags that are new."""
    tags = list(tags)
    if not tags:
        return
    session.execute(
        dialect_insert(session, TagRow)
        .values([{"kind": t.kind, "code": t.code, "label": t.label} for t in tags])
        .on_conflict_do_nothing()
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
        dialect_insert(session, ArticleTagRow)
        .values([{"article_id": article_id, "tag_id": ids[(t.kind, t.code)], "salience": t.salience} for t in tags])
        .on_conflict_do_nothing()
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


def start_run(session: Session, *, trigger: str, pid: int | None, host: str | None = None) -> int:
    run = CrawlRunRow(trigger=trigger, pid=pid, host=host, status=RunStatus.RUNNING, started_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


def set_run_pid(session: Session, run_id: int, pid: int | None) -> None:
    session.execute(update(CrawlRunRow).where(CrawlRunRow.id == run_id).values(pid=pid))


def close_dead_runs(session: Session, host: str, is_alive: Callable[[int], bool]) -> list[int]:
    """Runs left `running` on this machine by a process that no longer exists (killed with -9,
    the machine rebooted) are failed runs: close them, and say which."""
    dead = [
        run
        for run in session.scalars(
            select(CrawlRunRow).where(CrawlRunRow.status == RunStatus.RUNNING, CrawlRunRow.host == host)
        )
        if run.pid is None or not is_alive(run.pid)
    ]
    for run in dead:
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"process died (pid {run.pid})", utcnow()
    return [run.id for run in dead]


def finish_run(session: Session, run_id: int, *, status: str, error: str | None = None) -> None:
    session.execute(
        update(CrawlRunRow).where(CrawlRunRow.id == run_id).values(status=status, error=error, finished_at=utcnow())
    )


def record_outlet_run(session: Session, run_id: int, outlet_id: int, figures: dict[str, Any]) -> None:
    session.add(OutletRunRow(run_id=run_id, outlet_id=outlet_id, **figures))


def get_run(session: Session, run_id: int) -> CrawlRunRow | None:
    return session.get(CrawlRunRow, run_id)


def outlet_runs(session: Session, run_id: int) -> list[tuple[OutletRunRow, str]]:
    rows = session.execute(
        select(OutletRunRow, OutletRow.name)
        .join(OutletRow, OutletRow.id == OutletRunRow.outlet_id)
        .where(OutletRunRow.run_id == run_id)
        .order_by(OutletRow.name)
    )
    return [(row, name) for row, name in rows]


def recent_runs(session: Session, limit: int = 5) -> list[CrawlRunRow]:
    return list(session.scalars(select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(limit)))


def latest_run(session: Session) -> CrawlRunRow | None:
    return session.scalar(select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(1))


@dataclass(frozen=True)
class OutletHealth:
    name: str
    enabled: bool
    articles: int
    last_article_at: datetime | None
    last_run_status: str | None
    last_error: str | None
    failed_runs_in_a_row: int


def outlet_health(session: Session) -> list[OutletHealth]:
    """Per outlet: articles stored, when the last new one arrived, and how its runs went."""
    counts = dict(session.execute(select(ArticleRow.outlet_id, func.count()).group_by(ArticleRow.outlet_id)).all())
    last_new = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.max(ArticleRow.fetched_at)).group_by(ArticleRow.outlet_id)
        ).all()
    )
    health = []
    for outlet in session.scalars(select(OutletRow).order_by(OutletRow.name)):
        runs = session.execute(
            select(OutletRunRow.status, OutletRunRow.error)
            .where(OutletRunRow.outlet_id == outlet.id)
            .order_by(OutletRunRow.id.desc())
            .limit(30)
        ).all()
        failed_in_a_row = 0
        for status, _error in runs:
            if status != RunStatus.FAILED:
                break
            failed_in_a_row += 1
        last_error = next((error for _status, error in runs if error), None)
        health.append(
            OutletHealth(
                name=outlet.name,
                enabled=outlet.enabled,
                articles=counts.get(outlet.id, 0),
                last_article_at=last_new.get(outlet.id),
                last_run_status=runs[0][0] if runs else None,
                last_error=last_error,
                failed_runs_in_a_row=failed_in_a_row,
            )
        )
    return health


def seen_status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(SeenUrlRow.status, func.count()).group_by(SeenUrlRow.status)).all())


@dataclass(frozen=True)
class SearchFilters:
    query: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO codes; an article matches any of them
    regions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # "trade", "BRI", or "theme:trade"; an article must have every one
    sort: str = "relevance"  # relevance (with a query) or date
    collapse: bool = False  # one article per story: the best ranked
    include_off_topic: bool = False  # articles a rescore found off topic under the current profile
    limit: int = 20
    offset: int = 0


def search_articles(session: Session, filters: SearchFilters) -> list[ArticleRow]:
    """Articles matching the filters; with a query, the best full-text matches first."""
    statement = select(ArticleRow).join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
    conditions = []
    order: list[Any] = []
    if filters.query:
        matches = fulltext_matches(session, filters.query)
        statement = statement.join(matches, matches.c.article_id == ArticleRow.id)
        order.append(matches.c.rank)
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    if not filters.include_off_topic:
        conditions.append(ArticleRow.on_topic)
    if filters.since:
        conditions.append(when >= filters.since)
    if filters.until:
        conditions.append(when < filters.until)
    if filters.outlets:
        conditions.append(func.lower(OutletRow.name).in_([name.lower() for name in filters.outlets]))
    if filters.languages:
        conditions.append(ArticleRow.language.in_([lang.lower() for lang in filters.languages]))
    for kind, codes in (("country", filters.countries), ("region", filters.regions)):
        if codes:
            conditions.append(_tagged(kind, codes))
    for tag in filters.tags:
        kind, _, code = tag.rpartition(":")
        conditions.append(_tagged(kind or None, [code]))
    statement = statement.where(and_(*conditions)) if conditions else statement
    if filters.sort == "date":
        order = []
    statement = statement.order_by(*order, when.desc(), ArticleRow.id.desc())
    statement = statement.options(contains_eager(ArticleRow.outlet), selectinload(ArticleRow.tags))
    if not filters.collapse:
        return list(session.scalars(statement.limit(filters.limit).offset(filters.offset)))
    # One row per story: walk the ranked results and keep each cluster's first article.
    wanted, kept, seen, start = filters.offset + filters.limit, [], set(), 0
    batch = max(wanted * 3, 100)
    while len(kept) < wanted:
        rows = list(session.scalars(statement.limit(batch).offset(start)))
        for article in rows:
            story = article.cluster_id if article.cluster_id is not None else -article.id
            if story not in seen:
                seen.add(story)
                kept.append(article)
        if len(rows) < batch:
            break
        start += batch
    return kept[filters.offset : wanted]


def _tagged(kind: str | None, codes: Collection[str]) -> Any:
    """Articles carrying one of the tags `codes` (of `kind`, or of any kind), case-insensitively."""
    condition = func.lower(TagRow.code).in_([code.lower() for code in codes])
    if kind:
        condition = and_(condition, TagRow.kind == kind.lower())
    return ArticleRow.id.in_(
        select(ArticleTagRow.article_id).join(TagRow, TagRow.id == ArticleTagRow.tag_id).where(condition)
    )


def tagged_any(tags: Collection[str]) -> Any:
    """Articles carrying any of `tags` ("KE", "trade", or "kind:code")."""
    conditions = []
    for tag in tags:
        kind, _, code = tag.rpartition(":")
        conditions.append(_tagged(kind or None, [code]))
    return or_(*conditions)


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
        for cluster_id, *copy in rows:
            by_cluster.setdefault(cluster_id, []).append(StoryCopy(*copy))
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


def archive_totals(session: Session) -> dict[str, Any]:
    first, last, count = session.execute(
        select(func.min(ArticleRow.fetched_at), func.max(ArticleRow.fetched_at), func.count())
    ).one()
    return {
        "articles": count,
        "outlets": session.scalar(select(func.count()).select_from(OutletRow)),
        "first_fetched": first,
        "last_fetched": last,
    }


def articles_per_day(session: Session, since: datetime) -> list[tuple[str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    day = func.date(when)
    rows = session.execute(select(day, func.count()).where(when >= since).group_by(day).order_by(day)).all()
    return [(str(d), n) for d, n in rows]


def articles_per_outlet(session: Session, since: datetime) -> list[tuple[str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    return [
        (name, n)
        for name, n in session.execute(
            select(OutletRow.name, func.count())
            .join(ArticleRow, ArticleRow.outlet_id == OutletRow.id)
            .where(when >= since)
            .group_by(OutletRow.name)
            .order_by(func.count().desc(), OutletRow.name)
        ).all()
    ]


def articles_per_tag(session: Session, kind: str, since: datetime, *, limit: int = 20) -> list[tuple[str, str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    return [
        (code, label, n)
        for code, label, n in session.execute(
            select(TagRow.code, TagRow.label, func.count())
            .join(ArticleTagRow, ArticleTagRow.tag_id == TagRow.id)
            .join(ArticleRow, ArticleRow.id == ArticleTagRow.article_id)
            .where(TagRow.kind == kind, when >= since)
            .group_by(TagRow.code, TagRow.label)
            .order_by(func.count().desc(), TagRow.code)
            .limit(limit)
        ).all()
    ]


@dataclass(frozen=True)
class OutletYield:
    name: str
    last_week: int
    weekly_average: float  # over the four weeks before

    @property
    def dropped(self) -> bool:
        """Fewer than half its usual articles in the last seven days (and it usually has some)."""
        return self.weekly_average >= 2 and self.last_week < self.weekly_average / 2


def outlet_yields(session: Session, now: datetime) -> list[OutletYield]:
    week_ago, five_weeks_ago = now - timedelta(days=7), now - timedelta(days=35)
    recent = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.count())
            .where(ArticleRow.fetched_at >= week_ago)
            .group_by(ArticleRow.outlet_id)
        ).all()
    )
    before = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.count())
            .where(ArticleRow.fetched_at >= five_weeks_ago, ArticleRow.fetched_at < week_ago)
            .group_by(ArticleRow.outlet_id)
        ).all()
    )
    return [
        OutletYield(outlet.name, recent.get(outlet.id, 0), before.get(outlet.id, 0) / 4)
        for outlet in session.scalars(select(OutletRow).order_by(OutletRow.name))
    ]
