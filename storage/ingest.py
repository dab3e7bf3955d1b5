"""Writing fetched pages to the archive: the article, and what became of each of its URLs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from newsalert.domain import Extracted, PageItem, UrlStatus
from newsalert.pipelines.dedup import SIMILARITY_THRESHOLD
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage.ledger import UrlRecord
from newsalert.storage.models import utcnow


def save_page(session: Session, item: PageItem, outlet_id: int, *, cutoff: datetime | None = None) -> str:
    """Store the page's article or record why not; returns the status given to its URLs.

    Links found on listings carry no date, so the age limit is applied here, once the page
    has told its publication date.
    """
    outcome = item.outcome
    if isinstance(outcome, Extracted) and cutoff and outcome.published_at and outcome.published_at < cutoff:
        _record(
            session,
            item,
            outlet_id,
            UrlStatus.TOO_OLD,
            f"published {outcome.published_at:%Y-%m-%d}, before the age limit",
        )
        return UrlStatus.TOO_OLD
    if not isinstance(outcome, Extracted):
        status, reason = (outcome.status, outcome.reason) if outcome else (UrlStatus.NOT_ARTICLE, "not extracted")
        _record(session, item, outlet_id, status, reason)
        return status

    canonical = outcome.declared_canonical or item.aliases[-1]
    aliases = list(dict.fromkeys([*item.aliases, canonical]))
    exact = article_store.find_exact_copy(session, outcome.content_hash)
    if exact is not None and exact.outlet_id == outlet_id:
        # The same text under another address of the same outlet: one article, not two.
        _record(
            session,
            item,
            outlet_id,
            UrlStatus.DUPLICATE,
            f"same text as article {exact.article_id}",
            article_id=exact.article_id,
            aliases=aliases,
        )
        return UrlStatus.DUPLICATE

    fingerprint = item.fingerprint
    article_id = article_store.insert_article(
        session,
        {
            "outlet_id": outlet_id,
            "canonical_url": canonical,
            "url": item.url,
            "title": outcome.title,
            "author": outcome.author,
            "description": outcome.description,
            "site_name": outcome.site_name,
            "published_at": outcome.published_at,
            "date_note": outcome.date_note,
            "fetched_at": utcnow(),
            "language": outcome.language,
            "text": outcome.text,
            "content_hash": outcome.content_hash,
            "relevance": item.relevance.score if item.relevance else None,
            "matched_terms": list(item.relevance.matched_terms) if item.relevance else None,
            "topic_version": item.relevance.version if item.relevance else None,
            "minhash": fingerprint.signature if fingerprint else None,
        },
        item.tags,
        item.search_forms,
    )
    if article_id is None:
        existing = article_store.article_id_for(session, canonical)
        _record(
            session,
            item,
            outlet_id,
            UrlStatus.DUPLICATE,
            f"already archived as article {existing}",
            article_id=existing,
            aliases=aliases,
        )
        return UrlStatus.DUPLICATE

    # A copy at another outlet (syndication, republication) joins the original's story.
    copy = exact
    if copy is None and fingerprint is not None:
        copy = article_store.find_near_copy(
            session, fingerprint.signature, fingerprint.bands, threshold=SIMILARITY_THRESHOLD
        )
    cluster_id = copy.cluster_id if copy and copy.cluster_id else article_store.new_cluster(session)
    article_store.set_cluster(session, article_id, cluster_id)
    if fingerprint is not None:
        article_store.add_lsh_bands(session, article_id, fingerprint.bands)
    _record(session, item, outlet_id, UrlStatus.STORED, None, article_id=article_id, aliases=aliases)
    return UrlStatus.STORED


def lock_stories(session: Session, items: list[PageItem]) -> None:
    """Before storing `items` in one transaction: lock their story keys (see
    articles.lock_story_keys), so that concurrent writers of one story agree on it."""
    hashes = [item.outcome.content_hash for item in items if isinstance(item.outcome, Extracted)]
    bands = [band for item in items if isinstance(item.outcome, Extracted) and item.fingerprint
             for band in item.fingerprint.bands]  # fmt: skip
    article_store.lock_story_keys(session, hashes, bands)


def record_failure(session: Session, item: PageItem, outlet_id: int, reason: str) -> None:
    """Record that the page could not be stored: failed, so a later crawl tries it again."""
    ledger.record_urls(
        session, [UrlRecord(url, outlet_id, UrlStatus.FAILED, reason, item.http_status) for url in item.aliases]
    )


def _record(
    session: Session,
    item: PageItem,
    outlet_id: int,
    status: str,
    reason: str | None,
    *,
    article_id: int | None = None,
    aliases: list[str] | None = None,
) -> None:
    relevance = item.relevance.score if item.relevance else None
    version = item.relevance.version if item.relevance else None
    published = item.outcome.published_at if isinstance(item.outcome, Extracted) else item.published_at
    ledger.record_urls(
        session,
        [
            UrlRecord(url, outlet_id, status, reason, item.http_status, article_id, relevance, version, published)
            for url in (aliases or item.aliases)
        ],
    )
