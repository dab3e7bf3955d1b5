"""Relevance scoring, tagging and near-duplicate fingerprints, as pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsalert.config.loader import load_topics
from newsalert.domain import Tokenized
from newsalert.pipelines.dedup import fingerprint, similarity
from newsalert.pipelines.matching import PhraseMatcher
from newsalert.pipelines.relevance import RelevanceModel
from newsalert.pipelines.tagging import Tagger, load_gazetteer

TOPICS = load_topics(Path(__file__).parents[1] / "config" / "topics.yaml")


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel(TOPICS)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(TOPICS.taxonomy)


NEAR_MISSES = {
    "football": (
        "Harbour FC lift the south stand with a late winner",
        "The south stand sang for ninety minutes. The cooperation between midfield and attack was "
        "the best it has been all season, and the coach praised the understanding between the lines. "
        "The south stand will be full again on Saturday when the league leaders visit.",
    ),
    "phone review": (
        "Review: a mid-range phone that punches above its weight",
        "Made in South Korea, the handset has a bright screen, a fast chip and a battery that lasts "
        "two days. The South Korean maker promises four years of updates. Cooperation with the "
        "carrier means the phone ships without bloatware. Global sales start next month.",
    ),
    "south-south zone": (
        "South-South governors meet in Port Harcourt over oil revenue",
        "Governors of Nigeria's South-South geopolitical zone met on Monday to demand a larger "
        "share of oil revenue for the Niger Delta. The South-South governors said the region "
        "had waited too long. The South-South zone produces most of the country's crude.",
    ),
    "cooperative": (
        "Cassava cooperative pays record dividend",
        "Members of the Ogun cassava cooperative society voted to pay a record dividend after a "
        "strong harvest. The cooperative plans to buy a second processing machine and to train "
        "young members in bookkeeping this year.",
    ),
    "domestic ministries": (
        "Ministries sign cooperation pact on school nurses",
        "The health and education ministries signed an inter-ministerial cooperation "
        "agreement to place a nurse in every secondary school by 2028.",
    ),
}

ON_TOPIC = {
    "en": (
        "Kenyan engineers return from rail training in China",
        "Forty Kenyan engineers returned from a year of training in Chengdu under a South-South cooperation "
        "programme that pairs railway colleges in both countries.",
    ),
    "fr": (
        "Des agronomes marocains forment des paysans maliens",
        "Dans le cadre de la coopération Sud-Sud, des ingénieurs marocains ont formé 300 producteurs maliens "
        "aux techniques d'irrigation goutte à goutte.",
    ),
    "es": (
        "Perú y Bolivia comparten técnicas de cultivo de quinua",
        "En el marco de la cooperación Sur-Sur, agrónomos peruanos capacitaron a productores bolivianos en "
        "el manejo de suelos de altura.",
    ),
    "pt": (
        "Brasil e Moçambique renovam programa agrícola",
        "O programa de cooperação Sul-Sul entre o Brasil e Moçambique formou 500 técnicos agrícolas no "
        "corredor de Nacala.",
    ),
    "zh": ("中国专家在肯尼亚培训农民", "在南南合作框架下，中国农业专家在肯尼亚培训了五百名农民，推广节水灌溉技术。"),
}


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_misses_score_below_the_threshold(model: RelevanceModel, name: str) -> None:
    title, text = NEAR_MISSES[name]
    result = model.score(title, text)
    assert not result.kept, f"{name}: score {result.score} >= {result.threshold} via {result.matched_terms}"


@pytest.mark.parametrize("language", ON_TOPIC)
def test_on_topic_articles_are_kept_in_each_language(model: RelevanceModel, language: str) -> None:
    result = model.score(*ON_TOPIC[language])
    assert result.kept and result.topic == "south-south-cooperation"
    expected = {
        "en": "South-South cooperation",
        "fr": "coopération Sud-Sud",
        "es": "cooperación Sur-Sur",
        "pt": "cooperação Sul-Sul",
        "zh": "南南合作",
    }[language]
    assert expected in result.matched_terms


def test_cooperation_between_southern_countries_counts_without_the_phrase(model: RelevanceModel) -> None:
    result = model.score(
        "Brazilian agronomists help Mozambican farmers double cassava yields",
        "Experts from Brazil's agricultural research agency trained 400 farmers in Nampula under "
        "a cooperation programme funded by both governments, and donated improved cuttings.",
    )
    assert result.kept, result
    assert any(term.startswith("cooperation between BR, MZ") for term in result.matched_terms)


def test_matching_ignores_case_accents_and_dashes_but_respects_words() -> None:
    matcher = PhraseMatcher([("coopération Sud-Sud", "ssc"), ("Nigeria", "NG"), ("US", "US"), ("南南合作", "zh")])
    found = [m.key for m in matcher.find("COOPERATION sud–sud; Nigerian firms; tell us; the US; 推动南南合作")]
    assert found == ["ssc", "US", "zh"]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Iranian merchants travelled for six days to reach the expo.", "IR"),
        ("Viet Nam and its exporters did well; Vietnamese coffee sold out.", "VN"),
        ("Les étudiants sénégalais partent au Maroc.", "SN"),
        ("Los técnicos peruanos se formaron en el puerto.", "PE"),
        ("中国专家在肯尼亚培训农民。", "KE"),
        ("The Emirati fund signed with Ethiopia; the UAE fund said so.", "AE"),
    ],
)
def test_countries_from_demonyms_and_aliases(tagger: Tagger, text: str, country: str) -> None:
    tags = tagger.tag(text, text)
    assert country in [t.code for t in tags if t.kind == "country"], tags


def test_a_country_name_that_is_a_word_elsewhere_counts_in_its_own_language() -> None:
    """Portuguese "Gana" and "Catar" are Ghana and Qatar; in Spanish, "gana" (wins) and "catar"
    (to taste) are words, and Spanish has its own names for both."""
    matcher = load_gazetteer().matcher

    def countries(text: str, language: str) -> list[str]:
        return [m.key[1] for m in matcher.find(Tokenized.of(text, language)) if m.key[0] == "country"]

    assert countries("O Gana e o Catar assinaram um acordo.", "pt") == ["GH", "QA"]
    assert countries("Quien gana el torneo podrá catar los vinos.", "es") == []
    assert countries("Ghana y Qatar firmaron un acuerdo.", "es") == ["GH", "QA"]


def test_a_passing_mention_does_not_outrank_the_subject(tagger: Tagger) -> None:
    tags = tagger.tag(
        "Kenya and China open a railway training school in Nairobi",
        "Kenyan and Chinese officials opened the school on Monday. Kenya's transport minister said Kenyan "
        "students would train on Chinese equipment and that China would send instructors. The school follows "
        "similar projects in Ethiopia. Kenya expects 2,000 graduates by 2030.",
    )
    countries = [t.code for t in tags if t.kind == "country"]
    assert countries[:2] == ["KE", "CN"], countries
    assert "ET" not in countries, "Ethiopia is mentioned once in passing"
    regions = [t.code for t in tags if t.kind == "region"]
    assert regions[:2] == ["africa", "asia"]


def test_themes_and_initiatives_from_the_taxonomy(tagger: Tagger) -> None:
    tags = tagger.tag(
        "Belt and Road railway brings trade to Laos",
        "The Belt and Road railway doubled exports of Lao fruit to China. Trade officials said "
        "exports and imports through the line rose again, and a FOCAC-style forum is planned.",
    )
    codes = {(t.kind, t.code) for t in tags}
    assert ("initiative", "BRI") in codes and ("theme", "trade") in codes


def test_fingerprints_tell_copies_from_different_stories() -> None:
    story = " ".join(
        f"Paragraph {n}: the rail training centre in Kisumu trained {n * 40} technicians this year "
        f"with instructors from Chengdu, officials said on day {n}."
        for n in range(1, 9)
    )
    copy = "This article first appeared in the Lagos Ledger. " + story.rsplit("Paragraph 8", 1)[0]
    other = " ".join(
        f"Item {n}: a solar plant in Garissa added {n * 5} megawatts, financed by a BRICS bank loan signed in week {n}."
        for n in range(1, 9)
    )
    assert similarity(fingerprint(story).signature, fingerprint(copy).signature) >= 0.5
    assert similarity(fingerprint(story).signature, fingerprint(other).signature) < 0.2


def page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in text.split(". "))
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def test_analyzer_composes_the_stages() -> None:
    from newsalert.pipelines.analyze import Analyzer

    analyzer = Analyzer(TOPICS, min_text_chars=100)
    kept = analyzer.analyze(page(*ON_TOPIC["en"]), "https://o.example/a")
    assert kept.kept and kept.relevance.matched_terms and kept.fingerprint.bands
    assert ("topic", "south-south-cooperation") in {(t.kind, t.code) for t in kept.tags}
    assert {"KE", "CN"} <= {t.code for t in kept.tags if t.kind == "country"}
    dropped = analyzer.analyze(page(*NEAR_MISSES["football"]), "https://o.example/b")
    assert not dropped.kept and dropped.relevance.score < dropped.relevance.threshold
    everything = Analyzer(None, min_text_chars=100).analyze(page(*NEAR_MISSES["football"]), "https://o.example/b")
    assert everything.kept and everything.relevance is None, "topics_file: null keeps every article"
