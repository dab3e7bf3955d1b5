"""Full-text search over title and text: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank).

User input never reaches SQL as text: it is reduced to words that are bound as parameters.
"""

from __future__ import annotations

import re

from sqlalchemy import Subquery, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from newsalert.storage.models import ArticleRow

WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """A search query that cannot be run; the message says why."""


def query_words(query: str) -> list[str]:
    words = WORD.findall(query)
    if not words:
        raise QueryError(f"nothing to search for in {query!r}: give at least one word")
    return words


def fulltext_matches(session: Session, query: str) -> Subquery:
    """A subquery of (article_id, rank) for articles containing every word; lower rank is better."""
    words = query_words(query)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.plainto_tsquery("simple", bindparam("fts_query", " ".join(words)))
        vector = literal_column("articles.search_vector")
        return (select(ArticleRow.id.label("article_id"), (-func.ts_rank(vector, tsquery)).label("rank"))
                .where(vector.op("@@")(tsquery)).subquery("matches"))
    # FTS5 syntax: each word a quoted string, all of them required; title weighs 5x the text.
    match = " ".join(f'"{word}"' for word in words)
    return (select(literal_column("rowid").label("article_id"),
                   literal_column("bm25(articles_fts, 5.0, 1.0)").label("rank"))
            .select_from(text("articles_fts"))
            .where(literal_column("articles_fts").op("MATCH")(bindparam("fts_query", match)))
            .subquery("matches"))
