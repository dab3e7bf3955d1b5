"""Who cooperates with whom: country groups (South, North) and organizations, from
pipelines/organizations.yaml.

The relevance rules ask of an article: which Southern partners does it name, which
Northern donors, which development lenders? Countries come from the gazetteer (tagging.py);
this module adds the groups they belong to (the Group of 77, the OECD's Development
Assistance Committee) and the organizations named in the text: agencies, funds, banks,
blocs, summits and forums, each on a side (south, north, multilateral, other).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from newsalert.config import yamlio
from newsalert.domain import Tokenized
from newsalert.pipelines.compiled import compiled
from newsalert.pipelines.matching import ANY_LANGUAGE, PhraseMatcher
from newsalert.pipelines.tagging import BODY_WEIGHT, LEAD_WEIGHT, LEAD_WORDS, TITLE_WEIGHT, Salience

SIDES = ("south", "north", "multilateral", "other")
FINANCE_KINDS = frozenset({"agency", "fund", "bank"})  # bodies that give: development agencies and lenders
# organizations.yaml's regions, as the gazetteer's regions they stand for.
GAZETTEER_REGIONS = {
    "africa": ("africa",),
    "arab-states": ("middle-east", "africa"),
    "asia-pacific": ("asia", "oceania"),
    "asia": ("asia",),
    "latin-america-caribbean": ("latin-america-caribbean",),
    "europe": ("europe",),
    "north-america": ("north-america",),
}


@dataclass(frozen=True)
class Organization:
    key: str
    label: str
    kind: str  # agency, fund, bank, bloc, summit, forum, programme, un-body
    side: str  # south, north, multilateral, other
    region: str | None  # organizations.yaml region
    country: str | None  # ISO code of a national body
    domestic: bool = False  # a national body whose mandate is at home

    @property
    def regions(self) -> tuple[str, ...]:
        """The gazetteer regions of a regional body; none for inter-regional and global ones."""
        return GAZETTEER_REGIONS.get(self.region or "", ())

    @property
    def is_lender(self) -> bool:
        """A body that gives development finance or cooperation abroad."""
        return self.kind in FINANCE_KINDS and not self.domestic

    @property
    def is_cooperation_agency(self) -> bool:
        """A national agency or fund for development cooperation (ABC, AMEXCID, TICA, the Saudi
        Fund): a country's provider of cooperation, as banks are not always."""
        return self.kind in ("agency", "fund") and self.country is not None and not self.domestic


@dataclass(frozen=True)
class Actors:
    groups: dict[str, frozenset[str]]  # group key -> ISO codes (members and associated)
    organizations: dict[str, Organization]
    matcher: PhraseMatcher  # keys: organization keys

    def members(self, group_keys: list[str]) -> frozenset[str]:
        unknown = [key for key in group_keys if key not in self.groups]
        if unknown:
            raise ValueError(f"unknown country group(s) {unknown}; known: {sorted(self.groups)}")
        return frozenset().union(*(self.groups[key] for key in group_keys))

    def salience(self, title: Tokenized, body: Tokenized) -> Salience:
        """How prominently each organization is named (title 3, lead 2, elsewhere 1 a mention)."""
        found: Salience = {}
        for match in self.matcher.find(title):
            found[("org", match.key)] = found.get(("org", match.key), 0.0) + TITLE_WEIGHT
        for match in self.matcher.find(body):
            weight = LEAD_WEIGHT if body.within(match.position, LEAD_WORDS) else BODY_WEIGHT
            found[("org", match.key)] = found.get(("org", match.key), 0.0) + weight
        return found


@cache
def load_actors() -> Actors:
    return compiled("actors", _build_actors)


def _build_actors() -> Actors:
    text = (resources.files("newsalert.pipelines") / "organizations.yaml").read_text(encoding="utf-8")
    data = yamlio.safe_load(text)
    groups = {
        key: frozenset(group.get("members", [])) | frozenset(group.get("associated", []))
        for key, group in data["country_groups"].items()
    }
    organizations: dict[str, Organization] = {}
    entries: list[tuple[str, str, str | None]] = []
    for entry in data["organizations"]:
        organization = Organization(
            entry["key"],
            entry["label"],
            entry["kind"],
            entry["side"],
            entry.get("region"),
            entry.get("country"),
            entry.get("scope") == "domestic",
        )
        if organization.side not in SIDES:
            raise ValueError(f"organizations.yaml: {organization.key}: side {organization.side!r} not in {SIDES}")
        organizations[organization.key] = organization
        for language, aliases in (entry.get("aliases") or {}).items():
            entries += [
                (alias, organization.key, None if language == ANY_LANGUAGE else language) for alias in aliases or ()
            ]
    return Actors(groups, organizations, PhraseMatcher(entries, uncovered="any"))
