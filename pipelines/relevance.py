"""Is an article about the topic? A weighted-phrase score from topics.yaml.

score = for each phrase: weight × (title_weight if it is in the title, plus its body hits up
to max_hits_per_phrase), minus the same for exclusion phrases, plus the partnership rule:
many stories never name the topic but report cooperation between two countries of the
topic's regions ("Brazilian agronomists train Mozambican farmers"). An article is kept when
its score reaches the topic's threshold; with several topics, the best one counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from newsalert.config.models import Partnership, TopicProfile, TopicsFile
from newsalert.pipelines.matching import PhraseMatcher, Tokenized, phrases_by_language
from newsalert.pipelines.tagging import Salience, load_gazetteer, place_salience, salient_places


@dataclass(frozen=True)
class Relevance:
    topic: str
    score: float
    threshold: float
    matched_terms: tuple[str, ...]  # the phrases that counted, strongest first

    @property
    def kept(self) -> bool:
        return self.score >= self.threshold


class TopicScorer:
    def __init__(self, profile: TopicProfile) -> None:
        self.profile = profile
        self.weights: dict[tuple[str, str], float] = {}
        entries: list[tuple[str, tuple[str, str]]] = []
        for sign, table in (("+", profile.phrases), ("-", profile.exclusions)):
            for phrases in table.values():
                for phrase, weight in phrases.items():
                    key = (sign, phrase)
                    self.weights[key] = weight
                    entries.append((phrase, key))
        self.matcher = PhraseMatcher(entries)
        self.partnership = PartnershipRule(profile.partnership) if profile.partnership else None

    def score(self, title: Tokenized, body: Tokenized, places: Salience) -> Relevance:
        in_title = {match.key for match in self.matcher.find(title)}
        in_body = Counter(match.key for match in self.matcher.find(body))
        contributions: dict[tuple[str, str], float] = {}
        for key in in_title | set(in_body):
            hits = (self.profile.title_weight if key in in_title else 0.0) + in_body[key]
            contributions[key] = self.weights[key] * min(hits, self.profile.max_hits_per_phrase)
        if self.partnership is not None:
            contributions.update(self.partnership.contributions(title, body, places))
        score = sum(v for (sign, _), v in contributions.items() if sign == "+") - sum(
            v for (sign, _), v in contributions.items() if sign == "-")
        matched = sorted(((v, phrase) for (sign, phrase), v in contributions.items() if sign == "+"),
                         key=lambda pair: (-pair[0], pair[1]))
        return Relevance(self.profile.name, round(score, 2), self.profile.threshold,
                         tuple(phrase for _, phrase in matched))


class PartnershipRule:
    def __init__(self, rule: Partnership) -> None:
        self.rule = rule
        gazetteer = load_gazetteer()
        unknown = set(rule.regions) - set(gazetteer.region_labels)
        if unknown:
            raise ValueError(f"partnership.regions: unknown region(s) {sorted(unknown)}; "
                             f"known: {sorted(gazetteer.region_labels)}")
        excluded = set(rule.exclude_countries)
        self.partners = {code for code, regions in gazetteer.country_regions.items()
                         if set(regions) & set(rule.regions) and code not in excluded}
        self.terms = PhraseMatcher((term, term) for term in phrases_by_language(rule.terms))

    def contributions(self, title: Tokenized, body: Tokenized, places: Salience) -> dict[tuple[str, str], float]:
        countries, regions = salient_places(places)
        # "Egypt trains diplomats from 25 African countries": a region can be the partner too.
        partners = sorted([c for c in countries if c in self.partners] +
                          [r for r in regions if r in self.rule.regions])
        if len(partners) < self.rule.min_countries:
            return {}
        terms = {match.phrase for match in self.terms.find(title)} | {match.phrase for match in self.terms.find(body)}
        if len(terms) < self.rule.min_terms:
            return {}
        extra = min(len(terms), self.rule.max_terms) - self.rule.min_terms
        label = f"cooperation between {', '.join(partners[:4])} ({', '.join(sorted(terms)[:4])})"
        return {("+", label): self.rule.weight + extra * self.rule.term_weight}


class RelevanceModel:
    """Every topic of a topics file, compiled once."""

    def __init__(self, topics: TopicsFile) -> None:
        self.scorers = [TopicScorer(profile) for profile in topics.topics]

    def score(self, title: str | Tokenized, text: str | Tokenized, places: Salience | None = None) -> Relevance:
        """The best topic's relevance; `places` (from tagging.place_salience) saves finding them again."""
        title = Tokenized.of(title) if isinstance(title, str) else title
        text = Tokenized.of(text) if isinstance(text, str) else text
        places = place_salience(title, text) if places is None else places
        results = [scorer.score(title, text, places) for scorer in self.scorers]
        kept = [r for r in results if r.kept]
        return max(kept or results, key=lambda r: r.score - r.threshold)
