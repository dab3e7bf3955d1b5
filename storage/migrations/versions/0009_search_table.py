"""A narrow search table: what a search filters and orders by, one small row per article.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Ranking every match of a common word is what made search slow at 100k articles; search now
ranks the newest matches only (storage/search.py), and finding them must not read the wide
articles rows. article_search holds, per article, its date (published, or fetched when the
page gave none), outlet, language and on_topic. A trigger copies every update of those
columns; a new article's row is written with its full-text entry (on SQLite by a trigger, on
PostgreSQL by fulltext.index_article, with the vector); a deleted article's row goes with it
(ON DELETE CASCADE).

On PostgreSQL the tsvector and its GIN index move here from articles; each vector also holds
the article's week as a lexeme ("week:2026-49"), so that the index itself finds the newest
matches of a common word. Vectors are stored out of line when the row is long enough to be
toasted at all (2 kB); toast_tuple_target lets the toaster take them out entirely then. On
SQLite the FTS5 table stays as it is; its rowid is the article id.

This revision fills the table from the articles already archived.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COPIED = "published, outlet_id, language, on_topic"
# An article's date: published, or fetched when the page gave none, and never after the fetch
# (the pipeline already makes it so), so that no article is dated after the search asking.
SQLITE_DATE = "min(coalesce({row}.published_at, {row}.fetched_at), {row}.fetched_at)"
POSTGRES_DATE = "least({row}.published_at, {row}.fetched_at)"
OTHERS = "{row}.outlet_id, {row}.language, {row}.on_topic"
FROM_ARTICLE = SQLITE_DATE + ", " + OTHERS
FROM_ARTICLE_PG = POSTGRES_DATE + ", " + OTHERS
WATCHED = "published_at, fetched_at, outlet_id, language, on_topic"
WEEK = "'week:' || to_char({when} AT TIME ZONE 'UTC', 'IYYY-IW')"  # as fulltext.WEEK: a revision keeps its own

SQLITE = [
    f"""CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
           INSERT INTO article_search (article_id, {COPIED}) VALUES (new.id, {FROM_ARTICLE.format(row="new")});
       END""",
    f"""CREATE TRIGGER article_search_update AFTER UPDATE OF {WATCHED} ON articles BEGIN
           UPDATE article_search SET ({COPIED}) = ({FROM_ARTICLE.format(row="new")}) WHERE article_id = new.id;
       END""",
    f"INSERT INTO article_search (article_id, {COPIED}) SELECT id, {FROM_ARTICLE.format(row='articles')} FROM articles",
]
POSTGRES = [
    # Vectors out of line once a row is toasted: they leave it whole, not compressed inside it.
    "ALTER TABLE article_search ADD COLUMN search_vector tsvector",
    "ALTER TABLE article_search ALTER COLUMN search_vector SET STORAGE EXTERNAL",
    "ALTER TABLE article_search SET (toast_tuple_target = 128)",
    # No insert trigger: fulltext.index_article inserts the whole row, vector included, in the
    # article's transaction. A row inserted bare and then updated would leave a dead tuple per
    # article behind, which every search's heap scan would read until a vacuum.
    # The vector holds the article's week (fulltext.WEEK): a new date moves it to its new week.
    f"""CREATE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE article_search SET ({COPIED}) = ({FROM_ARTICLE_PG.format(row="NEW")}),
                search_vector = ts_delete(search_vector, {WEEK.format(when="published")})
                    || array_to_tsvector(ARRAY[{WEEK.format(when=POSTGRES_DATE.format(row="NEW"))}])
            WHERE article_id = NEW.id;
            RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER article_search_update AFTER UPDATE OF {WATCHED} ON articles
        FOR EACH ROW EXECUTE FUNCTION article_search_sync()""",
    f"""INSERT INTO article_search (article_id, {COPIED}, search_vector)
        SELECT id, {FROM_ARTICLE_PG.format(row="articles")},
            coalesce(search_vector, ''::tsvector)
            || array_to_tsvector(ARRAY[{WEEK.format(when=POSTGRES_DATE.format(row="articles"))}])
        FROM articles""",
    # The index keeps its name (db.FULLTEXT_OBJECTS leaves it out of model comparisons).
    "DROP INDEX ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN search_vector",
    "CREATE INDEX ix_articles_search_vector ON article_search USING gin (search_vector)",
    "ANALYZE article_search",
]


def upgrade() -> None:
    op.create_table(
        "article_search",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("on_topic", sa.Boolean(), nullable=False),
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("0009 cannot be undone: restore a backup taken before the upgrade")
