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
  see partnership.py. When it finds a North-South story (a Northern donor leads it), the
  lesser markers (phrases weighing less than the threshold: a bloc's name, "technology
  transfer") do not count either, nor does the topic's own name in passing (an aid report
  that mentions South-South cooperation once): both sides of South-South cooperation are
  Southern.

An article is kept when its score reaches the topic's threshold; with several topics, the
best one counts. `Relevance.contributions` says what each rule added, for `newsalert explain`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from newsalert.config.models import PhraseSpec, TopicProfile, TopicsFile
from newsalert.domain import Contribution, Relevance, Tokenized
from newsalert.pipelines.actors import Actors, load_actors
from newsalert.pipelines.extract import detect_language
from newsalert.pipelines.matching import ANY_LANGUAGE, PhraseMatcher
from newsalert.pipelines.partnership import Context, PartnershipRule
from newsalert.pipelines.profile import profile_version
from newsalert.pipelines.tagging import LEAD_WORDS, Gazetteer, Salience, load_gazetteer, place_salience

PASSING = "a passing mention (once, after the lead)"
ALONE = "a marker alone, in an article with no word of cooperation"
DOMESTIC = "the article names no other country, foreign region or international body (a domestic story)"


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
            if key in self.cross_border and (named := actors.matcher.whole(Tokenized.of(phrase, phrase_language))):
                self.self_named.add(named)
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
                        note=f"does not count: {PASSING}" if passing else where,
                    )
                )
                continue
            if key in self.cross_border:
                if cross_border is None:
                    cross_border = self._cross_border(context)
                why_not = None
                if not cross_border:
                    why_not = DOMESTIC
                elif passing:
                    why_not = PASSING
                if why_not:
                    note = f"does not count: {why_not}"
                    contributions.append(Contribution("cross-border phrase", phrase, 0.0, (phrase,), note=note))
                    continue
                contributions.append(Contribution("cross-border phrase", phrase, weight, (phrase,), note=where))
                continue
            if north_south and (self.weights[key] < self.profile.threshold or passing):
                contributions.append(
                    Contribution(
                        "phrase",
                        phrase,
                        0.0,
                        (phrase,),
                        note=f"does not count: a North-South story ({', '.join(north_south[:2])} leads it)"
                        + (f", and {PASSING}" if passing else ""),
                    )
                )
                continue
            contributions.append(Contribution("phrase", phrase, weight, (phrase,), note=where))
        if partnership is not None:
            contributions = self._markers_need_cooperation(contributions, partnership)
            contributions.append(partnership)
        return contributions

    def _markers_need_cooperation(
        self, contributions: list[Contribution], partnership: Contribution
    ) -> list[Contribution]:
        """Markers (phrases weighing less than the threshold: a bloc's name) count only beside
        something stronger or a word of cooperation: "BRICS" in the title of a market report
        or of a games' medal table is not enough."""
        strong = partnership.weight > 0 or bool(partnership.terms)
        strong = strong or any(
            c.weight > 0 and self.weights[("+", c.label)] >= self.profile.threshold
            for c in contributions
            if c.rule in ("phrase", "cross-border phrase")
        )
        if strong:
            return contributions
        return [
            replace(c, weight=0.0, note=f"does not count: {ALONE}") if c.rule == "phrase" and c.weight > 0 else c
            for c in contributions
        ]

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


class RelevanceModel:
    """Every topic of a topics file, compiled once."""

    def __init__(self, topics: TopicsFile) -> None:
        self.gazetteer = load_gazetteer()
        self.actors = load_actors()
        self.scorers = [TopicScorer(profile, self.gazetteer, self.actors) for profile in topics.topics]
        self.labels = {profile.name: profile.label or profile.name for profile in topics.topics}  # in plain words
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
