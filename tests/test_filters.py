"""Filter values that can match nothing are refused with what was probably meant (service/filters.py)."""

from __future__ import annotations

import pytest

from newsalert.service.filters import FilterError, check_countries, check_outlets, check_tags

KNOWN_TAGS = {("country", "KE"), ("theme", "energy"), ("theme", "trade"), ("initiative", "BRI")}
ALIASES = {"renewable energy": "energy", "belt and road": "BRI", "trade": "trade"}


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["Kenya"], "did you mean KE (Kenya)?"),
        (["XX"], "'XX' is not a two-letter country code"),
        (["Keyna"], "did you mean 'Kenya'?"),
    ],
)
def test_countries_are_two_letter_codes(codes: list[str], message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        check_countries(codes)


def test_known_countries_pass_in_any_case() -> None:
    check_countries(["KE", "ng", "Br"])


def test_outlets_are_named_in_full() -> None:
    check_outlets(["lagos ledger"], ["Lagos Ledger", "Sahel Hebdo"])
    with pytest.raises(FilterError, match=r"no outlet named 'lagos' \(did you mean 'Lagos Ledger'\?\)"):
        check_outlets(["lagos"], ["Lagos Ledger", "Sahel Hebdo"])


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("renewable", r"no tag 'renewable' .* \(did you mean 'energy'\?\)"),
        ("belt", r"did you mean 'BRI'\?"),
        ("theme:energi", r"did you mean 'theme:energy'\?"),
        ("sort:trade", r"names no kind of tag"),
    ],
)
def test_unknown_tags_say_what_was_meant(tag: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        check_tags("--tag", [tag], KNOWN_TAGS, ALIASES)


def test_known_tags_pass_with_or_without_their_kind() -> None:
    check_tags("--tag", ["bri", "theme:Energy", "country:ke", "trade"], KNOWN_TAGS, ALIASES)
