"""Alerts: each subscriber's saved searches, and subscriptions that wait for confirmation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

An alert is a query plus search filters; a subscriber has one or more, and their digest has a
section per alert. A subscriber's former tags ("any of these") become one alert per tag, which
keeps exactly the stories they received (an alert's filters must all hold, as in `search`).
A subscriber with no tags gets one alert for every story. Subscribers gain a status: the web
form's subscriptions are `pending` until the confirmation link is followed.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
EVERY_STORY = "All stories"


def upgrade() -> None:
    # Each subscriber's tags, read before the column goes. No table is rebuilt here: on SQLite a
    # batch rebuild of `subscribers` drops it, and with foreign keys on that deletes its alerts
    # and sets every digest's subscriber to NULL (the record of what was mailed to whom).
    connection = op.get_bind()
    tagged = [
        (subscriber_id, (json.loads(tags) if isinstance(tags, str) else tags) or [])
        for subscriber_id, tags in connection.execute(sa.text("SELECT id, tags FROM subscribers ORDER BY id"))
    ]
    op.add_column("subscribers", sa.Column("status", sa.String(20), nullable=False, server_default="active"))
    op.add_column("subscribers", sa.Column("confirmed_at", TZ))
    op.drop_column("subscribers", "tags")  # SQLite 3.35+ drops a column in place
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text()),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("feed_key", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("subscriber_id", "name", name="uq_alerts_subscriber_id"),
        sa.UniqueConstraint("feed_key", name="uq_alerts_feed_key"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscribers.id"], ondelete="CASCADE", name="fk_alerts_subscriber_id_subscribers"
        ),
    )
    alerts = sa.table(
        "alerts",
        sa.column("subscriber_id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("query", sa.Text()),
        sa.column("filters", sa.JSON()),
        sa.column("feed_key", sa.String()),
        sa.column("created_at", TZ),
    )
    now = datetime.now(UTC)
    rows = [
        {"subscriber_id": subscriber_id, "name": name[:100], "query": None, "filters": filters,
         "feed_key": secrets.token_urlsafe(24), "created_at": now}
        for subscriber_id, codes in tagged
        for name, filters in [(code, {"tags": [code]}) for code in dict.fromkeys(codes)] or [(EVERY_STORY, {})]
    ]  # fmt: skip
    if rows:
        op.bulk_insert(alerts, rows)
    with op.batch_alter_table("digest_items") as batch:  # a rebuild is safe: nothing refers to it
        batch.add_column(sa.Column("alert_id", sa.Integer()))
        batch.create_foreign_key("fk_digest_items_alert_id_alerts", "alerts", ["alert_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("digest_items") as batch:  # nothing refers to digest_items
        batch.drop_constraint("fk_digest_items_alert_id_alerts", type_="foreignkey")
        batch.drop_column("alert_id")
    op.drop_table("alerts")
    op.add_column("subscribers", sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    op.drop_column("subscribers", "confirmed_at")
    op.drop_column("subscribers", "status")
