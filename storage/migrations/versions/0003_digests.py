"""Subscribers and the ledger of digests: what was built for whom, and what was sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("email", name="uq_subscribers_email"),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer()),
        sa.Column("email", sa.String(320)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("period_start", TZ, nullable=False),
        sa.Column("period_end", TZ, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("message_id", sa.String(300)),
        sa.Column("error", sa.Text()),
        sa.Column("html_path", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscribers.id"], ondelete="SET NULL", name="fk_digests_subscriber_id_subscribers"
        ),
    )
    op.create_index("ix_digests_subscriber_status", "digests", ["subscriber_id", "status"])
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_items"),
        sa.UniqueConstraint("digest_id", "cluster_id", name="uq_digest_items_digest_id"),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["digests.id"], ondelete="CASCADE", name="fk_digest_items_digest_id_digests"
        ),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_digest_items_article_id_articles"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name="fk_digest_items_cluster_id_clusters"),
    )
    op.create_index("ix_digest_items_cluster_id", "digest_items", ["cluster_id"])


def downgrade() -> None:
    op.drop_table("digest_items")
    op.drop_table("digests")
    op.drop_table("subscribers")
