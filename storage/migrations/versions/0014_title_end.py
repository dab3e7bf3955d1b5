"""PostgreSQL: a position between the title and the body of each search vector.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08

A vector is the title's words (weight A) `||` the body's (weight B), and `||` numbers the
body's words on from the title's last: the two stood side by side, so the phrase "belt road"
matched a title ending in "Belt" above a body opening with "Road". Since 197eabe each phrase
asked for the title's weight or for the body's to keep them apart, which made PostgreSQL
check each candidate's positions twice, with weights, and doubled the terms of every phrase
in the tsquery.

Now every vector holds the lexeme `title:end` (a colon: no word folds to it) at the position
between the title and the body, so a phrase is asked plainly and still never runs from the
one into the other. Measured on one fresh 100k archive of search_bench.py, the weighted query
and the plain one alternated six times (medians of the rounds' medians): "南南合作" 53.3 ->
45.7 ms, `cooperation -"belt road"` 21.6 -> 19.4 ms, "belt road" 42.0 -> 44.3 ms (no gain:
its time is the visit of 7,654 heap pages for 8,784 candidates, not the position check).

This revision rewrites the archived vectors: the title's positions, the lexeme, the body's
positions moved on past it, and the lexemes without a position (the week, outlet, language
and tags) as they were. On the bench's 100k archive it took 20 s. It leaves one dead row
version per article, which autovacuum reclaims; until then a phrase reads more pages.

The downgrade removes the lexeme and leaves the body's positions where they are: a gap between
the title and the body is all that revision 0013's weighted phrases need.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TITLE_END = "'title:end':1"  # as fulltext.TITLE_END: a revision keeps its own

# ts_filter keeps the lexemes of the weights given, with their positions: the title's (A), then
# the rest (B, or D where a vector was written without weights), whose positions `||` moves on
# past the left side's last. The lexemes without positions are the filters.
REWRITE = text(
    "UPDATE article_search SET search_vector = "
    "ts_filter(search_vector, '{a}') || CAST(:title_end AS tsvector) || ts_filter(search_vector, '{b,c,d}') "
    "|| array_to_tsvector(ARRAY(SELECT lexeme FROM unnest(search_vector) WHERE positions IS NULL)) "
    "WHERE NOT search_vector @@ CAST('''title:end''' AS tsquery)"
).bindparams(title_end=TITLE_END)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().execute(REWRITE)
    op.execute("ANALYZE article_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("UPDATE article_search SET search_vector = ts_delete(search_vector, 'title:end'::text)")
    op.execute("ANALYZE article_search")
