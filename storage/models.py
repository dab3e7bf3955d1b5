"""The archive's tables as typed SQLAlchemy models.

Schema changes go through Alembic revisions in `storage/migrations/versions`; these models
must match the head revision (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from newsalert.domain import RunStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class OutletRow(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    articles: Mapped[list[ArticleRow]] = relationship(back_populates="outlet")


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_outlet_published", "outlet_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    # The identity of an article: unique, so two writers can never store it twice.
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    # Why published_at is not what the page said (a date in the future became the fetch time).
    date_note: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Topic relevance; None when no topic profile was in use.
    relevance: Mapped[float | None] = mapped_column(Float)
    matched_terms: Mapped[list[str] | None] = mapped_column(JSON)
    # The topic profile that judged it (relevance.profile_version), and whether it is still on
    # topic: `newsalert rescore` under a changed profile may find it is not.
    topic_version: Mapped[str | None] = mapped_column(String(16))
    on_topic: Mapped[bool] = mapped_column(default=True, server_default=true())
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)  # dedup.NUM_PERM uint64 values

    outlet: Mapped[OutletRow] = relationship(back_populates="articles")
    cluster: Mapped[ClusterRow | None] = relationship(back_populates="articles")
    tags: Mapped[list[ArticleTagRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleTagRow.salience.desc()"
    )


class ArticleSearchRow(Base):
    """What a search filters and orders by, one row per article apart from the articles' wide
    rows, so that finding the newest matches of a common word never reads the articles. Copied
    from articles by triggers (revision 0009); on PostgreSQL it also holds the tsvector (in the
    row since revision 0013), created by raw SQL like the FTS5 table on SQLite."""

    __tablename__ = "article_search"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    published: Mapped[datetime]  # published_at (fetched_at when the page gave none), at most fetched_at
    outlet_id: Mapped[int]
    language: Mapped[str | None] = mapped_column(String(8))
    on_topic: Mapped[bool]


class ClusterRow(Base):
    """A story: an article and every copy of it (syndicated, republished, lightly edited)."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    articles: Mapped[list[ArticleRow]] = relationship(back_populates="cluster")


class LshBucketRow(Base):
    """The near-duplicate index: one row per LSH band of each article's MinHash signature."""

    __tablename__ = "lsh_buckets"
    __table_args__ = (PrimaryKeyConstraint("band", "bucket", "article_id", name="pk_lsh_buckets"),)

    band: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_tags_kind_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # country, region, theme, initiative, topic
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))


class ArticleTagRow(Base):
    __tablename__ = "article_tags"
    __table_args__ = (PrimaryKeyConstraint("article_id", "tag_id", name="pk_article_tags"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), index=True)
    salience: Mapped[float] = mapped_column(Float)

    article: Mapped[ArticleRow] = relationship(back_populates="tags")
    tag: Mapped[TagRow] = relationship(lazy="joined")


class SeenUrlRow(Base):
    """Every URL the crawler met and what became of it, so nothing is fetched twice."""

    __tablename__ = "seen_urls"
    __table_args__ = (Index("ix_seen_urls_outlet_status", "outlet_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(default=1)
    relevance: Mapped[float | None] = mapped_column(Float)  # the score of an off-topic page
    topic_version: Mapped[str | None] = mapped_column(String(16))  # the profile that judged it
    published_at: Mapped[datetime | None]  # when the page said it was published (off-topic pages)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class SourceStateRow(Base):
    """What a feed, sitemap or listing page answered when last read in full: its validators
    and a hash of its body. Written only after a pass over the outlet left nothing behind
    (no failure, no cap), so an unchanged source holds no link a later crawl still needs."""

    __tablename__ = "source_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # A digest of what its links were judged by (topic profile, the outlet's link rules): when
    # that changes, the source is read again in full.
    judged_by: Mapped[str | None] = mapped_column(String(16))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRunRow(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    # running, ok, partial (some outlets failed), failed, interrupted
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))  # the machine the run's process is on
    error: Mapped[str | None] = mapped_column(Text)
    # The daily job's delivery step (None for a crawl on its own).
    digests_sent: Mapped[int | None]
    digests_failed: Mapped[int | None]

    outlet_runs: Mapped[list[OutletRunRow]] = relationship(back_populates="run")


class OutletRunRow(Base):
    __tablename__ = "outlet_runs"
    __table_args__ = (Index("ix_outlet_runs_outlet_run", "outlet_id", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    # ok, partial (a source failed), failed (nothing could be fetched)
    status: Mapped[str] = mapped_column(String(20))
    discovered: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    too_old: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    irrelevant: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # the crawl's whole tally (TallySnapshot), for progress and summaries read from here
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    run: Mapped[CrawlRunRow] = relationship(back_populates="outlet_runs")


class SubscriberRow(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # active, or pending: subscribed through the web form and not yet confirmed (no digests)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    confirmed_at: Mapped[datetime | None]

    alerts: Mapped[list[AlertRow]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", order_by="AlertRow.id"
    )


class AlertRow(Base):
    """A subscriber's saved search: a full-text query and search filters. Each alert is a
    section of the subscriber's digest and has an Atom feed at a secret address."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subscriber_id", "name", name="uq_alerts_subscriber_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str | None] = mapped_column(Text)
    # outlets, languages, countries, regions, tags: lists, as SearchFilters takes them
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    feed_key: Mapped[str] = mapped_column(String(64), unique=True)  # the feed's secret address
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subscriber: Mapped[SubscriberRow] = relationship(back_populates="alerts")


class DigestRow(Base):
    """One digest built for one subscriber (or a preview for nobody), and what became of it."""

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_subscriber_status", "subscriber_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    # preview, pending (built, not yet delivered), sent, failed (retried next run),
    # refused (the server refused the recipient for good), superseded (a newer digest covers it)
    status: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    html_path: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[DigestItemRow]] = relationship(
        back_populates="digest", cascade="all, delete-orphan", order_by="DigestItemRow.position"
    )


class DigestItemRow(Base):
    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("digest_id", "cluster_id", name="uq_digest_items_digest_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    section: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    # the alert whose section carried the story (none in a preview, or once the alert is gone)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))

    digest: Mapped[DigestRow] = relationship(back_populates="items")


class LockRow(Base):
    """A named lock with an expiry, held in the database so that processes on any machine agree."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
