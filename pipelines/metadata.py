"""What a page states about itself: its headline, publication time, authors and site name.

Read from the structures publishers write for search engines and social networks, in this
order of trust: schema.org JSON-LD (`headline`, `datePublished`, `author`, through `@graph`,
lists, nested objects and `@id` references), OpenGraph and other meta tags (`og:title`,
`og:site_name`, `article:published_time`, `author`, `parsely-*`, `dc.*`, ...) and `<time
datetime>`. `extract.py` lets these win over what trafilatura infers from the text, and
falls back on trafilatura where the page states nothing.

A page is hostile input: every size is bounded (scripts, nodes, strings), broken JSON is
skipped, control characters are dropped, absurd dates are refused, and nothing here raises.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsalert.pipelines.clean import clean_line

MAX_FIELD_CHARS = 300  # a title, an author, a site name: longer ones are cut
MAX_SCRIPTS = 20  # JSON-LD scripts read on one page
MAX_SCRIPT_CHARS = 1_000_000  # a longer JSON-LD script is skipped, not parsed
MAX_NODES = 5_000  # JSON objects visited over all the scripts of a page
MAX_DEPTH = 12  # nesting followed inside one script
MAX_META = 1_000  # <meta> tags read
MAX_AUTHORS = 10
MAX_HEADINGS = 5
EARLIEST_YEAR = 1990  # before the web had news pages: a broken or default date
LATEST_YEAR = 2200  # the future is judged later (believable_date); this is absurd

ARTICLE_TYPES = frozenset(
    name.casefold()
    for name in (
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "LiveBlogPosting",
        "BlogPosting",
        "SocialMediaPosting",
        "Report",
        "TechArticle",
        "ScholarlyArticle",
    )
)
PERSON_TYPES = frozenset({"person"})
# Title tags, most trusted first (JSON-LD `headline` comes before all of them).
TITLE_META = ("og:title", "twitter:title", "title", "parsely-title", "dc.title", "dcterms.title", "sailthru.title")
SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "al:android:app_name")
DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "cxenseparse:publishtime",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dcterms.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "date",
)
AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "dcsext.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "article:author_name",
)
# Between a headline and the site's name in a <title> or og:title.
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " : ", " « ", " » ", " · ", " • ", "｜", "：", " / ")
# "By Jane Doe", "Von Jane Doe", "Escrito por ...", "Par ...", "记者 ...": no part of the name.
BYLINE_WORDS = ("by", "von", "por", "par", "di", "door", "av", "af", "oleh", "bởi")
BYLINE_WORD = re.compile(
    r"^(?:(?:(?:written|escrito|posted|analysis|commentary|opinion|story|text|words|reporting|review)\s+)?"
    rf"(?:{'|'.join(BYLINE_WORDS)})\s+|(?:记者|記者|通讯员)\s*)",
    re.IGNORECASE,
)
# A link or label after the name in a byline block: "Baraka Mwakyusa More by this Author".
BYLINE_TAIL = re.compile(r"\s+(?:more|all|view all|see all)\s+(?:by|from|posts|articles|stories)\b.*$", re.I)
# A job title after the name ("Tom Gillespie News reporter", "Jane Doe, Staff Writer"), in the
# languages the project reads; a part that is only a job title is no name. At most three
# qualifiers: an unbounded run would make a string of them cost quadratic time.
BYLINE_ROLE = re.compile(
    r"(?:^|\s+)(?:(?:senior|chief|deputy|associate|assistant|staff|news|political|business|economics|"
    r"sports?|foreign|science|special|contributing|managing|digital|online)\s+){0,3}"
    r"(?:reporter|correspondent|editor(?:-at-large|-in-chief)?|writer|columnist|journalist|contributor|producer|analyst|"
    r"journaliste|correspondante?|rédact(?:eur|rice)|envoyée?\s+spéciale?|"
    r"periodista|corresponsal|redact(?:or|ora)|repórter|jornalista|correspondente|redat(?:or|ora))s?$",
    re.IGNORECASE,
)
# A date run into a byline ("Jeff Foust Monday, November 18, 2019"): a weekday closing the
# name or followed by a date, or a month followed by a number, and what follows, is no name
# ("Theresa May", "April Smith" and the "Sunday Times" keep theirs). English names: the dates
# of other languages' bylines are numeric.
MONTHS = "|".join(name for name in (*calendar.month_name, *calendar.month_abbr) if name)
DAYS = "|".join(calendar.day_name)
DATE_TAIL = re.compile(rf"(?:^|\s+)(?:(?:{DAYS})(?:\s+(?:{MONTHS}|\d)\b.*)?|(?:{MONTHS})\.?\s+\d.*)$", re.I)
# A month closing a credit of three words or more is the rest of a date whose numbers were
# dropped ("JERUSALEM POST STAFF NOVEMBER"; trafilatura removes digits from bylines).
MONTH_LAST = re.compile(rf"^(\S+(?:\s+\S+){{2,}})\s+(?:{MONTHS})\.?$", re.IGNORECASE)
# A name as a byline line writes it: two to five capitalised words ("Jane Doe", "MTHOBISI SITHOLE").
NAME_LINE = re.compile(r"^(?:[^\W\d_][\w'’.-]*\s+){1,4}[^\W\d_][\w'’.-]*$")
MAX_BYLINE_CHARS = 80
# An element with a link whose own first text is only a byline word ("By", "Par", "Por"...).
LINKED_BYLINE = XPath(
    f"//*[a][re:test(normalize-space(text()[1]), '^({'|'.join(BYLINE_WORDS)})$', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)
# A one-word sign-off closing an article ("IN-Redaktion", "Reuters"): a capitalised word.
SIGNOFF_WORD = re.compile(r"^[^\W\d_][\w'’.-]+$")
SIGNOFF_LINES = 3  # a sign-off sits among the last lines, before any appeal or share prompt
# The credit line of Chinese news pages: "(责编：牛镛、岳弘彬)", "责任编辑：王敏".
CREDIT_LABELS = ("责编", "责任编辑")
CREDIT_LINE = re.compile(rf"^[(（]?\s*(?:{'|'.join(CREDIT_LABELS)})\s*[:：]\s*(?P<names>[^)）]{{1,60}})[)）]?$")
CREDIT_XPATH = "//*[" + " or ".join(f"contains(text(), '{label}')" for label in CREDIT_LABELS) + "]"
MAX_CREDIT_ELEMENTS = 10
# Between two authors in one string.
AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\||/|、|，|\s&\s|\sand\s|\sund\s|\sy\s|\se\s|\set\s|\sen\s)\s*", re.IGNORECASE)
EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
URL = re.compile(r"^(?:https?:|www\.)|://")
NOT_A_NAME = re.compile(r"^(?:https?:|www\.)|@|^\d+$|[<>{}]")
NORMAL = re.compile(r"\W+")


@dataclass(frozen=True)
class PageMetadata:
    """What the page states; None (or empty) where it states nothing usable."""

    title: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()  # people, in the page's order
    organisations: tuple[str, ...] = ()  # authors that are the outlet or another organisation
    headings: tuple[str, ...] = ()  # the visible <h1> texts


def read_metadata(tree: HtmlElement, url: str = "") -> PageMetadata:
    """The page's stated metadata; never raises (a page that breaks a reader states nothing)."""
    try:
        return _read(tree, url)
    except Exception:  # hostile markup must never stop an extraction
        return PageMetadata()


def _read(tree: HtmlElement, url: str) -> PageMetadata:
    meta = _meta_tags(tree)
    nodes = list(_json_ld_nodes(tree))
    articles = [node for node in nodes if _types(node) & ARTICLE_TYPES]
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    site_name = _first(_clean(value) for value in _meta_values(meta, SITE_META)) or _publisher_name(articles)
    headings = _headings(tree)
    title = choose_title(_title_candidates(tree, meta, articles), headings, site_name, url)
    people, organisations = _authors(articles, by_id, meta, site_name)
    return PageMetadata(
        title=title,
        site_name=site_name,
        published=_published(tree, meta, articles),
        authors=people,
        organisations=organisations,
        headings=headings,
    )


# --- reading the page's structures ---------------------------------------------------------


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """{lower-cased property, name or itemprop: [content, ...]} of the first MAX_META tags."""
    found: dict[str, list[str]] = {}
    for count, element in enumerate(tree.iter("meta")):
        if count >= MAX_META:
            break
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content:
            found.setdefault(key.strip().casefold(), []).append(content[:2000])
    return found


def _meta_values(meta: dict[str, list[str]], keys: tuple[str, ...]) -> Iterator[str]:
    for key in keys:
        yield from meta.get(key, ())


def _json_ld_nodes(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, @graph and nesting flattened."""
    budget = [MAX_NODES]
    for count, script in enumerate(tree.xpath('//script[@type="application/ld+json"]')):
        if count >= MAX_SCRIPTS:
            return
        text = script.text or ""
        if len(text) > MAX_SCRIPT_CHARS:
            continue
        data = _load_json(text)
        if data is not None:
            yield from _walk(data, 0, budget)


def _load_json(text: str) -> Any:
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
    try:
        return json.loads(text, strict=False)  # strict=False: raw newlines and tabs in strings
    except (ValueError, RecursionError):
        return None


def _walk(data: Any, depth: int, budget: list[int]) -> Iterator[dict[str, Any]]:
    if depth > MAX_DEPTH or budget[0] <= 0:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1, budget)
    elif isinstance(data, dict):
        budget[0] -= 1
        yield data
        for value in data.values():
            if isinstance(value, dict | list):
                yield from _walk(value, depth + 1, budget)


def _types(node: dict[str, Any]) -> set[str]:
    """A node's @type names, lower-cased, without a schema.org URL prefix."""
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {name.rsplit("/", 1)[-1].casefold() for name in names if isinstance(name, str)}


def _string(value: Any) -> str | None:
    """A JSON-LD text value: a string, or the first string of a list; entities decoded."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    return _clean(html.unescape(value)) if isinstance(value, str) else None


def _clean(value: str | None) -> str | None:
    return clean_line(html.unescape(value) if value and "&" in value else value, limit=MAX_FIELD_CHARS)


def _first(values: Iterator[str | None]) -> str | None:
    return next((value for value in values if value), None)


def _publisher_name(articles: list[dict[str, Any]]) -> str | None:
    return _first(_string(node.get("publisher")) for node in articles)


def _headings(tree: HtmlElement) -> tuple[str, ...]:
    found = []
    for count, heading in enumerate(tree.iter("h1")):
        if count >= MAX_HEADINGS:
            break
        if text := _clean(heading.text_content()):
            found.append(text)
    return tuple(found)


# --- title -----------------------------------------------------------------------------------


def _title_candidates(tree: HtmlElement, meta: dict[str, list[str]], articles: list[dict[str, Any]]) -> list[str]:
    """What the page states as its title, most trusted first (the <title> element last)."""
    candidates = [_string(node.get("headline")) for node in articles]
    candidates += [_clean(value) for value in _meta_values(meta, TITLE_META)]
    title_element = tree.find(".//title")
    if title_element is not None:
        candidates.append(_clean(title_element.text_content()))
    return [candidate for candidate in candidates if candidate]


def choose_title(candidates: list[str], headings: tuple[str, ...], site_name: str | None, url: str = "") -> str | None:
    """The stated title a reader sees: the first candidate (site name removed) that is also
    the page's visible <h1>; else the most trusted stated one. A <title> element alone is
    taken only when a site name was cut from it ("Port deal signed - Harbour Herald"): a
    bare one is left to the caller's fallback, as an <h1> alone is."""
    stripped = [without_site_name(candidate, site_name, url) or candidate for candidate in candidates]
    visible = {heading.casefold() for heading in headings}
    for candidate in stripped:
        if candidate.casefold() in visible:
            return candidate
    # A heading that differs only in spacing, quotes or dashes still agrees. The reader's text
    # is kept (typographic quotes where the stated one has straight ones), unless the heading
    # runs words together ("Deal:signed" for "Deal: signed": text_content() joins elements).
    loosely_visible = {_normal(heading): heading for heading in headings if _normal(heading)}
    for candidate in stripped:
        if (heading := loosely_visible.get(_normal(candidate))) is not None:
            return _as_seen(heading, candidate)
    # A stated title that is the visible heading with a label before or after it ("Opinion |
    # <headline>", "<headline> | Editorial"): the heading is the title, if it is the longer part.
    for candidate in stripped:
        for separator in TITLE_SEPARATORS:
            for part in candidate.split(separator):
                rest = len(candidate) - len(part) - len(separator)
                if part.strip() and len(part) > rest and (heading := loosely_visible.get(_normal(part))) is not None:
                    return _as_seen(heading, part.strip())
    site_name_cut = bool(stripped) and stripped[0] != candidates[0]
    return stripped[0] if len(stripped) > 1 or site_name_cut else None


def _as_seen(heading: str, stated: str) -> str:
    """The heading as the reader sees it, unless it runs the stated title's words together."""
    return heading if len(heading.split()) == len(stated.split()) else stated


def without_site_name(title: str | None, site_name: str | None, url: str = "") -> str | None:
    """'Port deal signed | The Harbour Herald' and 'The Harbour Herald: Port deal signed'
    become 'Port deal signed', with the site name as og:site_name gives it, or as the host
    name spells it ('Globalnews.ca')."""
    if not title:
        return title
    names = _site_names(site_name, url)
    if not names:
        return title
    for separator in TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head.strip() and _normal(tail) in names:
            return head.strip()
    for separator in (*TITLE_SEPARATORS, ": "):  # "The Harbour Herald: Port deal signed"
        head, found, tail = title.partition(separator)
        if found and tail.strip() and _normal(head) in names:
            return tail.strip()
    return title


def _site_names(site_name: str | None, url: str) -> set[str]:
    names = set()
    if site_name:
        names.add(_normal(site_name))
        names.add(_normal(re.sub(r"^the\s+", "", site_name, flags=re.IGNORECASE)))
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    if host:
        names.add(_normal(host))  # "globalnews.ca"
        names.add(_normal(host.split(".")[0]))  # "globalnews"
    names.discard("")
    return names


def _normal(value: str) -> str:
    return NORMAL.sub("", value.casefold())


# --- publication time ------------------------------------------------------------------------


def _published(tree: HtmlElement, meta: dict[str, list[str]], articles: list[dict[str, Any]]) -> datetime | None:
    """The first believable stated publication time. One stated without an offset takes the
    offset that another stated time of the page gives (a page writes its local time one way
    and the same time with its offset another), else it is read as UTC."""
    stated = [value for node in articles if (value := _string(node.get("datePublished")))]
    stated += list(_meta_values(meta, DATE_META))
    stated += tree.xpath('//*[@itemprop="datePublished"]/@datetime | //*[@itemprop="datePublished"]/@content')
    stated += tree.xpath("//article//time/@datetime")
    parsed = [value for value in (parse_date(text) for text in stated[:50]) if value is not None]
    if not parsed:
        return None
    chosen = parsed[0]
    if chosen.tzinfo is None:
        offset = next((value.tzinfo for value in parsed if value.tzinfo is not None), UTC)
        chosen = chosen.replace(tzinfo=offset)
    return chosen.astimezone(UTC)


def page_times(tree: HtmlElement) -> list[datetime]:
    """Every <time datetime> of the page that gives a time of day and an offset, in UTC."""
    found = []
    for text in tree.xpath("//time/@datetime")[:50]:
        value = parse_date(text)
        if value is not None and value.tzinfo is not None and (value.hour, value.minute) != (0, 0):
            found.append(value.astimezone(UTC))
    return found


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date or time ('Z', '+0100' and '+01:00' offsets), or a Unix time in
    seconds or milliseconds; naive when the text gives no offset. None for anything else or
    a year outside EARLIEST_YEAR..LATEST_YEAR."""
    if not isinstance(value, str):
        return None
    text = value.strip()[:64]
    try:
        if EPOCH.match(text):
            parsed = datetime.fromtimestamp(int(text[:10]), tz=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        return None
    return parsed


# --- authors -------------------------------------------------------------------------------


def _authors(
    articles: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], meta: dict[str, list[str]], site_name: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(people, organisations) named as the article's authors: JSON-LD first, else meta tags.
    An author that is the site itself, or typed as an organisation, counts as an organisation."""
    people: list[str] = []
    organisations: list[str] = []
    outlet = _site_names(site_name, "") | {_normal(name) for name in _publisher_names(articles)}
    for node in articles:
        for person, kind in _json_ld_authors(node.get("author"), by_id):
            # An author typed Person is one, even if named after the outlet ("Guardian staff").
            is_outlet = _normal(person) in outlet or (kind is None and is_house_account(person, site_name))
            _add(person, organisations if kind is False or is_outlet else people)
        if people:
            break
    if not people:
        for value in _meta_values(meta, AUTHOR_META):
            for person in split_authors(value):
                is_outlet = _normal(person) in outlet or is_house_account(person, site_name)
                _add(person, organisations if is_outlet else people)
    return tuple(people[:MAX_AUTHORS]), tuple(organisations[:MAX_AUTHORS])


def _publisher_names(articles: list[dict[str, Any]]) -> Iterator[str]:
    for node in articles:
        if name := _string(node.get("publisher")):
            yield name


def _json_ld_authors(value: Any, by_id: dict[str, dict[str, Any]]) -> Iterator[tuple[str, bool | None]]:
    """(name, True for a Person, False for another type, None when untyped) for each author
    of a JSON-LD `author` value."""
    items = value if isinstance(value, list) else [value]
    for item in items[:MAX_AUTHORS]:
        if isinstance(item, str):
            for name in split_authors(item):
                yield name, None
        elif isinstance(item, dict):
            node = item
            if "name" not in node and isinstance(node.get("@id"), str):
                node = by_id.get(node["@id"], node)
            types = _types(node)
            for name in split_authors(_string(node.get("name")) or ""):
                yield name, (bool(types & PERSON_TYPES) if types else None)


def split_authors(value: str) -> list[str]:
    """'By Jane Doe and John Roe' gives ['Jane Doe', 'John Roe']; URLs, e-mail addresses and
    numbers (CMS user ids) are no names."""
    text = _clean(value)
    if not text or URL.search(text):
        return []
    names = []
    for part in AUTHOR_SPLIT.split(BYLINE_TAIL.sub("", BYLINE_WORD.sub("", text))):
        name = _without_role(MONTH_LAST.sub(r"\1", DATE_TAIL.sub("", BYLINE_WORD.sub("", part.strip(" .·-–—:")))))
        if name and not NOT_A_NAME.search(name) and len(name) <= 80:
            names.append(name)
    return names


def _without_role(name: str) -> str:
    """The name before a job title; '' for a job title alone. A credit that is no person's name
    without its title ("Guardian staff reporter") is kept whole."""
    bare = BYLINE_ROLE.sub("", name)
    return bare if not bare or len(bare.split()) >= 2 else name


EMPHASIS = ("strong", "b", "em", "i")


def emphasised_lines(tree: HtmlElement) -> frozenset[str]:
    """Short paragraphs that are wholly bold or italic: where many newspapers put the byline
    or sign the article."""
    found = set()
    for paragraph in tree.xpath("//p[strong or b or em or i]")[:300]:
        text = _clean(paragraph.text_content())
        bold = _clean(" ".join(part.text_content() for part in paragraph if part.tag in EMPHASIS))
        if text and len(text) <= MAX_BYLINE_CHARS and text == bold:
            found.add(text)
    return frozenset(found)


def body_byline(text: str, emphasised: frozenset[str]) -> list[str]:
    """The people a bold byline line among the first three of the article text names
    ("Mathatisi Sebusi/Mohalenyane Phakela"), if every part of it is shaped like a name."""
    for line in text.splitlines()[:3]:
        line = line.strip()
        if line in emphasised:
            names = split_authors(line)
            if names and all(NAME_LINE.match(name) for name in names) and _capitalised(names):
                return names
    return []


def body_signoff(text: str, emphasised: frozenset[str]) -> list[str]:
    """The people or desk an emphasised line among the last SIGNOFF_LINES of the article text
    names ("IN-Redaktion", "Jane Doe and John Roe"), if every part is shaped like a name."""
    for line in reversed(text.splitlines()[-SIGNOFF_LINES:]):
        line = line.strip()
        if line in emphasised:
            names = split_authors(line)
            shaped = all(NAME_LINE.match(name) or SIGNOFF_WORD.match(name) for name in names)
            if names and shaped and _capitalised(names):
                return names
    return []


def credited_editors(tree: HtmlElement) -> list[str]:
    """The names of a Chinese page's credit line ("(责编：牛镛、岳弘彬)"), which names the
    people answerable for the article where no byline does."""
    try:
        elements = tree.xpath(CREDIT_XPATH)
    except Exception:  # hostile markup must never stop an extraction
        return []
    for element in elements[:MAX_CREDIT_ELEMENTS]:
        text = _clean(element.text_content())
        if text and len(text) <= MAX_BYLINE_CHARS and (match := CREDIT_LINE.match(text)):
            return split_authors(match.group("names"))
    return []


def linked_byline(tree: HtmlElement) -> list[str]:
    """The names of the page's first byline written as links ("By <a>Jane Doe</a>, <a>John
    Roe</a>"): an element whose own text opens with a byline word, followed by links whose
    texts are names."""
    try:
        elements = LINKED_BYLINE(tree)
    except Exception:  # hostile markup must never stop an extraction
        return []
    for element in elements[:MAX_CREDIT_ELEMENTS]:
        if len(element.text_content()) > 2 * MAX_BYLINE_CHARS:
            continue
        texts = (_clean(link.text_content()) or "" for link in element.iterchildren("a"))
        names = [text for text in texts if NAME_LINE.match(text)]
        if names:
            return names[:MAX_AUTHORS]
    return []


def _capitalised(names: list[str]) -> bool:
    return all(word[0].isupper() for name in names for word in name.split() if word[0].isalpha())


def is_house_account(name: str, site_name: str | None) -> bool:
    """'Ilanga D' on Ilanga News, 'Lesotho Times': an author named after the outlet."""
    if not site_name:
        return False
    outlet = {_normal(word) for word in site_name.split() if len(word) > 3 and word.casefold() != "news"}
    return _normal(name) == _normal(site_name) or bool(outlet & {_normal(word) for word in name.split()})


def _add(name: str, names: list[str]) -> None:
    if _normal(name) not in {_normal(existing) for existing in names}:
        names.append(name)
