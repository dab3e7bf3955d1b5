"""`newsalert rescore`: judge stored articles again after the topic profile changed.

Relevance and tags are computed anew from each article's stored title and text, under the
profile in use now. An article that is no longer on topic stays in the archive (nothing is
lost, and a later profile may bring it back) but is marked off topic: the digest leaves it
out, and `search` shows it only with --include-off-topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from newsalert.config import Config
from newsalert.pipelines.analyze import Analyzer
from newsalert.pipelines.profile import profile_version
from newsalert.storage import articles as article_store
from newsalert.storage import models

BATCH = 200


@dataclass(frozen=True)
class Change:
    article_id: int
    title: str
    old_relevance: float | None
    new_relevance: float | None
    was_on_topic: bool
    on_topic: bool
    tags_added: tuple[str, ...]  # kind:code
    tags_removed: tuple[str, ...]

    @property
    def verdict(self) -> str | None:
        if self.was_on_topic and not self.on_topic:
            return "now off topic"
        if self.on_topic and not self.was_on_topic:
            return "back on topic"
        return None


@dataclass
class RescoreResult:
    version: str | None  # the profile now in use; None without one
    examined: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def now_off_topic(self) -> int:
        return sum(1 for c in self.changes if c.verdict == "now off topic")

    @property
    def back_on_topic(self) -> int:
        return sum(1 for c in self.changes if c.verdict == "back on topic")

    @property
    def retagged(self) -> int:
        return sum(1 for c in self.changes if c.tags_added or c.tags_removed)


def rescore(
    config: Config,
    sessions: sessionmaker[Session],
    *,
    since: datetime | None = None,
    on_change: Callable[[Change], None] | None = None,
) -> RescoreResult:
    """Re-run relevance and tags on the articles published since `since` (all when None)."""
    analyzer = Analyzer(config.topics, min_text_chars=config.settings.crawl.min_text_chars)
    result = RescoreResult(profile_version(config.topics))
    last_id = 0
    while True:
        with sessions.begin() as session:
            batch = article_store.articles_to_rescore(session, since, after_id=last_id, limit=BATCH)
            for article in batch:
                change = _rescore_one(session, analyzer, article, result.version)
                result.examined += 1
                if change is not None:
                    result.changes.append(change)
                    if on_change is not None:
                        on_change(change)
        if len(batch) < BATCH:
            return result
        last_id = batch[-1].id


def _rescore_one(
    session: Session, analyzer: Analyzer, article: models.ArticleRow, version: str | None
) -> Change | None:
    relevance, tags, _body = analyzer.judge(article.title, article.text, article.language)
    on_topic = relevance is None or relevance.kept
    before = {f"{link.tag.kind}:{link.tag.code}" for link in article.tags}
    after = {f"{tag.kind}:{tag.code}" for tag in tags}
    new_score = relevance.score if relevance else None
    change = Change(
        article.id,
        article.title,
        article.relevance,
        new_score,
        article.on_topic,
        on_topic,
        tuple(sorted(after - before)),
        tuple(sorted(before - after)),
    )
    article.relevance = new_score
    article.matched_terms = list(relevance.matched_terms) if relevance else None
    article.topic_version = version
    article.on_topic = on_topic
    article_store.replace_tags(session, article.id, tags)
    if change.verdict or change.tags_added or change.tags_removed or change.old_relevance != change.new_relevance:
        return change
    return None
