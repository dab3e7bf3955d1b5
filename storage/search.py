"""Searching the archive: full text, filters, one row per story.

Ordering guarantee. With a query and sort="relevance", results come in windows of the date
order: the newest RANK_WINDOW matches (of the query and every filter) ranked best first, then
the next RANK_WINDOW newest ranked among themselves, and so on. So when at most RANK_WINDOW
articles match, the order is exact relevance order; when more match, a page shows the
best-ranked of the newest RANK_WINDOW, and an older, better match comes later (in its own
window), never dropped. Matching and filters are always exact; sort="date" is exact date order
(newest first: published, or fetched when the page gave no date, and never after the fetch).
Ranking is thereby bounded: no query ranks more than RANK_WINDOW articles per window it shows,
however common its words.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Select, and_, func, select, text
from sqlalchemy.orm import Session, contains_eager, selectinload

from newsalert.storage.fulltext import ParsedQuery, matching, parse_query, ranked, recent_weeks
from newsalert.storage.models import (
    ArticleRow,
    ArticleSearchRow,
    ArticleTagRow,
    OutletRow,
    TagRow,
)

RANK_WINDOW = 500  # matches ranked together: the newest first (see the module's docstring)
FIRST_WEEKS, MAX_WEEKS = 2, 26  # PostgreSQL: the recent weeks to look in first, and at most
WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class SearchFilters:
    query: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO codes; an article matches any of them
    regions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # "trade", "BRI", or "theme:trade"; an article must have every one
    sort: str = "relevance"  # relevance (with a query) or date
    collapse: bool = False  # one article per story: the best ranked
    include_off_topic: bool = False  # articles a rescore found off topic under the current profile
    limit: int = 20
    offset: int = 0


@dataclass
class SearchResults:
    """A page of results, and how many articles match: `matches` exactly, or, when `more` is
    set, at least `matches` (counting stops at the windows the page needed)."""

    articles: list[ArticleRow]
    matches: int
    more: bool


def search_articles(session: Session, filters: SearchFilters) -> list[ArticleRow]:
    """Articles matching the filters; with a query, the best full-text matches first (in
    windows of the newest RANK_WINDOW: see the module's docstring)."""
    return search(session, filters).articles


def search(session: Session, filters: SearchFilters) -> SearchResults:
    """The page of articles matching the filters, and how many match."""
    windows = _Windows(session, filters)
    if filters.collapse:
        ids = _one_per_story(session, windows, filters.offset + filters.limit)[filters.offset :]
    else:
        ids = _page(windows, filters.offset, filters.limit)
    return SearchResults(_load(session, ids), windows.counted, windows.more)


@dataclass
class _Windows:
    """The results' ids in order, a window at a time, counting the matches met on the way.

    Ranked, a window is RANK_WINDOW matches; in date order, the rows a page needs."""

    session: Session
    filters: SearchFilters
    counted: int = 0
    more: bool = True
    size: int = field(init=False)
    _parsed: ParsedQuery | None = field(init=False)
    _ranks: bool = field(init=False)
    _dialect: str = field(init=False)
    _lexemes: str | None = field(init=False)  # PostgreSQL: the filters as a tsquery of lexemes

    def __post_init__(self) -> None:
        filters = self.filters
        self._dialect = self.session.get_bind().dialect.name
        self._parsed = parse_query(filters.query) if filters.query else None
        self._ranks = self._parsed is not None and filters.sort != "date"
        self._lexemes = _filter_lexemes(self.session, filters) if self._dialect == "postgresql" else None
        wanted = filters.offset + filters.limit
        self.size = RANK_WINDOW if self._ranks else max(3 * wanted, 100) if filters.collapse else max(wanted, 1)

    def __call__(self, first: int = 0) -> Iterator[list[int]]:
        """Window `first`, then the next ones until the matches run out."""
        number = first
        while self.more:
            yield self._window(number)
            number += 1

    def _window(self, number: int) -> list[int]:
        rows = self._recent(number) if self._dialect == "postgresql" else None
        if rows is None:
            rows = self._rows(number)
        self.more = len(rows) > self.size
        rows = rows[: self.size]  # the one left out is the oldest
        self.counted = number * self.size + len(rows)
        if self._ranks:
            rows.sort(key=lambda row: row[1])  # stable: equal ranks stay newest first
        return [row[0] for row in rows]

    def _recent(self, number: int) -> list[Any] | None:
        """The first window from the recent weeks' matches alone, if they fill it: every match
        outside those weeks is older than all of them (PostgreSQL). A common word's newest
        matches lie in a week or two, and the GIN index finds them without visiting the tens
        of thousands of others; a rarer word's are few enough to take all. A --since within
        reach makes the weeks it spans the whole answer. Without a query, the same finds the
        newest articles that pass the filters."""
        if number:
            return None
        now, weeks = datetime.now(UTC), FIRST_WEEKS
        since = self.filters.since
        span = max(math.ceil((now - since).total_seconds() / WEEK_SECONDS) + 1, 1) if since else MAX_WEEKS + 1
        for _ in range(3):
            complete = span <= weeks
            rows = self._rows(0, recent_weeks(now, min(weeks, span)))
            if complete or len(rows) > self.size:
                return rows
            weeks = math.ceil(weeks * 1.5 * (self.size + 1) / max(len(rows), 1))  # enough, were matches even
            if weeks > MAX_WEEKS and span > MAX_WEEKS:
                break
        return None

    def _rows(self, number: int, weeks: str | None = None) -> list[Any]:
        """Window `number`, and one row more if there is one: (id, rank), or (id,) in date order."""
        lexemes = " & ".join(f"( {part} )" for part in (weeks, self._lexemes) if part) or None
        newest = select(ArticleSearchRow.article_id, ArticleSearchRow.published).where(*_conditions(self.filters))
        newest = matching(newest, self._dialect, self._parsed, lexemes)
        article_id, published = newest.selected_columns
        if self._lexemes is None:  # PostgreSQL: the tag lexemes are the tag filters
            newest = newest.where(*_tag_conditions(self.filters, article_id))
        newest = newest.order_by(published.desc(), article_id.desc())
        newest = newest.limit(self.size + 1).offset(number * self.size)
        if self._parsed is not None and self._ranks:
            candidates = newest.cte("candidates").prefix_with("MATERIALIZED")
            return self._fetch(ranked(candidates, self._dialect, self._parsed))  # newest first
        return self._fetch(newest.with_only_columns(article_id), indexed=bool(self._parsed or lexemes))

    def _fetch(self, statement: Executable, *, indexed: bool = True) -> list[Any]:
        """The rows of `statement`; on PostgreSQL, read through the GIN index when `indexed`."""
        if self._dialect != "postgresql" or not indexed:
            return list(self.session.execute(statement))
        # The GIN index, never a scan of the table: a sequential scan would read and test
        # every vector, where the index's bitmap tests only its candidates.
        self.session.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            return list(self.session.execute(statement))
        finally:
            self.session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))


def _page(windows: _Windows, offset: int, limit: int) -> list[int]:
    ids: list[int] = []
    skip = offset % windows.size
    for window in windows(offset // windows.size):
        ids += window[skip : skip + limit - len(ids)]
        skip = 0
        if len(ids) == limit:
            break
    return ids


def _one_per_story(session: Session, windows: _Windows, wanted: int) -> list[int]:
    """The first `wanted` results that are each their story's first (best-ranked) article."""
    kept: list[int] = []
    seen: set[int] = set()
    for window in windows():
        rows = session.execute(select(ArticleRow.id, ArticleRow.cluster_id).where(ArticleRow.id.in_(window)))
        clusters = {article_id: cluster for article_id, cluster in rows}
        for article_id in window:
            cluster = clusters[article_id]
            story = cluster if cluster is not None else -article_id
            if story not in seen:
                seen.add(story)
                kept.append(article_id)
                if len(kept) == wanted:
                    return kept
    return kept


def _load(session: Session, ids: list[int]) -> list[ArticleRow]:
    """The articles `ids`, in that order, with their outlet and tags."""
    if not ids:
        return []
    statement = (
        select(ArticleRow)
        .join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
        .where(ArticleRow.id.in_(ids))
        .options(contains_eager(ArticleRow.outlet), selectinload(ArticleRow.tags))
    )
    position = {article_id: number for number, article_id in enumerate(ids)}
    return sorted(session.scalars(statement), key=lambda article: position[article.id])


def _conditions(filters: SearchFilters) -> list[Any]:
    """The filters on article_search's own columns (all exact; the tags are apart)."""
    row = ArticleSearchRow
    conditions: list[Any] = []
    if not filters.include_off_topic:
        conditions.append(row.on_topic)
    if filters.since:
        conditions.append(row.published >= filters.since)
    if filters.until:
        conditions.append(row.published < filters.until)
    if filters.outlets:
        names = [name.lower() for name in filters.outlets]
        conditions.append(row.outlet_id.in_(select(OutletRow.id).where(func.lower(OutletRow.name).in_(names))))
    if filters.languages:
        conditions.append(row.language.in_([lang.lower() for lang in filters.languages]))
    return conditions


def _tag_filters(filters: SearchFilters) -> list[tuple[str | None, Collection[str]]]:
    """The tag filters as (kind or None, codes), each one an article must pass: its countries,
    its regions, and each --tag KIND:CODE or CODE."""
    groups: list[tuple[str | None, Collection[str]]] = [
        (kind, codes) for kind, codes in (("country", filters.countries), ("region", filters.regions)) if codes
    ]
    return groups + [(kind or None, [code]) for kind, _, code in (tag.rpartition(":") for tag in filters.tags)]


def _tag_conditions(filters: SearchFilters, article_id: Any) -> list[Any]:
    """The tag filters, on the column `article_id`: countries, regions, tags (all exact)."""
    return [_tagged(kind, codes, article_id) for kind, codes in _tag_filters(filters)]


def _tagged(kind: str | None, codes: Collection[str], article_id: Any = ArticleRow.id) -> Any:
    """Articles (`article_id`) carrying one of the tags `codes` (of `kind`, or of any kind),
    case-insensitively."""
    return article_id.in_(
        select(ArticleTagRow.article_id).join(TagRow, TagRow.id == ArticleTagRow.tag_id).where(_tag(kind, codes))
    )


def _tag(kind: str | None, codes: Collection[str]) -> Any:
    """The tags `codes` (of `kind`, or of any kind), case-insensitively."""
    condition: Any = func.lower(TagRow.code).in_([code.lower() for code in codes])
    return and_(condition, TagRow.kind == kind.lower()) if kind else condition


NO_SUCH_LEXEME = "'none:'"  # stands for a filter that no article passes (an unknown tag or outlet)
LONGEST_LANGUAGE = 8  # as article_search.language: a longer one matches nothing, and needs no lexeme


def _filter_lexemes(session: Session, filters: SearchFilters) -> str | None:
    """PostgreSQL: the outlet, language and tag filters as a tsquery of the lexemes that each
    vector holds (fulltext.FILTER_LEXEMES), so that the GIN index applies them with the
    query: "('outlet:3' | 'outlet:7') & 'tag:12'"; None without such filters. The same as
    _conditions and _tag_conditions: the outlets and tags are looked up by the same tests."""
    groups: list[list[str]] = []
    if filters.outlets:
        names = [name.lower() for name in filters.outlets]
        ids = session.scalars(select(OutletRow.id).where(func.lower(OutletRow.name).in_(names)))
        groups.append([f"outlet:{outlet_id}" for outlet_id in ids])
    languages = [lang.lower() for lang in filters.languages if len(lang) <= LONGEST_LANGUAGE]
    if languages:  # the column's condition stays, and is the whole filter for the rest
        groups.append([f"lang:{language}" for language in languages])
    for kind, codes in _tag_filters(filters):
        groups.append([f"tag:{tag_id}" for tag_id in session.scalars(select(TagRow.id).where(_tag(kind, codes)))])
    if not groups:
        return None
    return " & ".join("( " + (" | ".join(map(_quoted, group)) or NO_SUCH_LEXEME) + " )" for group in groups)


def _quoted(lexeme: str) -> str:
    """A lexeme in tsquery syntax, whatever its characters."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def matching_ids(session: Session, filters: SearchFilters) -> Select[tuple[int]]:
    """A select of the ids of every article matching the query and the filters (unordered,
    unlimited), to narrow another statement with."""
    parsed = parse_query(filters.query) if filters.query else None
    statement = select(ArticleSearchRow.article_id, ArticleSearchRow.published).where(*_conditions(filters))
    statement = matching(statement, session.get_bind().dialect.name, parsed)
    article_id = statement.selected_columns[0]
    return statement.where(*_tag_conditions(filters, article_id)).with_only_columns(article_id)


@dataclass(frozen=True)
class Facets:
    """How the matches of a search spread: (value, label, articles), the most articles first
    (days: the newest first)."""

    countries: list[tuple[str, str, int]]
    themes: list[tuple[str, str, int]]
    outlets: list[tuple[str, str, int]]
    days: list[tuple[str, str, int]]


def facets(session: Session, filters: SearchFilters, *, limit: int = 12) -> Facets:
    """Facet counts over every article matching the query and the filters (not only a page)."""
    ids = matching_ids(session, filters).subquery()
    matched = ArticleSearchRow.article_id.in_(select(ids.c[0]))

    def tagged(kind: str) -> list[tuple[str, str, int]]:
        count = func.count(ArticleTagRow.article_id.distinct())
        statement = (
            select(TagRow.code, TagRow.label, count)
            .join(ArticleTagRow, ArticleTagRow.tag_id == TagRow.id)
            .join(ArticleSearchRow, ArticleSearchRow.article_id == ArticleTagRow.article_id)
            .where(TagRow.kind == kind, matched)
            .group_by(TagRow.code, TagRow.label)
            .order_by(count.desc(), TagRow.code)
            .limit(limit)
        )
        return [(code, label, n) for code, label, n in session.execute(statement)]

    count = func.count()
    outlets = session.execute(
        select(OutletRow.name, count)
        .join(ArticleSearchRow, ArticleSearchRow.outlet_id == OutletRow.id)
        .where(matched)
        .group_by(OutletRow.name)
        .order_by(count.desc(), OutletRow.name)
        .limit(limit)
    )
    day = func.date(ArticleSearchRow.published)
    days = session.execute(select(day, count).where(matched).group_by(day).order_by(day.desc()).limit(limit))
    return Facets(
        countries=tagged("country"),
        themes=tagged("theme"),
        outlets=[(name, name, n) for name, n in outlets],
        days=[(str(d), str(d), n) for d, n in days],
    )
