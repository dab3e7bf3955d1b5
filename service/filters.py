"""Checking the values of search filters (and of subscriber tags) before they are used: a value
that can match nothing is a mistake to name, with what was probably meant, not an empty result."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from importlib import resources

import pycountry

from newsalert.config import yamlio

TAG_KINDS = ("country", "region", "theme", "initiative", "topic")


def gazetteer_regions() -> list[str]:
    """The keys of the built-in gazetteer's regions (africa, asia, ...)."""
    text = (resources.files("newsalert.pipelines") / "gazetteer.yaml").read_text(encoding="utf-8")
    return list(yamlio.safe_load(text)["regions"])


class FilterError(ValueError):
    """A filter value that matches nothing the archive knows; the message says what might."""


def suggestion(value: str, candidates: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest candidate, by spelling or by containing `value`."""
    by_fold = {candidate.casefold(): candidate for candidate in candidates}
    folded = value.casefold()
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    containing = sorted(key for key in by_fold if folded and folded in key)
    match = close[0] if close else containing[0] if containing else None
    return f" (did you mean {by_fold[match]!r}?)" if match else ""


def check_outlets(names: Collection[str], known: Collection[str]) -> None:
    folded = {name.casefold() for name in known}
    for name in names:
        if name.casefold() not in folded:
            raise FilterError(f"--outlet: no outlet named {name!r}{suggestion(name, known)}")


def check_countries(codes: Collection[str]) -> None:
    """Two-letter ISO codes; a country's name is answered with its code."""
    for code in codes:
        if len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None:
            continue
        try:
            country = pycountry.countries.lookup(code)
        except LookupError:
            hint = suggestion(code, [c.name for c in pycountry.countries])
            raise FilterError(f"--country: {code!r} is not a two-letter country code{hint}") from None
        raise FilterError(f"--country takes a two-letter code: did you mean {country.alpha_2} ({country.name})?")


def check_tags(
    option: str, tags: Collection[str], known: Collection[tuple[str, str]], aliases: Mapping[str, str] | None = None
) -> None:
    """Tags as "code" (of any kind) or "kind:code", among `known` (kind, code) pairs; `aliases`
    (a word of the taxonomy -> its tag's code) help say what an unknown one probably meant."""
    codes = {code.casefold() for _, code in known}
    pairs = {(kind.casefold(), code.casefold()) for kind, code in known}
    for tag in tags:
        kind, _, code = tag.rpartition(":")
        if kind and kind.casefold() not in TAG_KINDS:
            raise FilterError(f"{option}: {tag!r} names no kind of tag (kinds: {', '.join(TAG_KINDS)})")
        found = (kind.casefold(), code.casefold()) in pairs if kind else code.casefold() in codes
        if found:
            continue
        meant = _by_alias(code, aliases or {})
        spelled = [f"{k}:{c}" if kind else c for k, c in known]
        hint = f" (did you mean {meant!r}?)" if meant else suggestion(tag, spelled)
        raise FilterError(f"{option}: no tag {tag!r} in the archive or the taxonomy{hint}")


def _by_alias(word: str, aliases: Mapping[str, str]) -> str | None:
    """The tag whose taxonomy words include `word`, or a word containing it ("renewable")."""
    folded = word.casefold()
    if folded in aliases:
        return aliases[folded]
    return next((aliases[alias] for alias in sorted(aliases) if folded in alias.split()), None)
