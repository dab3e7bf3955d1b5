"""What a page states about itself (pipelines/metadata.py), on small pages written here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newsalert.domain import Extracted
from newsalert.pipelines.extract import extract_article
from newsalert.pipelines.metadata import (
    MAX_SCRIPT_CHARS,
    body_byline,
    emphasised_lines,
    parse_date,
    read_metadata,
    split_authors,
    without_site_name,
)

URL = "https://www.harbourherald.example/news/2024/05/port-deal"
BODY = "<p>" + "The port authority signed the concession on Tuesday after two years of talks. " * 6 + "</p>"


def _page(head: str = "", body: str = "", *, title: str = "Port deal signed | The Harbour Herald") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body>{body}<article>{BODY}</article></body></html>"


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _tree(page: str) -> HtmlElement:
    tree = load_html(page)
    assert tree is not None
    return tree


def test_json_ld_graph_gives_headline_date_and_referenced_author() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "The Harbour Herald"},
            {
                "@type": "NewsArticle",
                "headline": "Port deal signed after two years",
                "datePublished": "2024-05-14T09:30:00+03:00",
                "author": [{"@id": "https://www.harbourherald.example/#/person/1"}],
                "publisher": {"@type": "NewsMediaOrganization", "name": "The Harbour Herald"},
            },
            {"@type": "Person", "@id": "https://www.harbourherald.example/#/person/1", "name": "Amina Otieno"},
        ],
    }
    stated = read_metadata(_tree(_page(_ld(graph))), URL)
    assert stated.title == "Port deal signed after two years"
    assert stated.published == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert stated.authors == ("Amina Otieno",)
    assert stated.site_name == "The Harbour Herald"


def test_people_win_over_organisations_and_an_organisation_alone_is_kept_apart() -> None:
    both = {
        "@type": ["ReportageNewsArticle"],
        "headline": "Port deal signed",
        "author": [
            {"@type": "NewsMediaOrganization", "name": "Harbour Herald Wire"},
            {"@type": "Person", "name": "Amina Otieno"},
            {"@type": "Person", "name": "By Jonas Weber"},
        ],
    }
    stated = read_metadata(_tree(_page(_ld(both))), URL)
    assert stated.authors == ("Amina Otieno", "Jonas Weber")
    assert stated.organisations == ("Harbour Herald Wire",)

    outlet = {"@type": "Organization", "name": "朝日新聞デジタル"}
    only_outlet = {"@type": "http://schema.org/Article", "author": outlet}
    stated = read_metadata(_tree(_page(_ld(only_outlet))), URL)
    assert stated.authors == ()
    assert stated.organisations == ("朝日新聞デジタル",)


def test_extracted_author_is_the_person_then_the_outlet_when_no_person_is_named() -> None:
    person = _ld({"@type": "NewsArticle", "author": "Samya Kullab and Vasilisa Stepanenko"})
    result = extract_article(_page(person), URL)
    assert isinstance(result, Extracted)
    assert result.author == "Samya Kullab; Vasilisa Stepanenko"

    outlet = '<meta property="og:site_name" content="Harbour Herald"><meta name="author" content="Harbour Herald">'
    result = extract_article(_page(outlet + '<meta name="author" content="https://facebook.com/herald">'), URL)
    assert isinstance(result, Extracted)
    assert result.author == "Harbour Herald"


@pytest.mark.parametrize(
    ("title", "site_name", "expected"),
    [
        ("Port deal signed | The Harbour Herald", "The Harbour Herald", "Port deal signed"),
        ("Port deal signed - Harbour Herald", "The Harbour Herald", "Port deal signed"),
        ("The Harbour Herald: Port deal signed", "The Harbour Herald", "Port deal signed"),
        ("港湾协议签署：港湾日报", "港湾日报", "港湾协议签署"),
        ("Port deal signed - National | Harbourherald.example", None, "Port deal signed - National"),
        ("Port deal signed - Business", "The Harbour Herald", "Port deal signed - Business"),
        ("Harbour Herald", "Harbour Herald", "Harbour Herald"),
    ],
)
def test_site_name_is_cut_from_a_title(title: str, site_name: str | None, expected: str) -> None:
    assert without_site_name(title, site_name, URL) == expected


def test_og_title_without_site_name_wins_over_the_title_element() -> None:
    head = (
        '<meta property="og:site_name" content="The Harbour Herald">'
        '<meta property="og:title" content="Port deal signed &amp; sealed | The Harbour Herald">'
    )
    page = _page(head, title="port-deal-signed - Harbour Herald - News - Business")
    result = extract_article(page, URL)
    assert isinstance(result, Extracted)
    assert result.title == "Port deal signed & sealed"
    assert result.site_name == "The Harbour Herald"


def test_the_stated_title_that_is_also_the_visible_headline_wins() -> None:
    head = _ld({"@type": "NewsArticle", "headline": "Port deal: what it means for fishermen (SEO)"})
    head += '<meta property="og:title" content="Port deal signed after two years">'
    stated = read_metadata(_tree(_page(head, "<h1>Port deal signed after two years</h1>")), URL)
    assert stated.title == "Port deal signed after two years"
    # With no heading to agree with, JSON-LD's headline comes first.
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.title == "Port deal: what it means for fishermen (SEO)"


def test_a_page_with_only_a_title_element_states_no_title_of_its_own() -> None:
    stated = read_metadata(_tree(_page(title="Port deal signed--Business--Harbour Herald")), URL)
    assert stated.title is None


def test_local_time_without_offset_takes_the_offset_the_page_states_elsewhere() -> None:
    head = _ld({"@type": "NewsArticle", "datePublished": "2024-06-21T09:12:00"})
    head += '<meta property="article:modified_time" content="2024-06-21T10:00:00+08:00">'
    head += '<meta property="article:published_time" content="2024-06-21T09:12:00+08:00">'
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.published == datetime(2024, 6, 21, 1, 12, tzinfo=UTC)


def test_local_time_is_read_as_utc_when_the_page_states_no_offset_anywhere() -> None:
    head = _ld({"@type": "NewsArticle", "datePublished": "2026-04-20T14:09:42.493"})
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.published == datetime(2026, 4, 20, 14, 9, 42, 493000, tzinfo=UTC)


def test_a_time_element_outside_the_article_gives_a_day_only_date_its_time() -> None:
    body = '<p class="date"><time datetime="2024-07-02T18:30:00+03:00">2 July 2024</time></p>'
    page = f"<html><head><title>Fares up</title></head><body>{body}<div>{BODY}</div></body></html>"
    result = extract_article(page, "https://www.coast.example/index.php?id=7")
    assert isinstance(result, Extracted)
    assert result.published_at == datetime(2024, 7, 2, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09-16T21:33+0100", datetime(2024, 9, 16, 21, 33, tzinfo=timezone(timedelta(hours=1)))),
        ("2023-06-26T12:00:29.055Z", datetime(2023, 6, 26, 12, 0, 29, 55000, tzinfo=UTC)),
        ("1762513252000", datetime(2025, 11, 7, 11, 0, 52, tzinfo=UTC)),
        ("2021-02-21", datetime(2021, 2, 21)),
        ("0001-01-01T00:00:00Z", None),
        ("1970-01-01T00:00:00Z", None),
        ("9999-12-31T23:59:59Z", None),
        ("2024-05-14T09:30:00+23:00", None),
        ("yesterday", None),
        ("2024-13-45", None),
        ("9" * 5000, None),
        ("", None),
    ],
)
def test_parse_date_takes_iso_and_unix_times_and_refuses_absurd_ones(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_a_date_in_the_far_past_is_not_taken_from_the_page() -> None:
    head = _ld({"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z"})
    head += '<meta property="article:published_time" content="2024-05-14T09:30:00Z">'
    assert read_metadata(_tree(_page(head)), URL).published == datetime(2024, 5, 14, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Mathatisi Sebusi/Mohalenyane Phakela", ["Mathatisi Sebusi", "Mohalenyane Phakela"]),
        ("Escrito por Gabriela Ferrero", ["Gabriela Ferrero"]),
        ("记者 李明远", ["李明远"]),
        ("Baraka Mwakyusa More by this Author", ["Baraka Mwakyusa"]),
        ("Analysis by Jane Doe", ["Jane Doe"]),
        ("Jane Doe, Editor-at-large", ["Jane Doe"]),
        ("Tom Okafor News reporter", ["Tom Okafor"]),
        ("Marie Dupont, journaliste", ["Marie Dupont"]),
        ("Jane Doe Monday, November 18, 2024", ["Jane Doe"]),
        ("HARBOUR HERALD STAFF NOVEMBER", ["HARBOUR HERALD STAFF"]),  # a date whose digits were dropped
        ("Theresa May and April Smith", ["Theresa May", "April Smith"]),
        ("Jane Doe, Sunday Times", ["Jane Doe", "Sunday Times"]),
        ("Jane Doe Monday November 18", ["Jane Doe"]),
        ("Herald staff reporter", ["Herald staff reporter"]),  # no name without the job title
        ("https://www.facebook.com/asahicom/", []),
        ("105092", []),
        ("desk@harbourherald.example", []),
        ("", []),
    ],
)
def test_split_authors_gives_names_only(value: str, expected: list[str]) -> None:
    assert split_authors(value) == expected


def test_a_bold_byline_opening_the_text_names_the_authors() -> None:
    tree = _tree(_page(body="<p><strong>MTHOBISI SITHOLE&nbsp;</strong></p><p><b>Breaking:</b> the port</p>"))
    emphasised = emphasised_lines(tree)
    assert body_byline("MTHOBISI SITHOLE\nThe port authority signed ...", emphasised) == ["MTHOBISI SITHOLE"]
    # Not at the start of the text, or not shaped like a name: no byline.
    assert body_byline("One.\nTwo.\nThree.\nMTHOBISI SITHOLE", emphasised) == []
    lede = frozenset({"Talks are over, the deal is signed."})
    assert body_byline("Talks are over, the deal is signed.\nMore text", lede) == []


def test_an_author_named_after_the_outlet_gives_way_to_the_bold_byline() -> None:
    head = '<meta property="og:site_name" content="Ilanga News">'
    head += _ld({"@type": "BlogPosting", "author": {"@id": "https://ilanga.example/author/admin/", "name": "Ilanga D"}})
    body = "<article><p><strong>Thandi Mkhize</strong></p>" + BODY + "</article>"
    page = f"<html><head><title>Izindaba</title>{head}</head><body>{body}</body></html>"
    result = extract_article(page, "https://ilanga.example/izindaba/")
    assert isinstance(result, Extracted)
    assert result.author == "Thandi Mkhize"


# --- hostile pages ---------------------------------------------------------------------------


def test_broken_json_ld_is_skipped_and_the_meta_tags_still_count() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Half</script>'
    head += '<meta property="og:title" content="Port deal signed">'
    head += '<meta property="article:published_time" content="2024-05-14T09:30:00Z">'
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.title == "Port deal signed"
    assert stated.published == datetime(2024, 5, 14, 9, 30, tzinfo=UTC)


def test_a_huge_json_ld_script_is_not_parsed() -> None:
    huge = {"@type": "NewsArticle", "headline": "Huge", "filler": "x" * MAX_SCRIPT_CHARS}
    head = _ld(huge) + '<meta property="og:title" content="Port deal signed">'
    assert read_metadata(_tree(_page(head)), URL).title == "Port deal signed"


def test_deeply_nested_or_strange_json_ld_does_not_raise() -> None:
    deep = "[" * 5000 + "]" * 5000
    strange = [None, 3, "text", {"@type": 7, "headline": ["Port deal signed"], "author": [[{"name": 5}]]}]
    head = f'<script type="application/ld+json">{deep}</script>' + _ld(strange)
    head += _ld({"@type": "NewsArticle", "author": {"@id": "#nobody"}, "datePublished": {"x": 1}})
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.authors == ()
    assert stated.published is None


def test_control_characters_and_raw_newlines_in_json_ld_are_cleaned() -> None:
    raw = '{"@type": "NewsArticle", "headline": "Port\tdeal\n signed\u0007", "author": "Amina\u0000 Otieno"}'
    stated = read_metadata(_tree(_page(f'<script type="application/ld+json">{raw}</script>')), URL)
    assert stated.title == "Port deal signed"
    assert stated.authors == ("Amina Otieno",)


def test_an_overlong_title_is_cut() -> None:
    head = '<meta property="og:title" content="' + "Port " * 400 + '">'
    stated = read_metadata(_tree(_page(head)), URL)
    assert stated.title is not None and len(stated.title) <= 300 and stated.title.endswith("…")


@pytest.mark.parametrize(
    "head, body",
    [
        (  # meta tags and JSON-LD name everything
            '<meta property="og:title" content="Port deal signed">'
            '<meta property="og:site_name" content="harbour herald">'
            '<meta name="description" content="The concession is signed.">'
            '<link rel="canonical" href="https://www.harbourherald.example/news/2024/05/port-deal">'
            + _ld({"@type": "NewsArticle", "datePublished": "2024-05-14T08:30:00Z", "author": {"name": "Amina Yusuf"}}),
            "",
        ),
        (  # nothing stated: the byline, the date and the site name come from the page itself
            "",
            '<p class="byline">By <span class="author">Joseph Kamau</span></p><time>14 May 2024</time>',
        ),
        ("<meta name='author' content='staff'>", ""),  # a one-word author is a handle, not a name
    ],
)
def test_our_reading_of_trafilatura_metadata_agrees_with_extract_metadata(head: str, body: str) -> None:
    """extract_article reads trafilatura's metadata without what it never uses, and its byline
    search only when needed; what it reads must be what trafilatura's extract_metadata reads."""
    from trafilatura.metadata import extract_metadata

    from newsalert.pipelines.extract import DATE_PARAMS, _trafilatura_byline, trafilatura_metadata

    tree = _tree(_page(head, body))
    expected = extract_metadata(tree, URL, DATE_PARAMS)
    ours = trafilatura_metadata(tree, URL)
    ours.author = ours.author or _trafilatura_byline(tree)
    for field in ("title", "author", "date", "sitename", "description", "url"):
        assert getattr(ours, field) == getattr(expected, field), field


def test_htmldate_searches_the_page_only_when_the_page_states_no_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's stated publication time is the one used; htmldate's search of the page for
    another (4-5% of extraction's time, measured) runs only for a page that states none."""
    import newsalert.pipelines.extract as extract

    searched: list[object] = []

    def find_date(tree: object, **params: object) -> str | None:
        searched.append(tree)
        return "2024-05-12T00:00:00"

    monkeypatch.setattr(extract, "find_date", find_date)
    stated = extract_article(_page(_ld({"@type": "NewsArticle", "datePublished": "2024-05-14T08:30:00Z"})), URL)
    assert isinstance(stated, Extracted) and not searched
    assert stated.published_at == datetime(2024, 5, 14, 8, 30, tzinfo=UTC)
    unstated = extract_article(_page(), URL)
    assert isinstance(unstated, Extracted) and len(searched) == 1
    assert unstated.published_at == datetime(2024, 5, 12, tzinfo=UTC)


def test_markup_that_breaks_trafilaturas_metadata_loses_the_metadata_not_the_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import newsalert.pipelines.extract as extract

    def broken(*_args: object) -> None:
        raise ValueError("a reader met markup it cannot read")

    monkeypatch.setattr(extract, "examine_meta", broken)
    monkeypatch.setattr(extract, "extract_author", broken)
    page = _page(_ld({"@type": "NewsArticle", "headline": "Port deal signed"}), '<p class="byline">By Joseph Kamau</p>')
    article = extract_article(page, URL)
    assert isinstance(article, Extracted), article
    assert article.title == "Port deal signed" and "concession" in article.text
