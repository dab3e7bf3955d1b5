"""Is an article about the topic? A score from topics.yaml, with every contribution to it.

score = for each phrase: weight × (title_weight if it is in the title, plus its body hits up
to max_hits_per_phrase), minus the same for exclusion phrases (context exclusions only when
prominent: in the title or lead, or more than once), plus the partnership rule.

- Phrases are matched in the article's own language; "any" phrases (acronyms, proper
  names) in every language (see matching.py).
- A `cross_border` phrase (a flagship initiative's name) counts only when the article also
  names another country, a foreign region or an international body, and more than in
  passing (in the title or the lead, or more than once): a domestic story that mentions the
  Belt and Road is not about cooperation.
- The partnership rule scores the many stories that never name the topic but report
  cooperation between Southern partners ("Brazilian agronomists train Mozambican farmers");
  see PartnershipRule. When it finds a North-South story (a Northern donor leads it), the
  lesser markers (phrases weighing less than the threshold: a bloc's name, "technology
  transfer") do not count either: both sides of South-South cooperation are Southern.

An article is kept when its score reaches the topic's threshold; with several topics, the
best one counts. `Relevance.contributions` says what each rule added, for `newsalert explain`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources

from newsalert.config.models import Partnership, PhraseSpec, TopicProfile, TopicsFile
from newsalert.domain import Contribution, Relevance, Tokenized, fold
from newsalert.pipelines.actors import Actors, load_actors
from newsalert.pipelines.extract import detect_language
from newsalert.pipelines.matching import ANY_LANGUAGE, Match, PhraseMatcher
from newsalert.pipelines.tagging import LEAD_WORDS, MIN_SALIENCE, Gazetteer, Salience, load_gazetteer, place_salience

# What the decision depends on besides topics.yaml: the built-in gazetteer and organizations.
BUILT_IN_DATA = ("gazetteer.yaml", "organizations.yaml")
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


class TopicScorer:
    def __init__(self, profile: TopicProfile, gazetteer: Gazetteer, actors: Actors) -> None:
        self.profile = profile
        self.gazetteer = gazetteer
        self.actors = actors
        self.weights: dict[tuple[str, str], float] = {}
        self.cross_border: set[tuple[str, str]] = set()
        entries: list[tuple[str, tuple[str, str], str | None]] = []
        for sign, table in (("+", profile.phrases), ("-", profile.exclusions), ("~", profile.context_exclusions)):
            for language, phrases in table.items():
                for phrase, spec in phrases.items():
                    key = (sign, phrase)
                    if isinstance(spec, PhraseSpec):
                        self.weights[key] = spec.weight
                        if spec.cross_border:
                            self.cross_border.add(key)
                    else:
                        self.weights[key] = spec
                    entries.append((phrase, key, None if language == ANY_LANGUAGE else language))
        self.matcher = PhraseMatcher(entries, uncovered="any")
        # The bodies a cross-border phrase names itself (the expo in "China-Africa Economic and
        # Trade Expo") are no evidence of a cross-border context.
        self.self_named: set[str] = set()
        for phrase, key, phrase_language in entries:
            if key in self.cross_border:
                named = Tokenized.of(phrase, phrase_language)
                self.self_named |= {m.key for m in actors.matcher.find(named) if m.length == len(named.original)}
        self.partnership = PartnershipRule(profile.partnership, gazetteer, actors) if profile.partnership else None

    def score(self, context: Context) -> list[Contribution]:
        partnership, north_south = self.partnership.evaluate(context) if self.partnership is not None else (None, [])
        in_title = {match.key for match in self.matcher.find(context.title)}
        body_matches = self.matcher.find(context.body)
        in_body = Counter(match.key for match in body_matches)
        first_seen: dict[tuple[str, str], int] = {}
        for match in body_matches:
            first_seen.setdefault(match.key, match.position)
        contributions: list[Contribution] = []
        cross_border: bool | None = None
        for key in sorted(in_title | set(in_body), key=lambda k: (k[0], k[1])):
            sign, phrase = key
            hits = (self.profile.title_weight if key in in_title else 0.0) + in_body[key]
            weight = self.weights[key] * min(hits, self.profile.max_hits_per_phrase)
            where = ("title and " if key in in_title and in_body[key] else "title" if key in in_title else "") + (
                f"{in_body[key]}× in the text" if in_body[key] else ""
            )
            passing = key not in in_title and in_body[key] == 1 and not context.body.within(first_seen[key], LEAD_WORDS)
            if sign == "-":
                contributions.append(Contribution("exclusion", phrase, -weight, (phrase,), note=where))
                continue
            if sign == "~":
                contributions.append(
                    Contribution(
                        "exclusion",
                        phrase,
                        0.0 if passing else -weight,
                        (phrase,),
                        note="does not count: a passing mention (once, after the lead)" if passing else where,
                    )
                )
                continue
            if key in self.cross_border:
                if cross_border is None:
                    cross_border = self._cross_border(context)
                if not cross_border:
                    contributions.append(
                        Contribution(
                            "cross-border phrase",
                            phrase,
                            0.0,
                            (phrase,),
                            note="does not count: the article names no other country, foreign region or "
                            "international body (a domestic story)",
                        )
                    )
                    continue
                if passing:
                    contributions.append(
                        Contribution(
                            "cross-border phrase",
                            phrase,
                            0.0,
                            (phrase,),
                            note="does not count: a passing mention (once, after the lead)",
                        )
                    )
                    continue
                contributions.append(Contribution("cross-border phrase", phrase, weight, (phrase,), note=where))
                continue
            if north_south and self.weights[key] < self.profile.threshold:
                contributions.append(
                    Contribution(
                        "phrase",
                        phrase,
                        0.0,
                        (phrase,),
                        note=f"does not count: a North-South story ({', '.join(north_south[:2])} leads it)",
                    )
                )
                continue
            contributions.append(Contribution("phrase", phrase, weight, (phrase,), note=where))
        if partnership is not None:
            contributions.append(partnership)
        return contributions

    def _cross_border(self, context: Context) -> bool:
        """Does the article name more than one country (a national body stands for its own), a
        country and a region beyond it, or an international body?"""
        countries = {code for (kind, code) in context.places if kind == "country"}
        international = False
        for _kind, key in context.organizations:
            organization = self.actors.organizations[key]
            if organization.country:  # a national body or initiative stands for its country
                countries.add(organization.country)
            elif key not in self.self_named and organization.kind != "programme":
                international = True
        if international or len(countries) >= 2:
            return True
        home_regions = {region for code in countries for region in self.gazetteer.country_regions.get(code, ())}
        return any(kind == "region" and code not in home_regions for (kind, code) in context.places)


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
    third). Words for loans, credit lines and
    grants are cooperation terms when a Southern lender gives them: a Southern fund, bank or
    agency is named, or no Northern or multilateral one is; a Southern lender named counts
    as a term itself.

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
            ("triangular", rule.triangular_terms),
        ):
            for language, terms in table.items():
                entries += [(term, (kind, term), None if language == ANY_LANGUAGE else language) for term in terms]
        self.terms = PhraseMatcher(entries, uncovered="any")
        self.weak = {fold(term) for terms in rule.weak_terms.values() for term in terms}
        # A word can be a cooperation term and a provider word ("experts"): a matcher of its own.
        self.providers = PhraseMatcher(
            [
                (word, ("provider", word), None if language == ANY_LANGUAGE else language)
                for language, words in rule.provider_terms.items()
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
            return self._no("too few Southern partners: " + (", ".join(names) or "none"), names), north_south
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
            terms |= finance
        # A Southern development agency, fund or bank is itself a sign of cooperation.
        terms |= {key for key, lender in lenders.items() if lender.side == "south"}
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
        giving |= self._next_to_providers(context, {a for a in leading if not a.startswith("org:")}, found)
        return [self._name(a) for a in sorted(giving, key=lambda a: (-northern[a], a))]

    def _southern_providers(self, context: Context) -> set[str]:
        """The Southern development cooperation agencies and funds named: a Southern country
        shown giving beside a Northern funder."""
        return {
            key
            for (_k, key) in context.organizations
            if (organization := self.actors.organizations[key]).side == "south" and organization.is_cooperation_agency
        }

    def _next_to_providers(self, context: Context, countries: set[str], found: Found) -> set[str]:
        """Which of `countries` are named within a few words of a provider word."""
        if not countries:
            return set()
        near: set[str] = set()
        for where, tokenized in (("title", context.title), ("body", context.body)):
            words = found[f"provider:{where}"]
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


class RelevanceModel:
    """Every topic of a topics file, compiled once."""

    def __init__(self, topics: TopicsFile) -> None:
        self.gazetteer = load_gazetteer()
        self.actors = load_actors()
        self.scorers = [TopicScorer(profile, self.gazetteer, self.actors) for profile in topics.topics]
        self.version = profile_version(topics) or ""

    def context(
        self, title: str | Tokenized, text: str | Tokenized, language: str | None = None, places: Salience | None = None
    ) -> Context:
        if language is None and isinstance(text, str):
            language = detect_language(f"{title if isinstance(title, str) else ''}\n{text}")
        title = Tokenized.of(title, language) if isinstance(title, str) else title
        text = Tokenized.of(text, language) if isinstance(text, str) else text
        places = place_salience(title, text) if places is None else places
        return Context(title, text, places, self.actors.salience(title, text))

    def score(
        self,
        title: str | Tokenized,
        text: str | Tokenized,
        places: Salience | None = None,
        *,
        language: str | None = None,
    ) -> Relevance:
        """The best topic's relevance. Strings are read in `language` (detected when None);
        `places` (from tagging.place_salience) saves finding them again."""
        context = self.context(title, text, language, places)
        results = [self._relevance(scorer, scorer.score(context)) for scorer in self.scorers]
        kept = [r for r in results if r.kept]
        return max(kept or results, key=lambda r: r.score - r.threshold)

    def _relevance(self, scorer: TopicScorer, contributions: list[Contribution]) -> Relevance:
        score = round(sum(c.weight for c in contributions), 2)
        counted = sorted((c for c in contributions if c.weight > 0), key=lambda c: (-c.weight, c.label))
        ordered = tuple(sorted(contributions, key=lambda c: (-abs(c.weight), c.rule, c.label)))
        return Relevance(
            scorer.profile.name, score, scorer.profile.threshold, tuple(c.label for c in counted), ordered, self.version
        )


def profile_version(topics: TopicsFile | None) -> str | None:
    """A short hash of everything a relevance decision depends on: the topic profiles and
    taxonomy, and the built-in gazetteer and organizations. None without a profile."""
    if topics is None:
        return None
    digest = hashlib.sha256(
        json.dumps(topics.model_dump(mode="json"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    )
    for name in BUILT_IN_DATA:
        digest.update((resources.files("newsalert.pipelines") / name).read_bytes())
    return digest.hexdigest()[:16]
