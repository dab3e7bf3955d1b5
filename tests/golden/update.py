"""Regenerate the golden outputs of every saved page through the real pipeline.

    .venv/bin/python -m tests.golden.update            # every page
    .venv/bin/python -m tests.golden.update NAME ...   # some pages (file names without .html)

Each page `pages/<name>.html` has a `pages/<name>.json`: its "url" (the address the page is
deemed to come from: an input, kept as it is) and "expected", what the pipeline makes of the
page, written again here. To add a page, write the HTML and a JSON file holding only
{"url": ...}, then run this.

The JSON records what the pipeline says, not what is right: review every changed value
against the page by hand, and list the values you judge wrong in README.md ("known wrong").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

from newsalert.config.loader import load_topics
from newsalert.domain import Hints, Rejection
from newsalert.pipelines.analyze import Analysis, Analyzer

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
TOPICS = HERE.parents[1] / "config" / "topics.yaml"
MIN_TEXT_CHARS = 250  # the crawl's default (Settings.min_text_chars)
TAG_GROUPS = {"country": "countries", "region": "regions", "theme": "themes", "initiative": "initiatives"}


def build_analyzer() -> Analyzer:
    return Analyzer(load_topics(TOPICS), min_text_chars=MIN_TEXT_CHARS)


def page_names() -> list[str]:
    """Every page that has an HTML file or a JSON file (a page missing either is an error)."""
    return sorted({path.stem for pattern in ("*.html", "*.json") for path in PAGES.glob(pattern)})


def load_golden(name: str) -> dict[str, Any]:
    golden: dict[str, Any] = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return golden


def decode(body: bytes, url: str) -> str:
    """The page as the crawler hands it on: Scrapy's response.text, decoded with the charset
    the page declares (no Content-Type header: a <meta> or the BOM says it, else detection)."""
    return HtmlResponse(url, body=body).text


def outputs(analyzer: Analyzer, name: str, url: str) -> dict[str, Any]:
    """What the pipeline makes of a page, as the golden JSON holds it. Off-topic articles are
    tagged too (tag_rejected, as `newsalert explain` does), so their tags can be reviewed."""
    html = decode((PAGES / f"{name}.html").read_bytes(), url)
    result = analyzer.analyze(html, url, hints=Hints(), declared_language=None, tag_rejected=True)
    if isinstance(result, Rejection):
        return {"status": str(result.status), "reason": result.reason}
    return _article_outputs(result)


def _article_outputs(analysis: Analysis) -> dict[str, Any]:
    article, relevance = analysis.article, analysis.relevance
    assert relevance is not None, "the golden set is judged with a topic profile"
    tags: dict[str, list[str]] = {group: [] for group in TAG_GROUPS.values()}
    for tag in analysis.tags:  # strongest first within each kind
        if tag.kind in TAG_GROUPS:
            tags[TAG_GROUPS[tag.kind]].append(tag.code)
    return {
        "status": "article",
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "language": article.language,
        "relevance": {
            "topic": relevance.topic,
            "kept": relevance.kept,
            "score": relevance.score,
            "matched_terms": list(relevance.matched_terms),
        },
        "tags": tags,
        "text": article.text.split("\n"),  # one paragraph a line
    }


def write_golden(name: str, golden: dict[str, Any]) -> None:
    text = json.dumps(golden, ensure_ascii=False, indent=2) + "\n"
    (PAGES / f"{name}.json").write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    names = argv or page_names()
    unknown = [name for name in names if not (PAGES / f"{name}.html").exists()]
    missing_url = [name for name in names if name not in unknown and not (PAGES / f"{name}.json").exists()]
    if unknown or missing_url:
        for name in unknown:
            print(f"{name}: no pages/{name}.html", file=sys.stderr)
        for name in missing_url:
            print(f'{name}: write pages/{name}.json with {{"url": ...}} first', file=sys.stderr)
        return 2
    analyzer = build_analyzer()
    for name in names:
        golden = load_golden(name)
        expected = outputs(analyzer, name, golden["url"])
        changed = golden.get("expected") != expected
        write_golden(name, {"url": golden["url"], "expected": expected})
        verdict = expected["status"] if expected["status"] != "article" else f"kept={expected['relevance']['kept']}"
        print(f"{'changed' if changed else 'same   '}  {name}  ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
