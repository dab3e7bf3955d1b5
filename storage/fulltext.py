"""Full-text search over title and text: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank).

The SQLite index is the FTS5 table articles_fts (rowid: the article id); the PostgreSQL one is
article_search.search_vector with a GIN index (revision 0009).

Both index the same *search form* of the text: folded (lower case, no accents, one kind of
dash) and cut into the matcher's tokens, Chinese characters one by one. So "cooperation"
finds "coopération", and "南南合作" is found as a phrase of four characters, with the
databases' own tokenizers.

Queries: words (all required), "quoted phrases", OR between two terms, -exclusion. The
query is parsed here and rebuilt from word tokens only, bound as a parameter: user input
never reaches SQL or the FTS syntax as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, Connection, Select, bindparam, cast, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from newsalert.domain import Tokenized
from newsalert.storage.models import ArticleSearchRow

QUERY_PART = re.compile(r'-?"[^"]*"|\S+')

Term = tuple[str, ...]  # the folded tokens of a word or a phrase


class QueryError(ValueError):
    """A search query that cannot be run; the message says why."""


@dataclass
class ParsedQuery:
    clauses: list[list[Term]] = field(default_factory=list)  # all clauses required; any term of a clause
    excluded: list[Term] = field(default_factory=list)

    @property
    def terms(self) -> list[Term]:
        return [term for clause in self.clauses for term in clause]


def search_form(text: str | None) -> str:
    return Tokenized.of(text or "").search_form


def parse_query(query: str) -> ParsedQuery:
    if query.count('"') % 2:
        raise QueryError(f'unbalanced quote in {query!r}: close the phrase with a second "')
    parsed = ParsedQuery()
    join_next = False
    for part in QUERY_PART.findall(query):
        if part == "OR":
            join_next = bool(parsed.clauses)
            continue
        negated = part.startswith("-") and len(part) > 1
        term = tuple(Tokenized.of(part[1:] if negated else part).folded)
        if not term:
            continue  # punctuation, a lone * or (: nothing to search for
        if negated:
            parsed.excluded.append(term)
        elif join_next:
            parsed.clauses[-1].append(term)
        else:
            parsed.clauses.append([term])
        join_next = False
    if not parsed.clauses:
        raise QueryError(f"nothing to search for in {query!r}: give at least one word that is not excluded")
    return parsed


def fts5_query(parsed: ParsedQuery) -> str:
    def phrase(term: Term) -> str:
        return '"' + " ".join(term) + '"'  # tokens are letters and digits only: no quote inside

    required = " AND ".join("(" + " OR ".join(phrase(t) for t in clause) + ")" for clause in parsed.clauses)
    return required + "".join(f" NOT {phrase(term)}" for term in parsed.excluded)


def tsquery(parsed: ParsedQuery) -> str:
    def phrase(term: Term) -> str:
        # The vector leaves a position between the title and the body (TITLE_END), so a phrase
        # never runs from the title's last word into the body's first: as FTS5 keeps them apart.
        return "(" + " <-> ".join(f"'{token}'" for token in term) + ")"

    required = " & ".join("(" + " | ".join(phrase(t) for t in clause) + ")" for clause in parsed.clauses)
    return required + "".join(f" & !{phrase(term)}" for term in parsed.excluded)


# PostgreSQL: the vector's `||` numbers the body's words on from the title's last, so the two
# would stand side by side. This lexeme (a colon: no word folds to it) takes the position
# between them (revision 0014), so that a phrase is asked plainly: asking it for the title's
# weight or the body's did the same at query time, checking each candidate's positions twice.
TITLE_END = "'title:end':1"


# PostgreSQL: each vector also holds its article's week, "week:2026-49" (ISO, UTC; no word
# folds to a lexeme with a colon), so that the GIN index itself can find the newest matches
# of a common word, week by week, without visiting every match (search.py).
WEEK = "'week:' || to_char({when} AT TIME ZONE 'UTC', 'IYYY-IW')"
WEEKS_AHEAD = 1  # an article is dated at most at its fetch; a week ahead is for clocks that disagree


def recent_weeks(now: datetime, weeks: int) -> str:
    """A tsquery: any of the `weeks` weeks up to `now`, or of the WEEKS_AHEAD weeks after it."""
    days = range(-7 * WEEKS_AHEAD, 7 * weeks, 7)
    lexemes = dict.fromkeys("week:{}-{:02d}".format(*(now - timedelta(days=day)).isocalendar()[:2]) for day in days)
    return " | ".join(f"'{lexeme}'" for lexeme in lexemes)


# Each vector also holds the article's outlet, language and tags, "outlet:3", "lang:fr", "tag:12"
# (ids of outlets and tags; revision 0012), so that the index applies those filters too.
FILTER_LEXEMES = "'outlet:' || outlet_id, 'lang:' || language"  # with the week; none for no language

INDEX_STATEMENTS = {
    "postgresql": text(
        # The article's whole search row (revisions 0009, 0012), in one write; the tags stored
        # before it are taken here, those stored after by the triggers on article_tags.
        "INSERT INTO article_search (article_id, published, outlet_id, language, on_topic, search_vector) "
        "SELECT id, least(published_at, fetched_at), outlet_id, language, on_topic, "
        "setweight(to_tsvector('simple', :title), 'A') "
        "|| CAST(:title_end AS tsvector) || setweight(to_tsvector('simple', :body), 'B') "
        f"|| array_to_tsvector(array_remove(ARRAY[{WEEK.format(when='least(published_at, fetched_at)')}, "
        f"{FILTER_LEXEMES}], NULL)) "
        "|| coalesce((SELECT array_to_tsvector(array_agg('tag:' || tag_id)) FROM article_tags "
        "WHERE article_id = :id), ''::tsvector) "
        "FROM articles WHERE id = :id "
        "ON CONFLICT (article_id) DO UPDATE SET search_vector = excluded.search_vector"
    ).bindparams(title_end=TITLE_END),
    "sqlite": text("INSERT INTO articles_fts(rowid, title, body) VALUES (:id, :title, :body)"),
}


def index_article(
    session: Session | Connection, article_id: int, title: str, body: str, forms: tuple[str, str] | None = None
) -> None:
    """Add an article to the full-text index (every new article; the migration for old ones).
    `forms`: the title's and the body's search forms when the analysis made them already."""
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    title_form, body_form = forms or (search_form(title), search_form(body))
    session.execute(INDEX_STATEMENTS[dialect], {"id": article_id, "title": title_form, "body": body_form})


def matching(
    statement: Select[int, datetime], dialect: str, parsed: ParsedQuery | None, weeks: str | None = None
) -> Select[int, datetime]:
    """`statement`, a select of (article_id, published) from article_search, narrowed to the
    articles matching the query; on PostgreSQL, also to those matching `weeks` if given (a
    tsquery of lexemes: recent_weeks, FILTER_LEXEMES), and without a query, to those alone."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import TSQUERY  # here: SQLite never loads the dialect

        # Matched by the GIN index alone, in a CTE of its own: joined to the tag filters, the
        # planner would test the match article by article, reading each one's vector.
        in_weeks: Any = cast(bindparam("weeks", weeks), TSQUERY) if weeks else None
        if parsed is None and in_weeks is None:
            return statement
        query = in_weeks if parsed is None else _tsquery(parsed)
        if parsed is not None and in_weeks is not None:
            query = query.op("&&")(in_weeks)
        vector: Any = literal_column("article_search.search_vector")
        matches = statement.where(vector.op("@@")(query)).cte("matches").prefix_with("MATERIALIZED")
        return select(matches.c.article_id, matches.c.published)
    if parsed is None:
        return statement
    return statement.join(FTS_TABLE, ArticleSearchRow.article_id == FTS_ROWID).where(_fts_match(parsed))


def ranked(candidates: CTE, dialect: str, parsed: ParsedQuery) -> Select[int, float]:
    """(article_id, rank) of each candidate (a CTE of article_id, published), newest first;
    lower rank is better. The title weighs more than the body (5 times with bm25, A against B)."""
    if dialect == "postgresql":
        vector: Any = literal_column("article_search.search_vector")
        statement = select(candidates.c.article_id, (-func.ts_rank(vector, _tsquery(parsed))).label("rank")).join(
            ArticleSearchRow, ArticleSearchRow.article_id == candidates.c.article_id
        )
    else:
        # One pass over the matches, looking each up among the candidates: "rowid + 0" keeps
        # SQLite from the other plan, a MATCH per candidate, which reads the term's list each time.
        statement = (
            select(candidates.c.article_id, literal_column("bm25(articles_fts, 5.0, 1.0)").label("rank"))
            .select_from(FTS_TABLE)
            .join(candidates, candidates.c.article_id == literal_column("articles_fts.rowid + 0"))
            .where(_fts_match(parsed))
        )
    return statement.order_by(candidates.c.published.desc(), candidates.c.article_id.desc())


FTS_TABLE = table("articles_fts", column("rowid"))
FTS_ROWID = FTS_TABLE.c.rowid


def _fts_match(parsed: ParsedQuery) -> Any:
    return literal_column("articles_fts").op("MATCH")(bindparam("fts_query", fts5_query(parsed)))


def _tsquery(parsed: ParsedQuery) -> Any:
    return func.to_tsquery("simple", bindparam("fts_query", tsquery(parsed)))
