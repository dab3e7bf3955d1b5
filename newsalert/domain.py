"""The domain's vocabulary, shared by every layer: what a URL, a run and a digest can become
(as enums, so no status is ever spelt twice), what flows between the stages of a crawl (a
fetched page, what extraction and relevance made of it, an outlet's figures), and the text
helpers every matcher and index uses.

It imports nothing else of newsalert: the packages above it (config, pipelines, storage,
crawler, digest, service) all speak it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, cached_property
from typing import Any, TypedDict

# A date this far ahead is wrong, not early: time zones and clocks disagree by less.
FUTURE_TOLERANCE = timedelta(days=1)


class UrlStatus(StrEnum):
    """What became of a URL the crawl met (seen_urls.status). FAILED is transient: the URL
    is tried again by later crawls, up to max_attempts; every other status is final."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    TOO_OLD = "too_old"
    NOT_ARTICLE = "not_article"
    TOO_SHORT = "too_short"
    TOO_LARGE = "too_large"
    BLOCKED = "blocked"  # robots.txt, or an address refused
    GONE = "gone"  # 404, 410
    FAILED = "failed"
    OFF_TOPIC = "off_topic"


class RunStatus(StrEnum):
    """A crawl run's outcome (crawl_runs.status); an outlet's in a run is OK, PARTIAL or FAILED."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # some sources or outlets failed
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class DigestStatus(StrEnum):
    """A digest's state in the ledger (digests.status)."""

    PREVIEW = "preview"  # built without --send: never counts as delivered
    PENDING = "pending"  # built, not yet sent
    SENDING = "sending"  # recorded just before SMTP DATA
    SENT = "sent"
    FAILED = "failed"  # 4xx or no server: the next run covers its stories again
    REFUSED = "refused"  # 5xx for the recipient
    SUPERSEDED = "superseded"  # a newer digest covers its stories
    UNKNOWN = "unknown"  # may have been delivered: never sent again unless the operator says so


# --- text ------------------------------------------------------------------------------------

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+")
CJK_RUN = re.compile(rf"[{CJK}]+")


def fold(text: str) -> str:
    """Lower case without accents (NFKD also turns full-width forms into plain ones)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(unicodedata.normalize("NFKC", text))


def is_cjk(token: str) -> bool:
    return bool(CJK_RUN.fullmatch(token))


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrase as the folded tokens `term_spans` looks for."""
    return tuple(fold(token) for token in tokens(phrase))


def term_spans(text: str, terms: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where in `text` (NFKC) each term occurs, as whole tokens compared folded (case and
    accents aside, Chinese character by character): sorted (start, end) offsets."""
    spans = [(m.start(), m.end(), fold(m.group())) for m in TOKEN.finditer(text)]
    words = [word for _, _, word in spans]
    return sorted(
        (spans[i][0], spans[i + len(term) - 1][1])
        for term in terms
        if term
        for i in range(len(words) - len(term) + 1)
        if tuple(words[i : i + len(term)]) == term
    )


def base_language(code: str | None) -> str | None:
    """'zh-CN', 'pt_BR' and 'EN' become 'zh', 'pt' and 'en'."""
    if not code:
        return None
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] or None


@dataclass(frozen=True)
class Tokenized:
    """A text cut into tokens once, with their folded forms and its language, for every
    matcher to share."""

    original: list[str]
    folded: list[str]
    language: str | None = None
    text: str = field(default="", repr=False)

    @classmethod
    def of(cls, text: str, language: str | None = None) -> Tokenized:
        original = tokens(text)
        return cls(original, [fold(token) for token in original], base_language(language), text)

    @property
    def search_form(self) -> str:
        """The folded tokens, space-separated: what the full-text index holds and is searched
        with (accents, case and width folded; Chinese a character a token)."""
        return " ".join(self.folded)

    def in_language(self, language: str | None) -> Tokenized:
        """The same tokens, read as `language`."""
        return Tokenized(self.original, self.folded, base_language(language), self.text)

    @cached_property
    def words_per_token(self) -> float:
        """About how many words one token stands for: 1, or 0.5 in Chinese text, whose tokens
        are single characters (a Chinese word is one or two of them)."""
        cjk = sum(1 for token in self.original if is_cjk(token))
        return 0.5 if cjk * 2 > len(self.original) else 1.0

    def within(self, position: int, words: int) -> bool:
        """Whether the token at `position` lies within the first `words` words of the text."""
        return position * self.words_per_token < words

    @cached_property
    def word_starts(self) -> list[bool]:
        """Whether each token begins a word: always outside Chinese, from jieba inside it."""
        starts = [True] * len(self.original)
        index = 0
        while index < len(self.original):
            if not is_cjk(self.original[index]):
                index += 1
                continue
            end = index
            while end < len(self.original) and is_cjk(self.original[end]):
                end += 1
            run = "".join(self.original[index:end])
            for offset, is_start in enumerate(chinese_word_starts(run)):
                starts[index + offset] = is_start
            index = end
        return starts


@cache
def _jieba():  # type: ignore[no-untyped-def]
    # jieba's dictionary and segmentation in Rust (jieba-rs): the same words as the Python
    # jieba, without its 80 MB of Python objects or its second of loading in each process.
    import rjieba

    return rjieba


def chinese_word_starts(run: str) -> list[bool]:
    """For each character of a run of Chinese text, whether a word starts there."""
    jieba = _jieba()
    starts = [False] * len(run)
    position = 0
    for word in jieba.cut(run, hmm=False):
        starts[position] = True
        for cut in _compound_cuts(word):
            starts[position + cut] = True
        position += len(word)
    return starts


def _compound_cuts(word: str) -> list[int]:
    """Where a word splits into two dictionary words of two or more characters each."""
    if len(word) < 4:
        return []
    jieba = _jieba()
    return [cut for cut in range(2, len(word) - 1) if jieba.has_word(word[:cut]) and jieba.has_word(word[cut:])]


# --- what flows through a crawl --------------------------------------------------------------


@dataclass(frozen=True)
class Hints:
    """What a feed or sitemap said about the article before it was fetched."""

    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    author: str | None
    published_at: datetime | None
    description: str | None
    site_name: str | None
    language: str | None
    declared_canonical: str | None  # <link rel=canonical> when it is on the page's own site
    content_hash: str
    date_note: str | None = None  # why published_at is not the date the page gave


@dataclass(frozen=True)
class Rejection:
    status: UrlStatus
    reason: str


@dataclass(frozen=True)
class Tag:
    kind: str  # country, region, theme, initiative (topic tags are added by relevance)
    code: str  # ISO alpha-2, region key, theme key, initiative key
    label: str
    salience: float


@dataclass(frozen=True)
class Fingerprint:
    signature: bytes  # NUM_PERM uint64 hash values
    bands: tuple[tuple[int, int], ...]  # (band number, key) for the LSH index


@dataclass(frozen=True)
class Contribution:
    rule: str  # phrase, exclusion, cross-border phrase, partnership
    label: str
    weight: float  # what it adds to the score: negative for exclusions, 0 when it did not count
    terms: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Relevance:
    topic: str
    score: float
    threshold: float
    matched_terms: tuple[str, ...]  # what counted, strongest first
    contributions: tuple[Contribution, ...] = ()
    version: str = ""  # the topic profile's version (profile_version)

    @property
    def kept(self) -> bool:
        return self.score >= self.threshold

    @property
    def reason(self) -> str:
        counted = [c for c in self.contributions if c.weight]
        if self.kept:
            return f"kept: score {self.score:g} reaches the threshold {self.threshold:g}"
        if not counted:
            return f"not kept: nothing about {self.topic} was found (threshold {self.threshold:g})"
        return f"not kept: score {self.score:g} is below the threshold {self.threshold:g}"


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
    search_forms: tuple[str, str] | None = None  # title and text as the full-text index takes them
    published_at: datetime | None = None  # what the page said, kept when it is rejected as off topic


class TallySnapshot(TypedDict):
    """An outlet's figures as they cross from the crawl process to its parent."""

    discovered: int
    known: int
    queued: int
    pages: int
    stored: int
    duplicates: int
    too_old: int
    rejected: int
    irrelevant: int
    failed: int
    sources_ok: int
    sources_failed: int
    unchanged: int
    errors: list[str]
    status: str


@dataclass
class OutletTally:
    """Figures of one outlet in one run; `status` and the columns of outlet_runs derive from it."""

    discovered: int = 0  # article links found in feeds, sitemaps and listings
    known: int = 0  # skipped: settled by an earlier crawl
    queued: int = 0  # article pages requested
    pages: int = 0  # article pages that answered
    stored: int = 0
    duplicates: int = 0
    too_old: int = 0
    rejected: int = 0  # not an article, too short, too large, robots.txt, gone
    irrelevant: int = 0  # off topic
    failed: int = 0  # transient fetch failures, retried by later crawls
    sources_ok: int = 0  # sources read, unchanged ones included
    sources_failed: int = 0
    unchanged: int = 0  # sources not changed since the last complete pass (not parsed)
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> RunStatus:
        if self.sources_failed and not self.sources_ok:
            return RunStatus.FAILED
        return RunStatus.PARTIAL if self.sources_failed else RunStatus.OK

    def figures(self) -> dict[str, object]:
        return {
            "status": self.status,
            "discovered": self.discovered,
            "pages": self.pages,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "too_old": self.too_old,
            "rejected": self.rejected,
            "irrelevant": self.irrelevant,
            "failed": self.failed,
            "error": "; ".join(self.errors[:3]) or None,
        }

    def snapshot(self) -> TallySnapshot:
        return TallySnapshot(**asdict(self), status=self.status)  # type: ignore[typeddict-item]

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> OutletTally:
        """The tally a snapshot was taken of (its status is derived again, not read)."""
        return cls(**{f.name: snapshot[f.name] for f in fields(cls) if f.name in snapshot})


@dataclass(frozen=True)
class Analysis:
    """What the analysis makes of an article page (pipelines/analyze.py)."""

    article: Extracted
    relevance: Relevance | None  # None when no topic profile is in use
    tags: list[Tag]
    fingerprint: Fingerprint
    # The title and the text in their search form (Tokenized.search_form), made where they
    # were tokenized anyway, so that storing the article does not tokenize them again.
    search_forms: tuple[str, str] | None = None

    @property
    def kept(self) -> bool:
        return self.relevance is None or self.relevance.kept
