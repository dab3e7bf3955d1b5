"""Which stated title `choose_title` (pipelines/metadata.py) takes when the page's headline agrees."""

from __future__ import annotations

from newsalert.pipelines.metadata import choose_title


def test_a_headline_that_differs_only_in_spacing_and_quotes_still_agrees() -> None:
    candidates = ["Summit ends: ‘a new start’ for the port", "Summit ends, leaders say"]
    headings = ("Summit ends:'a new start' for the port",)
    assert choose_title(candidates, headings, None) == "Summit ends: ‘a new start’ for the port"


def test_an_exact_agreement_comes_before_a_loose_one() -> None:
    candidates = ["Summit ends - a new start", "Summit ends: a new start"]
    assert choose_title(candidates, ("Summit ends: a new start",), None) == "Summit ends: a new start"


def test_a_heading_of_punctuation_agrees_with_nothing() -> None:
    assert choose_title(["Summit ends", "Leaders meet"], ("***",), None) == "Summit ends"


def test_the_visible_headline_keeps_its_typography_when_its_words_agree() -> None:
    candidates = ["'We are ready,' minister says of port deal"]
    headings = ("‘We are ready,’ minister says of port deal",)
    assert choose_title(candidates, headings, None) == "‘We are ready,’ minister says of port deal"


def test_a_section_label_beside_the_visible_headline_is_not_part_of_the_title() -> None:
    headline = "Port deal signed after two years of talks"
    for stated in (f"Opinion | {headline}", f"{headline} | Editorial"):
        assert choose_title([stated], (headline,), "The Harbour Herald") == headline


def test_a_heading_that_is_the_short_part_of_a_stated_title_is_not_the_title() -> None:
    # The <h1> is the masthead ("Herald"); the stated title is the headline and that name.
    stated = "Port deal signed after two years of talks | Herald"
    assert choose_title([stated, stated], ("Herald",), None) == stated


def test_a_title_element_that_names_the_site_states_the_headline() -> None:
    # The only <h1> is the masthead, spelt another way than the site name in <title>.
    candidates = ["Port deal signed after two years of talks - Harbourherald"]
    title = choose_title(candidates, ("The Harbour Herald",), None, "https://harbourherald.example/news/1")
    assert title == "Port deal signed after two years of talks"
    assert choose_title(["Port deal signed after two years of talks"], ("The Harbour Herald",), None) is None
