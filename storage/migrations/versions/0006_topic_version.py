"""The topic profile each relevance decision was made under, so the archive can follow it.

Articles and off-topic URLs record the version (a hash) of the topic profile that judged
them; `newsalert rescore` judges stored articles again, and marks those now off topic; an
off-topic page judged under an older profile may be fetched again while it is recent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("topic_version", sa.String(16)))
    op.add_column("articles", sa.Column("on_topic", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("seen_urls", sa.Column("topic_version", sa.String(16)))
    op.add_column("seen_urls", sa.Column("published_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("seen_urls") as batch:
        batch.drop_column("published_at")
        batch.drop_column("topic_version")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("on_topic")
        batch.drop_column("topic_version")
