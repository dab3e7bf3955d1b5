"""What `extract_article` keeps of a page's body (pipelines/extract.py), on small pages written here."""

from __future__ import annotations

from newsalert.domain import Extracted
from newsalert.pipelines.extract import detect_language, extract_article, share_justext_stoplist

URL = "https://www.harbourherald.example/news/2024/05/port-deal"
PROSE = "The port authority signed the concession on Tuesday after two years of talks with the union. "


def _article(inner: str, *, outside: str = "", lang: str | None = None) -> Extracted:
    page = (
        f"<html{f' lang={lang!r}' if lang else ''}><head><title>Port deal signed</title></head><body>"
        f"<article><h1>Port deal signed</h1>{inner}</article>{outside}</body></html>"
    )
    result = extract_article(page, URL, min_text_chars=1)
    assert isinstance(result, Extracted), result
    return result


def _paragraphs(count: int) -> str:
    return "".join(f"<p>{PROSE * 3} Paragraph {n}.</p>" for n in range(count))


def test_a_hidden_microdata_copy_is_not_article_text() -> None:
    hidden = (
        '<div style="display: none" itemscope itemtype="http://schema.org/NewsArticle">'
        '<div itemprop="datePublished">2019-11-19T08:57:40+01:00</div>'
        '<div itemprop="url">https://cdn.example/image-500-250.jpg</div></div>'
    )
    result = _article(_paragraphs(4) + hidden)
    assert "2019-11-19T08:57:40" not in result.text
    assert "image-500-250" not in result.text
    assert "Paragraph 3." in result.text


def test_an_article_a_script_reveals_is_still_read() -> None:
    """When the hidden element holds most of the page, it is the article, not a copy."""
    result = _article(f'<div style="display:none">{_paragraphs(4)}</div>')
    assert "Paragraph 3." in result.text


def test_a_paragraph_that_is_all_link_is_a_promotion() -> None:
    promo = '<p><strong><a href="/apps">CLICK HERE TO GET THE HARBOUR HERALD APP</a></strong></p>'
    related = '<p><a href="/news/2">Dock strike ends after nine days</a> [VIDEO]</p>'
    result = _article(_paragraphs(2) + promo + related + _paragraphs(2))
    assert "CLICK HERE" not in result.text
    assert "Dock strike ends" not in result.text


def test_prose_with_a_link_in_it_stays() -> None:
    linked = f'<p>{PROSE}The <a href="/docs/concession.pdf">concession</a> runs for thirty years.</p>'
    result = _article(_paragraphs(2) + linked)
    assert "runs for thirty years" in result.text


def test_a_table_laid_page_keeps_its_related_stories_out() -> None:
    """Older sites lay the page out in tables; a table's links are navigation, not the story."""
    related = (
        "<table><tr><td><b>More Business Stories</b><ul>"
        '<li><a href="/news/3">Ferry services disrupted for a second day</a></li>'
        '<li><a href="/news/4">Port handles a record number of vehicles</a></li></ul></td></tr></table>'
    )
    result = _article(_paragraphs(3) + related)
    assert "Paragraph 2." in result.text
    assert "More Business Stories" not in result.text
    assert "Ferry services" not in result.text


def test_a_byline_whose_name_is_a_link_is_not_a_promotion() -> None:
    byline = '<p class="byline">By <a href="/authors/amina-odhiambo">Amina Odhiambo</a></p>'
    result = _article(byline + _paragraphs(3), outside='<p class="more">More by this Author</p>')
    assert result.author == "Amina Odhiambo"


LANGUAGE_SAMPLES = {
    "en": "The ministers agreed on Tuesday to open two training centres for farmers before the rains.",
    "fr": "Les ministres se sont entendus mardi pour ouvrir deux centres de formation avant les pluies.",
    "es": "Los ministros acordaron el martes abrir dos centros de formación para agricultores antes de las lluvias.",
    "pt": "Os ministros acordaram na terça-feira abrir dois centros de formação para agricultores antes das chuvas.",
    "zh": "两国部长周二商定在雨季到来前开设两个农民培训中心，并派遣技术人员。",
    "he": "השרים הסכימו ביום שלישי לפתוח שני מרכזי הכשרה לחקלאים לפני עונת הגשמים.",
}


def test_an_undeclared_language_is_detected_with_current_codes() -> None:
    for language, sentence in LANGUAGE_SAMPLES.items():
        assert detect_language(sentence * 3) == language


def test_language_detection_survives_what_a_stranger_puts_in_a_page() -> None:
    english = LANGUAGE_SAMPLES["en"] * 3
    assert detect_language("\x00\x07" + english + "\ud800\x9f\ufffe") == "en"
    assert detect_language("") is None
    assert detect_language("0123 4567 !!! ---") is None


def test_the_fallback_stoplist_is_built_once_with_the_words_jusText_would_use() -> None:
    import justext.core
    from justext.utils import get_stoplist, get_stoplists
    from trafilatura import external

    share_justext_stoplist()
    every_language = frozenset(word.lower() for language in get_stoplists() for word in get_stoplist(language))
    assert every_language == external.JT_STOPLIST
    assert justext.core.define_stoplist(external.JT_STOPLIST) is external.JT_STOPLIST
    assert justext.core.define_stoplist(("The", "AND")) == {"the", "and"}  # anyone else's list is still lowered


FRENCH_STORY = (
    "Les ministres de l'Agriculture du Sénégal et du Maroc ont signé mardi à Dakar un accord qui prévoit la "
    "formation de deux cents techniciens sénégalais dans les centres de recherche marocains. Les premiers "
    "stagiaires partiront en mars pour six mois ; ils apprendront les techniques d'irrigation au goutte-à-goutte "
    "et la sélection de semences adaptées à la sécheresse. Le ministre sénégalais a salué un partenariat "
    "exemplaire entre deux pays africains qui partagent les mêmes défis climatiques."
)


def test_a_text_plainly_in_another_language_overrides_the_templates_lang() -> None:
    assert _article(f"<p>{FRENCH_STORY}</p>", lang="en").language == "fr"


def test_the_declared_language_stands_when_the_text_agrees_or_is_too_short_to_say() -> None:
    assert _article(f"<p>{FRENCH_STORY}</p>", lang="fr-SN").language == "fr"
    assert _article(f"<p>{FRENCH_STORY[:300]}</p>", lang="en").language == "en"
