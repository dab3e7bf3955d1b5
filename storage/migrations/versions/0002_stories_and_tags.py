"""Relevance, tags, story clusters and the near-duplicate (LSH) index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Existing articles each become a one-article story and get their MinHash fingerprint, so
copies crawled from now on are matched against them. They keep no relevance and no tags.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BACKFILL_BATCH = 500


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("kind", "code", name="uq_tags_kind_code"),
    )
    op.add_column("articles", sa.Column("relevance", sa.Float()))
    op.add_column("articles", sa.Column("matched_terms", sa.JSON()))
    op.add_column("articles", sa.Column("minhash", sa.LargeBinary()))
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: recreating `articles` would drop the full-text triggers on it.
        op.execute(
            "ALTER TABLE articles ADD COLUMN cluster_id INTEGER "
            "CONSTRAINT fk_articles_cluster_id_clusters REFERENCES clusters (id)"
        )
    else:
        op.add_column("articles", sa.Column("cluster_id", sa.Integer()))
        op.create_foreign_key("fk_articles_cluster_id_clusters", "articles", "clusters", ["cluster_id"], ["id"])
    op.create_index("ix_articles_cluster_id", "articles", ["cluster_id"])
    op.add_column("seen_urls", sa.Column("relevance", sa.Float()))
    op.add_column("outlet_runs", sa.Column("irrelevant", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("salience", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "tag_id", name="pk_article_tags"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], ondelete="CASCADE", name="fk_article_tags_article_id_articles"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_article_tags_tag_id_tags"),
    )
    op.create_index("ix_article_tags_tag_id", "article_tags", ["tag_id"])
    op.create_table(
        "lsh_buckets",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("band", "bucket", "article_id", name="pk_lsh_buckets"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], ondelete="CASCADE", name="fk_lsh_buckets_article_id_articles"
        ),
    )
    op.create_index("ix_lsh_buckets_article_id", "lsh_buckets", ["article_id"])
    _backfill_stories()


def _backfill_stories() -> None:
    connection = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("fetched_at", sa.DateTime(timezone=True)),
        sa.column("cluster_id", sa.Integer),
        sa.column("minhash", sa.LargeBinary),
    )
    clusters = sa.table("clusters", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime(timezone=True)))
    buckets = sa.table(
        "lsh_buckets",
        sa.column("band", sa.SmallInteger),
        sa.column("bucket", sa.BigInteger),
        sa.column("article_id", sa.Integer),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(articles.c.id, articles.c.text, articles.c.fetched_at)
            .where(articles.c.id > last_id)
            .order_by(articles.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            break
        # Imported only for an archive that has articles: datasketch costs 90 MB to load.
        from newsalert.pipelines.dedup import fingerprint

        for article_id, text, fetched_at in rows:
            cluster_id = connection.execute(
                sa.insert(clusters).values(created_at=fetched_at).returning(clusters.c.id)
            ).scalar_one()
            fingerprinted = fingerprint(text)
            connection.execute(
                sa.update(articles)
                .where(articles.c.id == article_id)
                .values(cluster_id=cluster_id, minhash=fingerprinted.signature)
            )
            connection.execute(
                sa.insert(buckets),
                [{"band": band, "bucket": key, "article_id": article_id} for band, key in fingerprinted.bands],
            )
        last_id = rows[-1][0]


def downgrade() -> None:
    op.drop_table("lsh_buckets")
    op.drop_table("article_tags")
    with op.batch_alter_table("outlet_runs") as batch:
        batch.drop_column("irrelevant")
    with op.batch_alter_table("seen_urls") as batch:
        batch.drop_column("relevance")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_cluster_id")
        batch.drop_constraint("fk_articles_cluster_id_clusters", type_="foreignkey")
        for column in ("minhash", "cluster_id", "matched_terms", "relevance"):
            batch.drop_column(column)
    op.drop_table("tags")
    op.drop_table("clusters")
