"""Tagging an article with the countries, regions, themes and initiatives it is about.

Countries come from pycountry (English names and the French, Spanish, Portuguese and
Chinese translations it ships) plus the alias table in gazetteer.yaml (demonyms, short
forms, capitals used for governments); regions from the gazetteer; themes and initiatives
from the taxonomy in topics.yaml.

A tag's salience weighs where it is mentioned: the title counts most, then the lead, then
the rest of the text. A country met once in passing is dropped, unless it is named in a
list of three or more ("trainees from Ghana, Zambia and Laos"), and the tags of a kind are
ranked by salience, so the countries a story is about come first.
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pycountry

from newsalert.config import yamlio
from newsalert.config.models import Taxonomy
from newsalert.domain import Tag, Tokenized, base_language
from newsalert.pipelines.compiled import compiled
from newsalert.pipelines.matching import ANY_LANGUAGE, Match, PhraseMatcher

TITLE_WEIGHT, LEAD_WEIGHT, BODY_WEIGHT = 3.0, 2.0, 1.0
LEAD_WORDS = 60  # about the first two sentences
# A tag is kept when its salience reaches MIN_SALIENCE[kind] and, for countries and themes,
# a share of the kind's best salience: a country named once at the end is context.
MIN_SALIENCE = {"country": 2.0, "region": 2.0, "theme": 2.0, "initiative": 1.0}
MIN_SHARE_OF_BEST = {"country": 0.15, "theme": 0.25}
PYCOUNTRY_LOCALES = ("fr", "es", "pt", "pt_BR", "zh_CN")
# A list of countries: at least MIN_LISTED, joined by punctuation or by up to MAX_LIST_GAP of
# these words ("Ghana, Zambia and Laos", "du Niger, du Tchad et de Haïti", 加纳、赞比亚和老挝).
# It names the story's participants when it comes early (the title, or the first two
# paragraphs: LISTS_WITHIN words); a list further down is background (a bloc's members).
MIN_LISTED, MAX_LIST_GAP = 3, 2
LISTS_WITHIN = 2 * LEAD_WORDS
LIST_JOINERS = frozenset(
    {
        "and",
        "or",
        "the",
        "et",
        "ou",
        "de",
        "du",
        "des",
        "d",
        "la",
        "le",
        "l",
        "les",
        "y",
        "e",
        "o",
        "u",
        "del",
        "do",
        "da",
        "dos",
        "das",
        "和",
        "与",
        "及",
        "以",
    }
)


@dataclass(frozen=True)
class Gazetteer:
    country_labels: dict[str, str]
    country_regions: dict[str, tuple[str, ...]]
    region_labels: dict[str, str]
    matcher: PhraseMatcher  # keys: ("country", code) or ("region", key)


@cache
def load_gazetteer() -> Gazetteer:
    return compiled("gazetteer", _build_gazetteer, libraries=["pycountry"])


def _build_gazetteer() -> Gazetteer:
    data = yamlio.safe_load((resources.files("newsalert.pipelines") / "gazetteer.yaml").read_text(encoding="utf-8"))
    region_labels: dict[str, str] = {}
    entries: list[tuple[str, tuple[str, str], str | None]] = []
    for key, value in data["regions"].items():
        region_labels[key] = value if isinstance(value, str) else value["label"]
        if isinstance(value, dict):
            entries += [
                (alias, ("region", key), _group(language))
                for language, aliases in value.get("aliases", {}).items()
                for alias in aliases
            ]
    country_labels: dict[str, str] = {}
    country_regions: dict[str, tuple[str, ...]] = {}
    ignored = {
        (name.casefold(), language) for language, names in data.get("ignored_names", {}).items() for name in names
    }
    for code, info in data["countries"].items():
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            raise ValueError(f"gazetteer.yaml: {code} is not an ISO 3166 country code pycountry knows")
        country_labels[code] = getattr(country, "common_name", None) or country.name
        country_regions[code] = tuple(info.get("regions", ()))
        names = {
            (alias, _group(language)) for language, aliases in info.get("aliases", {}).items() for alias in aliases
        }
        # A capital is the same proper name in every language's press.
        names |= {(capital, None) for capital in info.get("capitals", ())}
        translated = _pycountry_names(country)
        names |= {(name, language) for name, language in translated if (name.casefold(), language) not in ignored}
        entries += [(name, ("country", code), language) for name, language in names]
    for language, table in data.get("language_names", {}).items():
        entries += [
            (frame.format(adjective), ("language", adjective), language)
            for frame in table["frames"]
            for adjective in table["adjectives"]
        ]
    return Gazetteer(country_labels, country_regions, region_labels, PhraseMatcher(entries, uncovered="all"))


def _group(language: str) -> str | None:
    return None if language == ANY_LANGUAGE else language


def _pycountry_names(country: Any) -> Iterator[tuple[str, str]]:
    """pycountry's English names and their translations, each with its language."""
    english = [getattr(country, field, None) for field in ("name", "common_name", "official_name")]
    yield from ((name, "en") for name in english if name and "," not in name)
    for locale in PYCOUNTRY_LOCALES:
        translate = _translations(locale)
        for name in english:
            if name:
                translated = translate(name)
                if "," not in translated:
                    yield translated, base_language(locale) or locale


@cache
def _translations(locale: str) -> Any:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True).gettext


Salience = dict[tuple[str, str], float]


def place_salience(title: Tokenized, body: Tokenized) -> Salience:
    """Salience of every country and region the gazetteer finds, before any is dropped, and a
    ("listed", code) mark for each country named in a list of three or more."""
    matcher = load_gazetteer().matcher
    # A language's name ("língua portuguesa") is matched only so that no country is found in it.
    in_title, in_body = ([m for m in matcher.find(t) if m.key[0] != "language"] for t in (title, body))
    salience: Salience = defaultdict(float)
    for weight, match in _weighted(in_title, in_body, body):
        salience[match.key] += weight
    for code in _listed_countries(in_title, title) | _listed_countries(in_body, body):
        salience[("listed", code)] = 1.0
    return salience


def _listed_countries(matches: list[Match[tuple[str, str]]], tokenized: Tokenized) -> set[str]:
    """Countries named in an enumeration of three or more ("from Ghana, Zambia, Laos and
    Bolivia"): each is a subject of the story even when it is named once."""
    runs: list[list[Match[tuple[str, str]]]] = []
    for match in (m for m in matches if m.key[0] == "country"):
        if runs:
            previous = runs[-1][-1]
            between = tokenized.folded[previous.position + previous.length : match.position]
            if len(between) <= MAX_LIST_GAP and all(word in LIST_JOINERS for word in between):
                runs[-1].append(match)
                continue
        runs.append([match])
    early = [run for run in runs if tokenized.within(run[0].position, LISTS_WITHIN)]
    return {m.key[1] for run in early if len({m.key for m in run}) >= MIN_LISTED for m in run}


class Tagger:
    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.gazetteer = load_gazetteer()
        self.labels: dict[tuple[str, str], str] = {}
        entries: list[tuple[str, tuple[str, str], str | None]] = []
        for kind, table in (
            ("theme", taxonomy.themes if taxonomy else {}),
            ("initiative", taxonomy.initiatives if taxonomy else {}),
        ):
            for code, entry in table.items():
                self.labels[(kind, code)] = entry.label
                entries += [
                    (alias, (kind, code), _group(language))
                    for language, aliases in entry.aliases.items()
                    for alias in aliases
                ]
        self.taxonomy = PhraseMatcher(entries, uncovered="any")

    def tag(self, title: str | Tokenized, text: str | Tokenized, places: Salience | None = None) -> list[Tag]:
        """The article's tags, strongest first within each kind; `places` saves finding them again."""
        title = Tokenized.of(title) if isinstance(title, str) else title
        text = Tokenized.of(text) if isinstance(text, str) else text
        salience = {
            **(places if places is not None else place_salience(title, text)),
            **_salience(self.taxonomy, title, text),
        }
        kept: Salience = {}
        for kind in ("country", "theme", "initiative"):
            kept.update(_strongest(kind, salience))
        # A story about Kenya and Nigeria is about Africa even when it never says so.
        regions: Salience = defaultdict(float)
        for (kind, code), value in salience.items():
            if kind == "region":
                regions[(kind, code)] += value
        for (kind, code), value in kept.items():
            if kind == "country":
                for region in self.gazetteer.country_regions.get(code, ()):
                    regions[("region", region)] += value
        kept.update(_strongest("region", regions))
        tags = [Tag(kind, code, self._label(kind, code), round(value, 2)) for (kind, code), value in kept.items()]
        return sorted(tags, key=lambda t: (t.kind, -t.salience, t.code))

    def _label(self, kind: str, code: str) -> str:
        if kind == "country":
            return self.gazetteer.country_labels[code]
        if kind == "region":
            return self.gazetteer.region_labels[code]
        return self.labels[(kind, code)]


def _salience(matcher: PhraseMatcher, title: Tokenized, body: Tokenized) -> Salience:
    salience: Salience = defaultdict(float)
    for weight, match in _weighted(matcher.find(title), matcher.find(body), body):
        salience[match.key] += weight
    return salience


def _weighted(title: list[Match], body: list[Match], text: Tokenized) -> Iterator[tuple[float, Match]]:
    yield from ((TITLE_WEIGHT, match) for match in title)
    yield from ((LEAD_WEIGHT if text.within(match.position, LEAD_WORDS) else BODY_WEIGHT, match) for match in body)


def _strongest(kind: str, salience: Salience) -> Salience:
    """The tags of a kind that are prominent enough; countries named in a list always are."""
    of_kind = {key: value for key, value in salience.items() if key[0] == kind}
    if not of_kind:
        return {}
    floor = max(MIN_SALIENCE[kind], MIN_SHARE_OF_BEST.get(kind, 0.0) * max(of_kind.values()))
    return {key: value for key, value in of_kind.items() if value >= floor or ("listed", key[1]) in salience}
