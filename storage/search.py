"""Searching the archive: full text, filters, one row per story."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from newsalert.storage.fulltext import fulltext_matches
from newsalert.storage.models import (
    ArticleRow,
    ArticleTagRow,
    OutletRow,
    TagRow,
)


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


def search_articles(session: Session, filters: SearchFilters) -> list[ArticleRow]:
    """Articles matching the filters; with a query, the best full-text matches first."""
    statement = select(ArticleRow).join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
    conditions: list[Any] = []
    order: list[Any] = []
    if filters.query:
        matches = fulltext_matches(session, filters.query)
        statement = statement.join(matches, matches.c.article_id == ArticleRow.id)
        order.append(matches.c.rank)
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    if not filters.include_off_topic:
        conditions.append(ArticleRow.on_topic)
    if filters.since:
        conditions.append(when >= filters.since)
    if filters.until:
        conditions.append(when < filters.until)
    if filters.outlets:
        conditions.append(func.lower(OutletRow.name).in_([name.lower() for name in filters.outlets]))
    if filters.languages:
        conditions.append(ArticleRow.language.in_([lang.lower() for lang in filters.languages]))
    for kind, codes in (("country", filters.countries), ("region", filters.regions)):
        if codes:
            conditions.append(_tagged(kind, codes))
    for tag in filters.tags:
        kind, _, code = tag.rpartition(":")
        conditions.append(_tagged(kind or None, [code]))
    statement = statement.where(and_(*conditions)) if conditions else statement
    if filters.sort == "date":
        order = []
    statement = statement.order_by(*order, when.desc(), ArticleRow.id.desc())
    statement = statement.options(contains_eager(ArticleRow.outlet), selectinload(ArticleRow.tags))
    if not filters.collapse:
        return list(session.scalars(statement.limit(filters.limit).offset(filters.offset)))
    # One row per story: walk the ranked results and keep each cluster's first article.
    wanted, start = filters.offset + filters.limit, 0
    kept: list[ArticleRow] = []
    seen: set[int] = set()
    batch = max(wanted * 3, 100)
    while len(kept) < wanted:
        rows = list(session.scalars(statement.limit(batch).offset(start)))
        for article in rows:
            story = article.cluster_id if article.cluster_id is not None else -article.id
            if story not in seen:
                seen.add(story)
                kept.append(article)
        if len(rows) < batch:
            break
        start += batch
    return kept[filters.offset : wanted]


def _tagged(kind: str | None, codes: Collection[str]) -> Any:
    """Articles carrying one of the tags `codes` (of `kind`, or of any kind), case-insensitively."""
    condition: Any = func.lower(TagRow.code).in_([code.lower() for code in codes])
    if kind:
        condition = and_(condition, TagRow.kind == kind.lower())
    return ArticleRow.id.in_(
        select(ArticleTagRow.article_id).join(TagRow, TagRow.id == ArticleTagRow.tag_id).where(condition)
    )


def tagged_any(tags: Collection[str]) -> Any:
    """Articles carrying any of `tags` ("KE", "trade", or "kind:code")."""
    conditions: list[Any] = []
    for tag in tags:
        kind, _, code = tag.rpartition(":")
        conditions.append(_tagged(kind or None, [code]))
    return or_(*conditions)
