"""Everything CPU-heavy about one page, composed from the pure stages:
extract → relevance → tags → fingerprint.

It runs in the crawl's worker processes (see crawler/workers.py), so the reactor thread
only downloads and stores. The text is tokenized once and the places found once, for
relevance and tags alike.
"""

from __future__ import annotations

from collections.abc import Collection

from newsalert.config.models import TopicsFile
from newsalert.domain import (
    Analysis,
    Fingerprint,
    Hints,
    Rejection,
    Relevance,
    Tag,
    Tokenized,
    base_language,
    chinese_word_starts,
)
from newsalert.pipelines.dedup import fingerprint
from newsalert.pipelines.extract import DEFAULT_LIMITS, PageLimits, extract_article
from newsalert.pipelines.relevance import RelevanceModel
from newsalert.pipelines.tagging import Tagger, place_salience


class Analyzer:
    def __init__(
        self, topics: TopicsFile | None, *, min_text_chars: int = 250, limits: PageLimits = DEFAULT_LIMITS
    ) -> None:
        self.relevance = RelevanceModel(topics) if topics else None
        self.tagger = Tagger(topics.taxonomy if topics else None)
        self.min_text_chars = min_text_chars
        self.limits = limits

    def analyze(
        self,
        html: str,
        url: str,
        *,
        hints: Hints | None = None,
        declared_language: str | None = None,
        tag_rejected: bool = False,
    ) -> Analysis | Rejection:
        """The page's article, relevance, tags and fingerprint. An off-topic article is not
        stored, so it gets no tags or fingerprint, unless `tag_rejected` (for `explain`)."""
        article = extract_article(
            html,
            url,
            min_text_chars=self.min_text_chars,
            hints=hints or Hints(),
            declared_language=declared_language,
            limits=self.limits,
        )
        if isinstance(article, Rejection):
            return article
        title_tokens, body = Tokenized.of(article.title, article.language), Tokenized.of(article.text, article.language)
        relevance, tags = self.judge_tokens(title_tokens, body)
        if relevance is not None and not relevance.kept and not tag_rejected:
            return Analysis(article, relevance, [], Fingerprint(b"", ()))
        search_forms = (title_tokens.search_form, body.search_form)
        return Analysis(article, relevance, tags, fingerprint(body), search_forms)

    def judge(self, title: str, text: str, language: str | None) -> tuple[Relevance | None, list[Tag], Tokenized]:
        """Relevance and tags of an article's title and text (also for `rescore`), and the
        text's tokens."""
        body = Tokenized.of(text, language)
        return (*self.judge_tokens(Tokenized.of(title, language), body), body)

    def judge_tokens(self, title_tokens: Tokenized, body: Tokenized) -> tuple[Relevance | None, list[Tag]]:
        """Relevance and tags of an article's title and text, tokenized."""
        places = place_salience(title_tokens, body)
        relevance = self.relevance.score(title_tokens, body, places) if self.relevance else None
        tags = self.tagger.tag(title_tokens, body, places)
        if relevance is not None and relevance.kept:
            label = self.relevance.labels.get(relevance.topic, relevance.topic) if self.relevance else relevance.topic
            tags.append(Tag("topic", relevance.topic, label, relevance.score))
        return relevance, tags


WARM_UP_PAGE = (
    "<html><head><title>Warm-up</title></head><body><article><p>"
    + "Kenyan and Chinese engineers trained together in Mombasa this week. " * 8
    + "</p></article></body></html>"
)


def warm_up(languages: Collection[str] | None = None) -> None:
    """Load what every analysis needs whatever the topic profile: the gazetteer, the
    organizations, trafilatura's lazy tables, and the Chinese dictionary (33 MB) when the
    crawl's outlets may publish in Chinese (`languages`: theirs, None when some do not say).
    Run once in the fork server, so that each worker forked from it starts ready
    (crawler/preload.py); a worker that meets Chinese all the same loads the dictionary then."""
    import pycountry
    from tld import get_tld

    from newsalert.pipelines.actors import load_actors
    from newsalert.pipelines.tagging import load_gazetteer

    load_gazetteer()
    load_actors()
    Analyzer(None, min_text_chars=1).analyze(WARM_UP_PAGE, "https://warm-up.example/2026/01/page.html")
    if languages is None or "zh" in {base_language(language) for language in languages}:
        chinese_word_starts("肯尼亚和中国工程师合作")  # loads jieba's dictionary
    # What the first real page would load in each worker (the analysis above has built
    # jusText's stoplist, extract.share_justext_stoplist): the table of languages (a page's
    # lang attribute), the public suffix list (courlan).
    pycountry.languages.get(alpha_2="en")
    get_tld("https://warm-up.example.com/", fail_silently=True)


# One analyzer per worker process, built once by the pool's initializer.
_worker_analyzer: Analyzer | None = None


def init_worker(topics: TopicsFile | None, min_text_chars: int, limits: PageLimits = DEFAULT_LIMITS) -> None:
    global _worker_analyzer
    _worker_analyzer = Analyzer(topics, min_text_chars=min_text_chars, limits=limits)


def analyze_in_worker(html: str, url: str, hints: Hints, declared_language: str | None) -> Analysis | Rejection:
    if _worker_analyzer is None:
        raise RuntimeError("init_worker() was not called in this process")
    return _worker_analyzer.analyze(html, url, hints=hints, declared_language=declared_language)
