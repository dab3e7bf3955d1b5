"""Which stories a digest carries, and in which section.

A digest covers the articles stored since the subscriber's last delivered digest, minus the
stories (clusters) already mailed to them. Each story appears once, in the first section
that claims it, shown by its best article with the other outlets that carried it:

  hot         stories carried by the most outlets (two at least)
  top         the highest relevance
  recent      the newest
  categories  the rest, by theme
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from newsalert.domain import phrase_tokens, term_spans
from newsalert.storage import articles as article_store
from newsalert.storage import search as search_store
from newsalert.storage.articles import StoryCopy
from newsalert.storage.models import ArticleRow
from newsalert.storage.subscriptions import AlertSpec

SECTION_TITLES = {
    "hot": "Hot Stories",
    "top": "Top Stories",
    "recent": "Recent Stories",
    "categories": "Stories by Category",
}
SNIPPET_CHARS = 240
UNCATEGORIZED = "Other stories"


@dataclass
class Story:
    cluster_id: int
    article: ArticleRow  # the best article of the story
    copies: list[StoryCopy]  # the other articles, at other outlets or addresses

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys([self.article.outlet.name, *(copy.outlet for copy in self.copies)]))

    @property
    def also_reported_by(self) -> list[StoryCopy]:
        """One copy per other outlet."""
        seen = {self.article.outlet.name}
        result = []
        for copy in self.copies:
            if copy.outlet not in seen:
                seen.add(copy.outlet)
                result.append(copy)
        return result

    @property
    def when(self) -> datetime:
        return self.article.published_at or self.article.fetched_at

    @property
    def relevance(self) -> float:
        return self.article.relevance or 0.0

    def tag_codes(self, kind: str) -> list[str]:
        return [link.tag.code for link in self._tags(kind)]

    def tag_labels(self, kind: str) -> list[str]:
        return [link.tag.label for link in self._tags(kind)]

    def _tags(self, kind: str) -> list[Any]:
        """The article's tags of `kind`, the most salient first."""
        return sorted((link for link in self.article.tags if link.tag.kind == kind), key=lambda link: -link.salience)

    @property
    def why(self) -> str:
        """Why the story is here, in plain words: "South-South cooperation · Kenya and Peru · UNOSSC"."""
        countries = self.tag_labels("country")[:3]
        named = " and ".join(countries) if len(countries) < 3 else f"{countries[0]}, {countries[1]} and {countries[2]}"
        parts = [*self.tag_labels("topic")[:1], named, *self.tag_codes("initiative")[:2]]
        return " · ".join(part for part in parts if part)

    @property
    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, matched) pieces: the topic's words that matched, to set in bold."""
        return highlighted(self.snippet, self.article.matched_terms or [])

    @property
    def snippet(self) -> str:
        return snippet(self.article.description or self.article.text)


@dataclass
class Section:
    key: str
    title: str
    stories: list[Story] = field(default_factory=list)
    groups: list[tuple[str, list[Story]]] = field(default_factory=list)  # categories: (theme, stories)

    @property
    def all_stories(self) -> list[Story]:
        return self.stories + [story for _, stories in self.groups for story in stories]


@dataclass
class AlertGroup:
    """The stories of one of the subscriber's alerts (the preview's one group has no alert)."""

    name: str | None
    about: str  # the alert's query and filters, in a line
    alert_id: int | None
    sections: list[Section]

    @property
    def stories(self) -> list[Story]:
        return [story for section in self.sections for story in section.all_stories]


def candidate_stories(
    session: Session, *, since: datetime, until: datetime, alert: AlertSpec | None, exclude_clusters: set[int]
) -> list[Story]:
    """The stories with an article stored in [since, until), matching the alert if given."""
    among = search_store.matching_ids(session, alert.search()) if alert and (alert.query or alert.filters()) else None
    stored = article_store.stored_between(session, since, until, among=among)
    candidates = [a for a in stored if a.cluster_id not in exclude_clusters]
    best: dict[int, ArticleRow] = {}
    for article in candidates:  # the most relevant, then the earliest, stands for the story
        cluster = article.cluster_id
        assert cluster is not None  # the query asks for clustered articles only
        current = best.get(cluster)
        if current is None or (article.relevance or 0, -article.id) > (current.relevance or 0, -current.id):
            best[cluster] = article
    copies = article_store.story_copies(session, list(best.values()))
    return [Story(cluster_id, article, copies.get(article.id, [])) for cluster_id, article in best.items()]


def arrange(stories: list[Story], sections: list[str], max_per_section: int) -> list[Section]:
    remaining = {story.cluster_id: story for story in stories}
    arranged = []
    for key in sections:
        section = Section(key, SECTION_TITLES[key])
        pool = list(remaining.values())
        if key == "hot":
            section.stories = sorted(
                (s for s in pool if len(s.outlets) >= 2), key=lambda s: (-len(s.outlets), -s.relevance, s.cluster_id)
            )[:max_per_section]
        elif key == "top":
            section.stories = sorted(pool, key=lambda s: (-s.relevance, s.cluster_id))[:max_per_section]
        elif key == "recent":
            section.stories = sorted(pool, key=lambda s: (s.when, s.cluster_id), reverse=True)[:max_per_section]
        else:
            by_theme: dict[str, list[Story]] = defaultdict(list)
            for story in sorted(pool, key=lambda s: (-s.relevance, s.cluster_id)):
                by_theme[(story.tag_labels("theme") or [UNCATEGORIZED])[0]].append(story)
            section.groups = sorted(
                ((theme, group[:max_per_section]) for theme, group in by_theme.items()),
                key=lambda pair: (pair[0] == UNCATEGORIZED, -len(pair[1]), pair[0]),
            )
        for story in section.all_stories:
            remaining.pop(story.cluster_id, None)
        if section.all_stories:
            arranged.append(section)
    return arranged


def snippet(text: str | None, chars: int = SNIPPET_CHARS) -> str:
    """`text` on one line, cut at a word boundary after at most `chars` characters."""
    flat = " ".join((text or "").split())
    if len(flat) <= chars:
        return flat
    return flat[:chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def highlighted(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is a match of one of `terms`) pieces, matched as the search
    matches (whole words, case and accents aside): "aid" is not found in "said"."""
    text = unicodedata.normalize("NFKC", text)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in term_spans(text, [phrase_tokens(term) for term in terms]):
        if start < position:  # overlaps a longer match already set in bold
            continue
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces
