"""Who signs an article that names no author in its metadata (pipelines/metadata.py)."""

from __future__ import annotations

from trafilatura.utils import load_html

from newsalert.domain import Extracted, Hints
from newsalert.pipelines.extract import extract_article
from newsalert.pipelines.metadata import body_signoff, credited_editors, emphasised_lines, linked_byline

URL = "https://www.harbourherald.example/news/2024/05/port-deal"
PROSE = "<p>" + "The port authority signed the concession on Tuesday after two years of talks. " * 4 + "</p>"


def _extracted(body: str, head: str = "<title>Port deal signed</title>", hints: Hints | None = None) -> Extracted:
    page = f"<html><head>{head}</head><body><article>{body}</article></body></html>"
    result = extract_article(page, URL, min_text_chars=1, hints=hints)
    assert isinstance(result, Extracted), result
    return result


def test_an_italic_closing_line_signs_the_article() -> None:
    result = _extracted(PROSE * 3 + "<p><em>IN-Redaktion</em></p><p><b>Did you like this article? Donate.</b></p>")
    assert result.author == "IN-Redaktion"


def test_a_closing_sentence_in_italics_is_no_signature() -> None:
    tree = load_html("<html><body><p><em>Updated at 1:23 p.m.</em></p><p><i>Thanks for reading.</i></p></body></html>")
    emphasised = emphasised_lines(tree)
    assert body_signoff("Text of the story.\nUpdated at 1:23 p.m.\nThanks for reading.", emphasised) == []


def test_a_chinese_credit_line_names_the_editors() -> None:
    tree = load_html('<html><body><p>正文。</p><div class="edit">(责编：牛镛、岳弘彬)</div></body></html>')
    assert credited_editors(tree) == ["牛镛", "岳弘彬"]


def test_a_credit_line_counts_only_when_nothing_else_names_an_author() -> None:
    credit = '<div class="edit">(责编：牛镛、岳弘彬)</div>'
    assert _extracted(PROSE * 3 + credit).author == "牛镛; 岳弘彬"
    assert _extracted(PROSE * 3 + credit, '<meta name="author" content="Jane Doe">').author == "Jane Doe"


def test_a_long_paragraph_mentioning_an_editor_is_no_credit_line() -> None:
    tree = load_html("<html><body><p>" + "责编：" + "很长的一段正文" * 30 + "</p></body></html>")
    assert credited_editors(tree) == []


def test_a_byline_of_links_names_the_authors_when_nothing_else_does() -> None:
    byline = (
        '<p class="meta">By <a href="/staff/jane-doe/">Jane Doe</a>, <a href="/staff/john-roe/">John Roe</a>'
        "<span> on Monday, May 13th, 2024</span></p>"
    )
    assert _extracted(byline + PROSE * 3).author == "Jane Doe; John Roe"
    # Links after another word, or links that are no names, are no byline.
    assert linked_byline(load_html('<html><body><p>Shared by <a href="/u/1">Jane Doe</a></p></body></html>')) == []
    assert linked_byline(load_html('<html><body><p>By <a href="/t">the harbour desk 2024</a></p></body></html>')) == []
    # A stated author comes first.
    assert _extracted(byline + PROSE * 3, '<meta name="author" content="Amina Diallo">').author == "Amina Diallo"


def test_a_house_credit_taken_last_is_cleaned_as_any_byline() -> None:
    # Named after the outlet, the feed's author is taken only when nothing else names one.
    head = '<title>Port deal signed</title><meta property="og:site_name" content="Harbour Herald">'
    hints = Hints(author="By HARBOUR HERALD STAFF November 18, 2024")
    assert _extracted(PROSE * 3, head, hints).author == "HARBOUR HERALD STAFF"
