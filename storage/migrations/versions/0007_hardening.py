"""Hardening: what a page's date said when it could not be believed, and which machine a run
was on (so that a run left running by a process that died can be closed).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("date_note", sa.Text()))
    op.add_column("crawl_runs", sa.Column("host", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("host")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("date_note")
