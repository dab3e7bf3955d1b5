"""Writing fetched pages to the archive: the article, and what became of each of its URLs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from newsalert.crawler.items import PageItem
from newsalert.pipelines.extract import Extracted
from newsalert.storage import repository
from newsalert.storage.models import utcnow
from newsalert.storage.repository import DUPLICATE, STORED, TOO_OLD, UrlRecord


def save_page(session: Session, item: PageItem, outlet_id: int, *, cutoff: datetime | None = None) -> str:
    """Store the page's article or record why not; returns the status given to its URLs.

    Links found on listings carry no date, so the age limit is applied here, once the page
    has told its publication date.
    """
    outcome = item.outcome
    if isinstance(outcome, Extracted) and cutoff and outcome.published_at and outcome.published_at < cutoff:
        _record(session, item, outlet_id, TOO_OLD, f"published {outcome.published_at:%Y-%m-%d}, before the age limit")
        return TOO_OLD
    if not isinstance(outcome, Extracted):
        status, reason = (outcome.status, outcome.reason) if outcome else ("not_article", "not extracted")
        _record(session, item, outlet_id, status, reason)
        return status

    canonical = outcome.declared_canonical or item.aliases[-1]
    article_id = repository.insert_article(session, {
        "outlet_id": outlet_id,
        "canonical_url": canonical,
        "url": item.url,
        "title": outcome.title,
        "author": outcome.author,
        "description": outcome.description,
        "site_name": outcome.site_name,
        "published_at": outcome.published_at,
        "fetched_at": utcnow(),
        "language": outcome.language,
        "text": outcome.text,
        "content_hash": outcome.content_hash,
    })
    aliases = list(dict.fromkeys([*item.aliases, canonical]))
    if article_id is None:
        existing = repository.article_id_for(session, canonical)
        _record(session, item, outlet_id, DUPLICATE, f"already archived as article {existing}",
                article_id=existing, aliases=aliases)
        return DUPLICATE
    _record(session, item, outlet_id, STORED, None, article_id=article_id, aliases=aliases)
    return STORED


def _record(session: Session, item: PageItem, outlet_id: int, status: str, reason: str | None, *,
            article_id: int | None = None, aliases: list[str] | None = None) -> None:
    repository.record_urls(session, [
        UrlRecord(url, outlet_id, status, reason, item.http_status, article_id)
        for url in (aliases or item.aliases)])
