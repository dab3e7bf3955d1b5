"""The partnership rule: cooperation between Southern partners, however it is phrased.

Most South-South stories never name the topic: "Brazilian agronomists train Mozambican
farmers". This rule finds the partners an article names (countries, regions, Southern
bodies), the cooperation words between them, and the Northern donors that would make it a
North-South story instead. relevance.py adds what it finds to the article's score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from newsalert.config.models import Partnership
from newsalert.domain import Contribution, Tokenized, fold
from newsalert.pipelines.actors import Actors
from newsalert.pipelines.matching import ANY_LANGUAGE, Match, PhraseMatcher
from newsalert.pipelines.tagging import MIN_SALIENCE, Gazetteer, Salience

SALIENT = MIN_SALIENCE["country"]  # named in the title or the lead, or twice
# How many words may stand between a country and a provider word ("experts from Brazil",
# "ingénieurs marocains", "Japan-backed"); Chinese counts characters.
PROVIDER_WINDOW, PROVIDER_WINDOW_CJK = 3, 4
Found = dict[str, list[Match[tuple[str, str]]]]  # "kind:where" -> matches of the partnership's words


@dataclass(frozen=True)
class Context:
    """What an article says, found once and shared by the rules."""

    title: Tokenized
    body: Tokenized
    places: Salience  # ("country", code) / ("region", key) -> salience
    organizations: Salience  # ("org", key) -> salience


class PartnershipRule:
    """Cooperation between Southern partners, however it is phrased.

    Partners are the Southern countries the article names (the `southern` country groups),
    the Southern organizations (a national agency stands for its country), and the regions
    of `regions`. A country and its own region are one partner, as are a regional body and
    its region's countries. The rule holds when the article names `min_partners` partners,
    at least one of them saliently (in the title or lead, or more than once), or one more
    partner than that when none is salient (a list: "trainees from Ghana, Laos and Peru"),
    and at least `min_terms` distinct cooperation terms (of the `weak_terms`, words common
    in all news such as "cooperation" or "agreement", one counts, a second only with a
    third). Words for credit lines and grants are cooperation terms when a Southern lender
    gives them: a Southern fund, bank or agency is named, or no Northern or multilateral one
    is; the plain words for a loan only when a Southern lender is named. With another Southern
    partner named, three signs count as a term themselves: a Southern lender, a Southern
    regional bloc that is salient (its trade agreements), and a Southern country next to an
    envoy ("Vietnamese agronomists", "médicos cubanos").

    A Northern donor (a country of the `northern` groups, or a Northern body) that leads the
    story makes it North-South aid, and the rule does not hold, unless the story is
    triangular: it says so (`triangular_terms`), or a Southern provider is named beside the
    Northern funder: a Southern country's development cooperation agency or fund. (A Southern
    country next to "experts" or "engineers" is no proof: recipients are described so too;
    nor is a national bank, which may be the recipient's own.)
    A Northern actor leads when it is salient and a party to the story's main relation (as
    prominent as the second Southern partner), or a Northern body is named, or it stands next
    to a provider word ("Japan-backed"): both sides of South-South cooperation are Southern.
    """

    def __init__(self, rule: Partnership, gazetteer: Gazetteer, actors: Actors) -> None:
        self.rule = rule
        self.gazetteer = gazetteer
        self.actors = actors
        unknown = set(rule.regions) - set(gazetteer.region_labels)
        if unknown:
            raise ValueError(
                f"partnership.regions: unknown region(s) {sorted(unknown)}; known: {sorted(gazetteer.region_labels)}"
            )
        self.southern = actors.members(rule.southern)
        self.northern = actors.members(rule.northern) - self.southern
        entries: list[tuple[str, tuple[str, str], str | None]] = []
        for kind, table in (
            ("term", rule.terms),
            ("finance", rule.finance_terms),
            ("finance", rule.loan_terms),
            ("triangular", rule.triangular_terms),
        ):
            for language, terms in table.items():
                entries += [(term, (kind, term), None if language == ANY_LANGUAGE else language) for term in terms]
        self.terms = PhraseMatcher(entries, uncovered="any")
        self.weak = {fold(term) for terms in rule.weak_terms.values() for term in terms}
        self.loans = {term for terms in rule.loan_terms.values() for term in terms}
        # A word can be a cooperation term and a provider word ("experts"): a matcher of its own.
        self.providers = PhraseMatcher(
            [
                (word, (kind, word), None if language == ANY_LANGUAGE else language)
                for kind, table in (("provider", rule.provider_terms), ("envoy", rule.envoy_terms))
                for language, words in table.items()
                for word in words
            ],
            uncovered="any",
        )

    def evaluate(self, context: Context) -> tuple[Contribution, list[str]]:
        """The rule's contribution, and the Northern donors when the story is North-South."""
        partners = self._partners(context)
        found: Found = defaultdict(list)
        for where, tokenized in (("title", context.title), ("body", context.body)):
            for match in [*self.terms.find(tokenized), *self.providers.find(tokenized)]:
                found[f"{match.key[0]}:{where}"].append(match)
        terms = {m.key[1] for where in ("title", "body") for m in found[f"term:{where}"]}
        finance = {m.key[1] for where in ("title", "body") for m in found[f"finance:{where}"]}
        triangular = {m.key[1] for where in ("title", "body") for m in found[f"triangular:{where}"]}
        names = [self._name(p) for p in sorted(partners, key=lambda p: (-partners[p], p))]
        donors = self._northern_donors(context, partners, found)
        providers = self._southern_providers(context) if donors else set()
        north_south = donors if donors and not triangular and not providers else []
        salient = [p for p, value in partners.items() if value >= SALIENT]
        if len(partners) < self.rule.min_partners + (0 if salient else 1):
            return self._no(
                "too few Southern partners: " + (", ".join(names) or "none"), names, terms | finance | triangular
            ), north_south
        if north_south:
            return self._no(
                f"North-South: the Northern donor ({', '.join(donors[:3])}) leads the story, and no "
                "Southern provider is named (it is not triangular)",
                names,
                terms,
            ), north_south

        lenders = {
            key: self.actors.organizations[key]
            for (_k, key) in context.organizations
            if self.actors.organizations[key].is_lender
        }
        sides = {lender.side for lender in lenders.values()}
        if finance and ("south" in sides or not sides & {"north", "multilateral"}):
            terms |= finance if "south" in sides else finance - self.loans
        # A Southern development agency, fund or bank is itself a sign of cooperation.
        terms |= {key for key, lender in lenders.items() if lender.side == "south"}
        # And a Southern bloc (Mercosur, SACU, the AfCFTA) with another Southern partner: its
        # agreements are cooperation between its members and with others.
        if len(partners) >= 2:
            terms |= {
                key
                for (_k, key), value in context.organizations.items()
                if (organization := self.actors.organizations[key]).side == "south"
                and organization.kind == "bloc"
                and organization.regions
                and value >= SALIENT
            }
        # So is a Southern country's people at work with another Southern partner ("Vietnamese
        # agronomists", "médicos cubanos", or the recipient's "técnicos moçambicanos" they
        # train): one term, however many countries.
        countries = {p for p in partners if ":" not in p}
        if len(partners) >= 2 and (near := self._next_to_providers(context, countries, found, ("envoy",))):
            terms.add(f"{'/'.join(sorted(near))} experts")
        weak = {term for term in terms if fold(term) in self.weak}
        counted = len(terms - weak) + min(len(weak), 1) + (1 if len(weak) >= 3 else 0)
        if counted < self.rule.min_terms:
            listed = ", ".join(sorted(terms - weak) + [f"{t} (common)" for t in sorted(weak)]) or "none"
            return self._no(
                f"cooperation terms ({listed}) count {counted}; {self.rule.min_terms} needed "
                "(of the common ones, one counts, a second only with a third)",
                names,
                terms,
            ), []
        extra = min(len(terms), self.rule.max_terms) - self.rule.min_terms
        weight = self.rule.weight + extra * self.rule.term_weight
        shown = sorted(terms)
        label = f"cooperation between {', '.join(names[:4])} ({', '.join(shown[:4])})"
        note: str | None = None
        if donors:
            note = (
                f"triangular: {', '.join(donors[:2])} with the Southern provider(s) "
                f"{', '.join(sorted(providers)) or ', '.join(sorted(triangular))}"
            )
        return Contribution("partnership", label, weight, tuple(shown), tuple(names), note), []

    def _northern_donors(self, context: Context, partners: dict[str, float], found: Found) -> list[str]:
        """The Northern actors leading the story: salient, and a party to its main relation (as
        prominent as the second Southern partner), or a Northern body (an agency, a bloc, a
        summit), or a Northern country next to a provider word ("Japan-backed")."""
        northern = self._northern(context)
        leading = {actor: value for actor, value in northern.items() if value >= SALIENT}
        if not leading:
            return []
        ranked = sorted(partners.values(), reverse=True)
        second_south = ranked[1] if len(ranked) > 1 else 0.0
        giving = {actor for actor in leading if actor.startswith("org:")}
        giving |= {actor for actor, value in leading.items() if value >= second_south}
        northern_countries = {a for a in leading if not a.startswith("org:")}
        giving |= self._next_to_providers(context, northern_countries, found, ("provider", "envoy"))
        return [self._name(a) for a in sorted(giving, key=lambda a: (-northern[a], a))]

    def _southern_providers(self, context: Context) -> set[str]:
        """The Southern development cooperation agencies and funds named: a Southern country
        shown giving beside a Northern funder."""
        return {
            key
            for (_k, key) in context.organizations
            if (organization := self.actors.organizations[key]).side == "south" and organization.is_cooperation_agency
        }

    def _next_to_providers(
        self, context: Context, countries: set[str], found: Found, kinds: tuple[str, ...]
    ) -> set[str]:
        """Which of `countries` are named within a few words of a word of `kinds` (provider
        words, envoys)."""
        if not countries:
            return set()
        near: set[str] = set()
        for where, tokenized in (("title", context.title), ("body", context.body)):
            words = [word for kind in kinds for word in found[f"{kind}:{where}"]]
            if not words:
                continue
            window = PROVIDER_WINDOW_CJK if tokenized.language == "zh" else PROVIDER_WINDOW
            for place in self.gazetteer.matcher.find(tokenized):
                kind, code = place.key
                if kind != "country" or code not in countries:
                    continue
                for word in words:
                    after = word.position - (place.position + place.length)
                    before = place.position - (word.position + word.length)
                    if 0 <= after <= window or 0 <= before <= window:
                        near.add(code)
                        break
        return near

    def _partners(self, context: Context) -> dict[str, float]:
        """Partner -> salience: Southern countries, Southern bodies and regions, one per place."""
        countries: dict[str, float] = defaultdict(float)
        for (kind, code), value in context.places.items():
            if kind == "country" and code in self.southern:
                countries[code] += value
        bodies: dict[str, float] = {}
        for (_kind, key), value in context.organizations.items():
            organization = self.actors.organizations[key]
            if organization.side != "south":
                continue
            if organization.country:
                countries[organization.country] += value
            else:
                bodies[key] = value
        partners: dict[str, float] = dict(countries)
        covered = {region for code in countries for region in self.gazetteer.country_regions.get(code, ())}
        for key, value in bodies.items():
            organization = self.actors.organizations[key]
            regions = set(organization.regions)
            if regions & covered and not organization.is_lender:
                continue  # a regional bloc and a country of its region: one partner; a lender gives
            partners[f"org:{key}"] = value
            covered |= regions
        for (kind, code), value in context.places.items():
            if kind == "region" and code in self.rule.regions and code not in covered:
                partners[f"region:{code}"] = value
        return partners

    def _northern(self, context: Context) -> dict[str, float]:
        donors: dict[str, float] = defaultdict(float)
        for (kind, code), value in context.places.items():
            if kind == "country" and code in self.northern:
                donors[code] += value
        for (_kind, key), value in context.organizations.items():
            organization = self.actors.organizations[key]
            if organization.side == "north":
                donors[organization.country or f"org:{key}"] += value
        return donors

    def _name(self, partner: str) -> str:
        kind, _, key = partner.partition(":")
        if not key:
            return partner  # an ISO code
        if kind == "org":
            return self.actors.organizations[key].key
        return self.gazetteer.region_labels.get(key, key)

    @staticmethod
    def _no(why: str, partners: list[str], terms: set[str] | None = None) -> Contribution:
        return Contribution(
            "partnership",
            "cooperation between Southern partners",
            0.0,
            tuple(sorted(terms or ())),
            tuple(partners),
            f"does not hold: {why}",
        )
