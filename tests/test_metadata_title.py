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
