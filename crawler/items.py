"""What the spider hands to the pipelines: a fetched page, or what went wrong fetching it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsalert.pipelines.dedup import Fingerprint
from newsalert.pipelines.extract import Extracted, Hints, Rejection
from newsalert.pipelines.relevance import Relevance
from newsalert.pipelines.tagging import Tag


@dataclass
class PageItem:
    outlet: str
    url: str  # the URL the page was finally fetched from, after redirects
    aliases: list[str]  # canonical forms of every URL that led here (requested, redirects, final)
    hints: Hints = field(default_factory=Hints)
    html: str | None = None  # decoded with the page's declared charset; None when not fetched
    declared_language: str | None = None
    http_status: int | None = None
    outcome: Extracted | Rejection | None = None
    relevance: Relevance | None = None  # None when no topic profile is in use
    tags: list[Tag] = field(default_factory=list)
    fingerprint: Fingerprint | None = None
    published_at: datetime | None = None  # what the page said, kept when it is rejected as off topic
