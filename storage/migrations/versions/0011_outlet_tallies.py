"""Each outlet run keeps the crawl's full tally (sources read, links known, errors), so that a
crawl dispatched to workers on other machines shows its progress and summary from the database.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outlet_runs", sa.Column("tally", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("outlet_runs") as batch:
        batch.drop_column("tally")
