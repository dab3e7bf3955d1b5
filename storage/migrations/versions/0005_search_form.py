"""Full-text search over the folded search form: accent-insensitive, Chinese searchable.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The index no longer reads the raw text through triggers or a generated column: the store
indexes each article's search form (storage/fulltext.py), and this revision indexes the
articles already archived.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 500

SQLITE = [
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TABLE IF EXISTS articles_fts",
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize='unicode61 remove_diacritics 2')",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
           DELETE FROM articles_fts WHERE rowid = old.id;
       END""",
]
POSTGRES = [
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE articles ADD COLUMN search_vector tsvector",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]


# This revision's own statements: storage/fulltext.py writes what the head revision has.
INDEX = {
    "postgresql": "UPDATE articles SET search_vector = setweight(to_tsvector('simple', :title), 'A') "
    "|| setweight(to_tsvector('simple', :body), 'B') WHERE id = :id",
    "sqlite": "INSERT INTO articles_fts(rowid, title, body) VALUES (:id, :title, :body)",
}


def upgrade() -> None:
    from newsalert.storage.fulltext import search_form

    connection = op.get_bind()
    for statement in POSTGRES if connection.dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    index = sa.text(INDEX["postgresql" if connection.dialect.name == "postgresql" else "sqlite"])
    articles = sa.table(
        "articles", sa.column("id", sa.Integer), sa.column("title", sa.Text), sa.column("text", sa.Text)
    )
    last_id = 0
    while rows := connection.execute(
        sa.select(articles.c.id, articles.c.title, articles.c.text)
        .where(articles.c.id > last_id)
        .order_by(articles.c.id)
        .limit(BATCH)
    ).all():
        connection.execute(
            index, [{"id": i, "title": search_form(title), "body": search_form(body)} for i, title, body in rows]
        )
        last_id = rows[-1][0]


def downgrade() -> None:
    raise NotImplementedError("0005 cannot be undone: restore a backup taken before the upgrade")
