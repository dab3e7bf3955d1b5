"""PostgreSQL: each article's outlet, language and tags as lexemes of its search vector.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

A common word with a selective filter (an outlet, a country, a tag) was slow at 100k
articles: the GIN index found every match of the word (tens of thousands), and the heap scan
read each one's row only for the filter to drop nine in ten. Now the vector also holds
"outlet:<outlet id>", "lang:<language>" and "tag:<tag id>" beside "week:..." (revision 0009),
so that the index intersects the word's matches with the filter's before any row is read.

Kept in step by triggers: a new article's lexemes are written with its vector
(fulltext.INDEX_STATEMENTS, which also takes the tags stored before it); article_search_sync
moves the outlet and language lexemes with the week; inserting, deleting or updating
article_tags adds or removes the tag lexemes, one UPDATE per article by its key. Tag ids, not codes:
a tag's kind and code never change, and a filter's tags are looked up first (search.py).

This revision writes the lexemes of the articles already archived. SQLite is unchanged: FTS5
and its filters are fast enough there.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COPIED = "published, outlet_id, language, on_topic"
POSTGRES_DATE = "least({row}.published_at, {row}.fetched_at)"
FROM_ARTICLE_PG = POSTGRES_DATE + ", {row}.outlet_id, {row}.language, {row}.on_topic"
WATCHED = "published_at, fetched_at, outlet_id, language, on_topic"
WEEK = "'week:' || to_char({when} AT TIME ZONE 'UTC', 'IYYY-IW')"  # as fulltext.WEEK: a revision keeps its own
# The lexemes of an article's date, outlet and language (none for a language unknown).
LEXEMES = "array_remove(ARRAY[" + WEEK + ", 'outlet:' || {outlet}, 'lang:' || {language}], NULL)"
OLD_LEXEMES = LEXEMES.format(when="published", outlet="outlet_id", language="language")
NEW_LEXEMES = LEXEMES.format(when=POSTGRES_DATE.format(row="NEW"), outlet="NEW.outlet_id", language="NEW.language")
# A statement trigger on article_tags: the tag lexemes of the rows it wrote ({rows}) applied to
# each article's vector ({vector}, of $1 the lexemes).
TAG_FUNCTION = """CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE tagged record;
        BEGIN
            FOR tagged IN SELECT article_id, array_agg('tag:' || tag_id) AS lexemes FROM {rows} GROUP BY article_id
            LOOP
                EXECUTE 'UPDATE article_search SET search_vector = {vector} WHERE article_id = $2'
                    USING tagged.lexemes, tagged.article_id;
            END LOOP;
            RETURN NULL;
        END $$"""

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE article_search SET ({COPIED}) = ({FROM_ARTICLE_PG.format(row="NEW")}),
                search_vector = ts_delete(search_vector, {OLD_LEXEMES}) || array_to_tsvector({NEW_LEXEMES})
            WHERE article_id = NEW.id;
            RETURN NULL;
        END $$""",
    # One UPDATE per article a statement tagged (transition tables), each by the primary key and
    # planned when it runs (EXECUTE): an UPDATE ... FROM the transition table was planned as a
    # scan of article_search, and so was a plan cached by the session while the table was
    # still small (a first crawl, a bulk load): each tag cost a scan of the whole archive.
    TAG_FUNCTION.format(name="article_search_untag", rows="old_tags", vector="ts_delete(search_vector, $1)"),
    TAG_FUNCTION.format(name="article_search_tag", rows="new_tags", vector="search_vector || array_to_tsvector($1)"),
    """CREATE TRIGGER article_search_tags_delete AFTER DELETE ON article_tags
        REFERENCING OLD TABLE AS old_tags FOR EACH STATEMENT EXECUTE FUNCTION article_search_untag()""",
    """CREATE TRIGGER article_search_tags_update_old AFTER UPDATE ON article_tags
        REFERENCING OLD TABLE AS old_tags FOR EACH STATEMENT EXECUTE FUNCTION article_search_untag()""",
    # Triggers of one event fire in name order: the old tags go before the new ones come.
    """CREATE TRIGGER article_search_tags_update_renew AFTER UPDATE ON article_tags
        REFERENCING NEW TABLE AS new_tags FOR EACH STATEMENT EXECUTE FUNCTION article_search_tag()""",
    """CREATE TRIGGER article_search_tags_insert AFTER INSERT ON article_tags
        REFERENCING NEW TABLE AS new_tags FOR EACH STATEMENT EXECUTE FUNCTION article_search_tag()""",
    f"""UPDATE article_search SET search_vector = search_vector
            || array_to_tsvector({OLD_LEXEMES})
            || coalesce((SELECT array_to_tsvector(array_agg('tag:' || tag_id)) FROM article_tags
                         WHERE article_tags.article_id = article_search.article_id), ''::tsvector)""",
    "ANALYZE article_search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("0012 cannot be undone: restore a backup taken before the upgrade")
