"""Turning an article page into clean text and metadata with trafilatura.

A pure function of the page, so it can run in a worker process and be tested alone.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pycld2
import pycountry
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from newsalert.domain import FUTURE_TOLERANCE, Extracted, Hints, Rejection, UrlStatus
from newsalert.pipelines.clean import clean_line, clean_text
from newsalert.pipelines.compiled import compiled
from newsalert.pipelines.metadata import (
    BYLINE_WORD,
    CREDIT_LABELS,
    PageMetadata,
    body_byline,
    body_signoff,
    credited_editors,
    emphasised_lines,
    is_house_account,
    linked_byline,
    page_times,
    parse_date,
    read_metadata,
    split_authors,
    without_site_name,
)
from newsalert.pipelines.urls import canonical_url, site_of

# htmldate's parameters, as trafilatura passes them (extensive search, the original publication date)
DATE_PARAMS: dict[str, Any] = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}
# Share of control or replacement characters above which a "page" is binary junk.
MAX_JUNK_SHARE = 0.05
LANG_ATTR = re.compile(r"^[a-zA-Z]{2,3}\b")
WORDS = re.compile(r"\w+")
MAX_FIELD_CHARS = 300  # a title, an author, a site name: longer ones are cut
# A Chinese, Japanese or Korean character says about as much as three Latin letters (a word
# is one or two characters there, five or six letters and a space here), so the minimum
# length counts it three times: a 210-character Chinese news item is an article.
CJK_CHAR_WEIGHT = 3
CJK_CHARS = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# An inline style that keeps an element from the reader's eyes (schema.org microdata copies
# of the headline, dates and body, pop-ups). The `hidden` attribute does not count: React
# streams the visible page through <div hidden> placeholders that a script moves into place.
UNSEEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# An unseen element holding more than this share of the page's text is the page itself (an
# article revealed by a script), not a copy of it.
MAX_UNSEEN_SHARE = 0.5
# A paragraph whose text is at least this share link text is a pointer to another page
# ("READ MORE: ...", "CLICK HERE TO GET THE APP", a related headline), not prose.
PROMO_LINK_SHARE = 0.8
MAX_PROMO_CHARS = 1000  # a longer paragraph is prose with links in it, whatever its share


@dataclass(frozen=True)
class PageLimits:
    """How much of a page extraction takes on: bigger pages are refused before trafilatura
    sees them (it needs minutes and gigabytes for a page of 200,000 paragraphs)."""

    max_elements: int = 30_000  # the largest of 241 real news pages has about 3,100
    max_page_text: int = 2_000_000  # characters of text on the whole page, before extraction
    max_text: int = 200_000  # characters of extracted article text


DEFAULT_LIMITS = PageLimits()


# A time in the same calendar day as a date's midnight (UTC), whatever the zone (UTC-12 to +14).
SAME_DAY_BEFORE, SAME_DAY_AFTER = timedelta(hours=-14), timedelta(hours=36)


def extract_article(
    html: str,
    url: str,
    *,
    min_text_chars: int = 250,
    hints: Hints | None = None,
    declared_language: str | None = None,
    limits: PageLimits = DEFAULT_LIMITS,
) -> Extracted | Rejection:
    """Extract the article in `html` (already decoded with the page's charset)."""
    share_justext_stoplist()
    hints = hints or Hints()
    if not html.strip():
        return Rejection(UrlStatus.NOT_ARTICLE, "empty page")
    if _junk_share(html[:4000]) > MAX_JUNK_SHARE:
        return Rejection(UrlStatus.NOT_ARTICLE, "binary content, not an HTML page")
    tree = load_html(html)
    if tree is None:
        return Rejection(UrlStatus.NOT_ARTICLE, "not parseable as HTML")
    page_chars = len(tree.text_content())
    if (too_big := _too_big(tree, page_chars, limits)) is not None:
        return too_big
    page_language = _page_language(tree) or _normalize_language(declared_language)
    declared_canonical = _declared_canonical(tree, url)
    stated = read_metadata(tree, url)  # before unseen elements and link paragraphs are dropped
    times_of_day = page_times(tree)
    emphasised = emphasised_lines(tree)
    credited = credited_editors(tree) if any(label in html for label in CREDIT_LABELS) else []
    linked = [] if stated.authors else linked_byline(tree)  # _author looks no further than stated authors
    drop_unseen(tree, page_chars)
    drop_link_paragraphs(tree)

    document = bare_extraction(  # on a copy of `tree`: the tree is left as it is
        tree,
        url=url,
        with_metadata=False,  # read below, without what is never used
        include_comments=False,
        # Tables stay out: on the table-laid pages of older sites they hold the navigation and
        # the related-story lists (a statistics table in the story is lost: AEB -0.002 F1).
        include_tables=False,
    )
    text = clean_text(document.text or "").strip() if isinstance(document, Document) else ""
    if not text or not isinstance(document, Document):
        return Rejection(UrlStatus.NOT_ARTICLE, "no article text found")
    if len(text) > limits.max_text:
        return Rejection(UrlStatus.TOO_LARGE, f"{len(text)} characters of article text (more than {limits.max_text})")
    if (length := text_length(text)) < min_text_chars:
        return Rejection(
            UrlStatus.TOO_SHORT,
            f"{length} characters of text (minimum {min_text_chars}; "
            f"a Chinese, Japanese or Korean character counts {CJK_CHAR_WEIGHT})",
        )
    # htmldate's search of the page for a date is needed only when the page states none.
    document = trafilatura_metadata(tree, url, with_date=stated.published is None)

    site_name = stated.site_name or _clean(document.sitename)
    title = (
        stated.title
        or without_site_name(_clean(document.title), site_name, url)
        or _clean(hints.title)
        or _first_words(text)
    )
    text = _without_leading_title(text, title)
    found = _with_time_of_day(_parse_date(document.date), times_of_day)
    published = publication_date(stated.published, found, hints.published_at)
    published_at, date_note = believable_date(published)
    return Extracted(
        title=title,
        text=text,
        author=_author(
            stated,
            body_byline(text, emphasised),
            lambda: _clean(document.author or _trafilatura_byline(tree)),
            _clean(hints.author),
            linked=linked,
            signed=body_signoff(text, emphasised) or credited,
        ),
        published_at=published_at,
        date_note=date_note,
        description=clean_line(document.description, limit=2000),
        site_name=site_name,
        language=article_language(page_language, text),
        declared_canonical=declared_canonical,
        content_hash=content_hash(text),
    )


def trafilatura_metadata(tree: HtmlElement, url: str, *, with_date: bool = True) -> Document:
    """trafilatura's reading of the page's metadata (its `extract_metadata`, through its own
    functions, in its order) without what extraction never uses: categories, tags and licence
    (2.3 ms a page on the corpus), and the search for a byline in the page when the page's
    meta tags and JSON-LD name no author (6.5 ms on the pages that need it): `_author` asks
    for that (`_trafilatura_byline`) only when nothing it prefers names an author. Without
    `with_date`, htmldate's search for a date is left out too (`date` is None): a page that
    states its publication time needs no other.

    Never raises: markup that breaks the reading loses its metadata, not the article."""
    try:
        return _trafilatura_metadata(tree, url, with_date)
    except Exception:
        return Document()


def _trafilatura_metadata(tree: HtmlElement, url: str, with_date: bool) -> Document:
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # as trafilatura: a single word is a handle, not a name
    with suppress(Exception):  # trafilatura's JSON-LD reader, on a stranger's JSON
        metadata = extract_meta_json(tree, metadata)
    metadata.title = metadata.title or extract_title(tree)
    metadata.url = metadata.url or extract_url(tree, url)
    if with_date:
        metadata.date = find_date(tree, **DATE_PARAMS, url=metadata.url)
    metadata.sitename = metadata.sitename or extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata


def _trafilatura_byline(tree: HtmlElement) -> str | None:
    """trafilatura's search for a byline in the page (it works on a copy of `tree`), trimmed
    as trafilatura trims it."""
    found = Document()
    try:
        found.author = extract_author(tree)
    except Exception:  # as trafilatura_metadata: the article stands without it
        return None
    found.clean_and_trim()
    return found.author


def _too_big(tree: HtmlElement, page_chars: int, limits: PageLimits) -> Rejection | None:
    for elements, _element in enumerate(tree.iter(), start=1):
        if elements > limits.max_elements:
            return Rejection(UrlStatus.TOO_LARGE, f"more than {limits.max_elements} HTML elements")
    if page_chars > limits.max_page_text:
        return Rejection(
            UrlStatus.TOO_LARGE, f"{page_chars} characters of text on the page (more than {limits.max_page_text})"
        )
    return None


def drop_unseen(tree: HtmlElement, page_chars: int) -> None:
    """Remove what an inline style hides from the reader, unless it holds most of the page's
    `page_chars` characters of text."""
    for element in tree.xpath("//*[@style]"):
        if element.getparent() is None or not UNSEEN_STYLE.search(element.get("style") or ""):
            continue
        if len(element.text_content()) <= MAX_UNSEEN_SHARE * page_chars:
            element.drop_tree()


def drop_link_paragraphs(tree: HtmlElement) -> None:
    """Remove the paragraphs that are (almost) all link text: promotions and related stories;
    not a byline ("By <a>Jane Doe</a>"), whose link is the author's page."""
    for paragraph in tree.xpath("//p[.//a]"):
        text = clean_line(paragraph.text_content())
        if not text or len(text) > MAX_PROMO_CHARS or BYLINE_WORD.match(text):
            continue
        linked = sum(len(clean_line(link.text_content()) or "") for link in paragraph.iter("a"))
        if linked >= PROMO_LINK_SHARE * len(text):
            paragraph.drop_tree()


@cache
def share_justext_stoplist() -> None:
    """Build, once, the stopword set trafilatura's jusText fallback uses for a page of unknown
    language, and let jusText use it as it is.

    jusText builds it in each process at its first fallback (lower-casing the 154,000 words of
    all its languages into a frozenset it caches: 30 MB kept, 40 MB of heap touched). Built
    here, in the fork server (analyze.warm_up), it is shared by every worker instead. Only the
    set built here is passed through: any other stoplist still goes to jusText's own function.
    """
    import justext.core
    from trafilatura import external

    stoplist = compiled("justext-stoplist", _all_stopwords, libraries=["justext", "trafilatura"])
    external.JT_STOPLIST = stoplist  # type: ignore[assignment]
    define_any = justext.core.define_stoplist

    def define_stoplist(words: Any) -> frozenset[str]:
        return stoplist if words is stoplist else define_any(words)

    justext.core.define_stoplist = define_stoplist


def _all_stopwords() -> frozenset[str]:
    """The stopwords of every jusText language, lower-cased, as jusText would make them."""
    from trafilatura import external

    words = external.JT_STOPLIST or external.jt_stoplist_init()
    # jusText's lists are lower-case already: keep those strings rather than copies of them.
    return frozenset(word if word == (lowered := word.lower()) else lowered for word in words)


def text_length(text: str) -> int:
    """The length of a text for the minimum: CJK characters count CJK_CHAR_WEIGHT times."""
    return len(text) + (CJK_CHAR_WEIGHT - 1) * len(CJK_CHARS.findall(text))


def believable_date(value: datetime | None, *, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """A publication date, unless it lies more than FUTURE_TOLERANCE ahead: then the fetch
    time, with a note saying so (a date in 2099 must not sort first for ever)."""
    now = now or datetime.now(UTC)
    if value is not None and value > now + FUTURE_TOLERANCE:
        return now, (
            f"the page gave a publication date in the future ({value:%Y-%m-%d %H:%M} UTC); the fetch time is used"
        )
    return value, None


def content_hash(text: str) -> str:
    """A hash of the text that ignores case, accents-composition, punctuation and spacing."""
    normalized = " ".join(WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


# CLD2 names a few languages by codes ISO 639-1 has since replaced.
CLD2_LEGACY_CODES = {"iw": "he", "jw": "jv", "in": "id", "ji": "yi"}
DETECT_CHARS = 5000
# A declared language gives way only to a detection this sure, on this much text.
CONFIDENT_CHARS, CONFIDENT_SHARE = 400, 90
# Characters CLD2 refuses ("invalid UTF-8"): controls, unpaired surrogates, noncharacters.
CLD2_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def detect_language(text: str, *, confident: bool = False) -> str | None:
    """The text's language by CLD2 (Chrome's detector: 6 MB of tables, where py3langid's model
    took 70 MB, a sixth of the crawl's memory), or None when it cannot tell. `confident`: only
    a language CLD2 calls reliable, in at least CONFIDENT_SHARE percent of a text of at least
    CONFIDENT_CHARS characters."""
    sample = CLD2_REFUSED.sub(" ", text[:DETECT_CHARS])
    if confident and len(sample) < CONFIDENT_CHARS:
        return None
    try:
        reliable, _bytes, details = pycld2.detect(sample, isPlainText=True, bestEffort=not confident)
    except pycld2.error:
        return None
    code, percent = details[0][1].split("-")[0], details[0][2]
    if code in ("un", "xx") or (confident and not (reliable and percent >= CONFIDENT_SHARE)):
        return None
    return CLD2_LEGACY_CODES.get(code, code)


def article_language(declared: str | None, text: str) -> str | None:
    """The page's own language, unless its text is plainly in another: templates keep the
    lang="en" they were installed with (a Zulu or French newsroom on a stock theme), and an
    article matched with another language's words is misjudged."""
    return detect_language(text, confident=declared is not None) or declared


def _page_language(tree: HtmlElement) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += tree.xpath('//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content')
    candidates += tree.xpath('//meta[@property="og:locale"]/@content')
    for candidate in candidates:
        if language := _normalize_language(candidate):
            return language
    return None


def _normalize_language(value: str | None) -> str | None:
    """'zh-CN', 'pt_BR' and 'por' become 'zh', 'pt' and 'pt'; what is no language code is None."""
    if not value:
        return None
    match = LANG_ATTR.match(value.strip())
    if not match:
        return None
    code = match.group(0).lower()
    language = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return getattr(language, "alpha_2", None)


def _declared_canonical(tree: HtmlElement, url: str) -> str | None:
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        href = href.strip()
        if not href.startswith(("http://", "https://")):
            continue
        candidate = canonical_url(href)
        # A canonical link to another site (syndication) or to a home page is not this page's name.
        if site_of(candidate) == site_of(url) and urlsplit(candidate).path.strip("/"):
            return candidate
    return None


def _author(
    stated: PageMetadata,
    byline: list[str],
    trafilatura_author: Callable[[], str | None],
    listed: str | None,
    *,
    linked: list[str],
    signed: list[str],
) -> str | None:
    """The people the page names as authors; else a bold byline opening the text; else
    trafilatura's reading of the byline or the feed's author, unless that is the outlet
    itself; else a byline of links to the authors' pages; else who signs the article (an
    emphasised closing line, a credit line); else the organisation the page names."""
    if stated.authors or byline:
        return "; ".join(stated.authors or byline)
    found = trafilatura_author()
    outlets = {name.casefold() for name in stated.organisations}
    credited = [split_authors(candidate or "") for candidate in (found, listed)]
    for names in credited:
        if names and not any(name.casefold() in outlets or is_house_account(name, stated.site_name) for name in names):
            return "; ".join(names)
    if linked:
        return "; ".join(linked)
    house = "; ".join(next((names for names in credited if names), []))
    return "; ".join(signed or stated.organisations) or house or found or listed


def _with_time_of_day(found: datetime | None, times: list[datetime]) -> datetime | None:
    """A date found without a time of day takes the first <time datetime> of the page (with
    its offset) that falls within that calendar day, in whatever zone the page is."""
    if found is None or (found.hour, found.minute, found.second) != (0, 0, 0):
        return found
    return next((time for time in times if SAME_DAY_BEFORE <= time - found < SAME_DAY_AFTER), found)


def publication_date(declared: datetime | None, found: datetime | None, listed: datetime | None) -> datetime | None:
    """What the page states wins: its declared time (with its offset), else the date
    trafilatura finds in it. What the feed or news sitemap said (`listed`) counts only when
    the page states nothing, or to give the time of day to a page that states only the day
    (a listed time within that calendar day, in any time zone)."""
    if declared is not None:
        return declared
    if found is None:
        return listed
    day_only = (found.hour, found.minute, found.second) == (0, 0, 0)
    if listed is not None and day_only and SAME_DAY_BEFORE <= listed - found < SAME_DAY_AFTER:
        return listed
    return found


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura's date (htmldate gives no offset: read as UTC)."""
    parsed = parse_date(value)
    if parsed is None:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _without_leading_title(text: str, title: str) -> str:
    """trafilatura keeps the headline when it sits inside <article>; it is stored apart."""
    first, _, rest = text.partition("\n")
    if rest and " ".join(first.split()).casefold() == title.casefold():
        return rest.lstrip()
    return text


def _junk_share(sample: str) -> float:
    if not sample:
        return 0.0
    junk = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f"))
    return junk / len(sample)


def _clean(value: str | None) -> str | None:
    return clean_line(value, limit=MAX_FIELD_CHARS)


def _first_words(text: str, limit: int = 90) -> str:
    first_line = text.strip().splitlines()[0]
    return first_line if len(first_line) <= limit else first_line[:limit].rsplit(" ", 1)[0] + "…"
