"""`newsalert explain`: what the pipeline makes of one page, storing nothing.

Like `scrapy parse`: fetch one page (or read a saved one), extract it, score it against the
topic profile and tag it, and say why it would be kept or not, rule by rule. Whoever edits
topics.yaml sees the effect at once.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from w3lib.encoding import html_to_unicode

from newsalert.config import Config
from newsalert.domain import Rejection, Relevance, Tag
from newsalert.pipelines.analyze import Analysis, Analyzer
from newsalert.pipelines.urls import is_http_url


class ExplainError(Exception):
    """The page could not be read: a missing file, a bad address, a failed download."""


@dataclass(frozen=True)
class Page:
    html: str
    url: str  # the address the page is judged under
    source: str  # where it was read: a file path or the URL fetched
    declared_language: str | None = None


@dataclass(frozen=True)
class Explanation:
    page: Page
    outcome: Analysis | Rejection
    threshold: float | None

    @property
    def relevance(self) -> Relevance | None:
        return self.outcome.relevance if isinstance(self.outcome, Analysis) else None

    @property
    def kept(self) -> bool:
        return isinstance(self.outcome, Analysis) and self.outcome.kept

    @property
    def reason(self) -> str:
        if isinstance(self.outcome, Rejection):
            return f"not kept: {self.outcome.status.replace('_', ' ')}: {self.outcome.reason}"
        if self.relevance is None:
            return "kept: no topic profile is in use (topics_file: null keeps every article)"
        return self.relevance.reason

    def to_json(self) -> dict[str, Any]:
        article = self.outcome.article if isinstance(self.outcome, Analysis) else None
        relevance = self.relevance
        tags: list[Tag] = self.outcome.tags if isinstance(self.outcome, Analysis) else []
        return {
            "kept": self.kept,
            "reason": self.reason,
            "relevance": relevance.score if relevance else None,
            "threshold": self.threshold,
            "topic": relevance.topic if relevance else None,
            "profile_version": relevance.version if relevance else None,
            "matched_terms": list(relevance.matched_terms) if relevance else [],
            "contributions": [
                {
                    "rule": c.rule,
                    "label": c.label,
                    "weight": c.weight,
                    "terms": list(c.terms),
                    "partners": list(c.partners),
                    "note": c.note,
                }
                for c in (relevance.contributions if relevance else ())
            ],
            "tags": [{"kind": t.kind, "code": t.code, "label": t.label, "salience": t.salience} for t in tags],
            "title": article.title if article else None,
            "published_at": article.published_at.isoformat() if article and article.published_at else None,
            "author": article.author if article else None,
            "language": article.language if article else None,
            "url": self.page.url,
            "source": self.page.source,
            "rejected": {"status": self.outcome.status, "reason": self.outcome.reason}
            if isinstance(self.outcome, Rejection)
            else None,
        }


def explain(config: Config, target: str, *, url: str | None = None) -> Explanation:
    """Read `target` (a saved page, or an http(s) URL to fetch) and judge it as a crawl would."""
    page = read_page(config, target, url=url)
    topics = config.topics
    analyzer = Analyzer(topics, min_text_chars=config.settings.crawl.min_text_chars)
    outcome = analyzer.analyze(page.html, page.url, declared_language=page.declared_language, tag_rejected=True)
    threshold = None
    if isinstance(outcome, Analysis) and outcome.relevance is not None:
        threshold = outcome.relevance.threshold
    elif topics is not None:
        threshold = topics.topics[0].threshold
    return Explanation(page, outcome, threshold)


def read_page(config: Config, target: str, *, url: str | None = None) -> Page:
    if url is not None and not is_http_url(url):
        raise ExplainError(f"--url: expected an http(s) address, got {url!r}")
    path = Path(target).expanduser()
    if not is_http_url(target):
        if not path.is_file():
            raise ExplainError(f"{target}: no such file, and not an http(s) URL")
        limit = config.settings.crawl.max_page_bytes
        if path.stat().st_size > limit:
            raise ExplainError(f"{target}: larger than crawl.max_page_bytes ({limit} bytes)")
        return Page(decode_saved_page(path.read_bytes()), url or path.resolve().as_uri(), str(path))
    return _fetch(config, target, url)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp:; a page is only ever fetched over http(s)."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not is_http_url(newurl):
            raise ExplainError(f"{req.full_url}: redirected to {newurl!r}, which is not an http(s) address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def decode_saved_page(body: bytes) -> str:
    """A saved page's text. Browsers save pages as UTF-8 but keep the original <meta charset>
    (gb2312, windows-1252...), so valid UTF-8 wins over the declaration; anything else is
    decoded as the page declares."""
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return html_to_unicode(None, body)[1]


def _fetch(config: Config, address: str, url: str | None) -> Page:
    crawl = config.settings.crawl
    request = urllib.request.Request(
        address, headers={"User-Agent": crawl.user_agent, "Accept": "text/html,application/xhtml+xml"}
    )
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=crawl.download_timeout) as response:
            final = response.geturl()
            if not is_http_url(final):
                raise ExplainError(f"{address}: redirected to {final!r}, which is not an http(s) address")
            body = response.read(crawl.max_page_bytes + 1)
            if len(body) > crawl.max_page_bytes:
                raise ExplainError(f"{address}: larger than crawl.max_page_bytes ({crawl.max_page_bytes} bytes)")
            content_type = response.headers.get("Content-Type")
            language = response.headers.get("Content-Language")
    except urllib.error.HTTPError as exc:
        raise ExplainError(f"{address}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ExplainError(f"{address}: could not fetch it: {reason}") from None
    _encoding, html = html_to_unicode(content_type, body)
    return Page(html, url or final, address, language)
