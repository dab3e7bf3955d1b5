"""Precision and recall of the topic relevance filter, and of country tags, on a labeled set
nobody tuned the rules on, plus the false positives on the real pages of ../shared/corpus.

The labeled set (benchmarks/data/relevance/) is in English, French, Spanish, Portuguese and
Chinese, about half on topic, written by helpers who never saw topics.yaml or the rules:
`dev` (1190 articles; the rules may be tuned on it) and `test` (400 articles written after
the tuning; its errors are never looked at, its figures are reported as printed). See the
headers of the two files for their history. This script prints errors for dev only.

Country tags are scored on the on-topic articles: the set lists the countries each is about,
and the tagger's country tags are compared with them (micro-averaged precision and recall).

Corpus false positives: every page of ../shared/corpus (241 general news pages) goes
through the whole analyzer (extraction, relevance); the pages kept, other than the one known
to be on topic, are listed. Skipped when ../shared/corpus is absent.

Run:  .venv/bin/python benchmarks/relevance_eval.py [--split dev|test|both] [--show-errors]
          [--no-corpus] [--topics FILE] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import statistics
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from newsalert.config.loader import load_topics
from newsalert.config.models import CrawlSettings, TopicsFile
from newsalert.domain import Hints, Rejection
from newsalert.pipelines.analyze import Analysis, Analyzer, analyze_in_worker, init_worker

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "relevance"
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_FOLDERS = ("article-extraction-benchmark", "fundus-sample")
# The corpus is general news; its README and a reading of the pages found one on topic.
CORPUS_ON_TOPIC = frozenset({"fundus-sample/People_2024_04_24"})
LANGUAGES = ("en", "fr", "es", "pt", "zh")


def load_split(split: str, data_dir: Path = DATA) -> list[dict[str, Any]]:
    return yaml.safe_load((data_dir / f"{split}.yaml").read_text(encoding="utf-8"))["articles"]


def evaluate_split(analyzer: Analyzer, articles: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    tags: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    errors, timings = [], []
    for article in articles:
        started = time.perf_counter()
        relevance, found_tags, _ = analyzer.judge(article["title"], article["text"], article["language"])
        timings.append(time.perf_counter() - started)
        assert relevance is not None, "the evaluation needs a topic profile"
        expected = article["label"] == "on"
        outcome = {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}[
            (relevance.kept, expected)
        ]
        for group in ("all", article["language"]):
            counts[group][outcome] += 1
        if expected:
            wanted = set(article.get("countries") or ())
            got = {t.code for t in found_tags if t.kind == "country"}
            for group in ("all", article["language"]):
                tags[group]["tp"] += len(wanted & got)
                tags[group]["fp"] += len(got - wanted)
                tags[group]["fn"] += len(wanted - got)
            if wanted != got:
                errors.append(
                    {
                        "id": article["id"],
                        "error": "tags",
                        "expected": sorted(wanted),
                        "got": sorted(got),
                        "title": article["title"],
                    }
                )
        if outcome in ("fp", "fn"):
            errors.append(
                {
                    "id": article["id"],
                    "kind": article.get("kind"),
                    "error": outcome,
                    "score": relevance.score,
                    "contributions": [
                        f"{c.weight:+g} {c.rule}: {c.label}" + (f" [{c.note}]" if c.note else "")
                        for c in relevance.contributions
                    ],
                    "title": article["title"],
                }
            )
    return {
        "articles": len(articles),
        "relevance": {group: _rates(c) for group, c in sorted(counts.items())},
        "country_tags": {group: _rates(c) for group, c in sorted(tags.items())},
        "errors": errors,
        "median_ms": round(statistics.median(timings) * 1000, 2) if timings else None,
    }


def _rates(c: dict[str, int]) -> dict[str, Any]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {**c, "precision": round(precision, 3), "recall": round(recall, 3)}


# --- the corpus of real pages -------------------------------------------------------------------


def _summary(key: str, url: str, result: Analysis | Rejection) -> dict[str, Any]:
    if not isinstance(result, Analysis) or result.relevance is None:
        return {"page": key, "kept": False}
    relevance = result.relevance
    return {
        "page": key,
        "kept": relevance.kept,
        "score": relevance.score,
        "url": url,
        "title": result.article.title,
        "language": result.article.language,
        "contributions": [f"{c.weight:+g} {c.rule}: {c.label}" for c in relevance.contributions if c.weight],
    }


def _read(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


def corpus_pages(corpus: Path = CORPUS) -> list[tuple[str, str, Path]]:
    pages = []
    for folder in CORPUS_FOLDERS:
        truth = json.loads((corpus / folder / "ground-truth.json").read_text(encoding="utf-8"))
        for key, entry in sorted(truth.items()):
            pages.append((f"{folder}/{key}", entry["url"], corpus / folder / "html" / f"{key}.html.gz"))
    return pages


def evaluate_corpus(topics: TopicsFile, corpus: Path = CORPUS, *, workers: int = 2) -> dict[str, Any]:
    pages = corpus_pages(corpus)
    context = multiprocessing.get_context("spawn")
    # The crawl's own worker functions, as a crawl would run them (min_text_chars as shipped).
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_worker, initargs=(topics, CrawlSettings().min_text_chars)
    ) as pool:
        futures = [
            (key, url, pool.submit(analyze_in_worker, _read(path), url, Hints(), None)) for key, url, path in pages
        ]
        judged = [_summary(key, url, future.result()) for key, url, future in futures]
    kept = [page for page in judged if page["kept"]]
    return {
        "pages": len(pages),
        "kept": len(kept),
        "false_positives": [page for page in kept if page["page"] not in CORPUS_ON_TOPIC],
        "on_topic_found": sorted(page["page"] for page in kept if page["page"] in CORPUS_ON_TOPIC),
        "on_topic_known": sorted(CORPUS_ON_TOPIC),
    }


# --- report ------------------------------------------------------------------------------------


def run(topics_file: Path, splits: list[str], *, corpus: bool, data_dir: Path = DATA) -> dict[str, Any]:
    topics = load_topics(topics_file)
    analyzer = Analyzer(topics)
    report: dict[str, Any] = {"topics": str(topics_file), "splits": {}}
    for split in splits:
        report["splits"][split] = evaluate_split(analyzer, load_split(split, data_dir))
    if corpus and CORPUS.is_dir():
        report["corpus"] = evaluate_corpus(topics)
    return report


def format_report(report: dict[str, Any], *, show_errors: bool) -> str:
    lines = [f"topic profile: {report['topics']}"]
    for split, result in report["splits"].items():
        lines.append(f"\n[{split}] {result['articles']} articles; median {result['median_ms']} ms an article")
        lines.append(f"{'':6} {'precision':>9} {'recall':>7}   tp  fp  fn  tn   country tags P / R")
        for group in ("all", *LANGUAGES):
            r = result["relevance"].get(group)
            if r is None:
                continue
            t = result["country_tags"].get(group, {"precision": 1.0, "recall": 1.0})
            lines.append(
                f"{group:6} {r['precision']:9.3f} {r['recall']:7.3f}  {r['tp']:3} {r['fp']:3} {r['fn']:3} "
                f"{r['tn']:3}   {t['precision']:.3f} / {t['recall']:.3f}"
            )
        if show_errors and split == "dev":
            for e in result["errors"]:
                if e["error"] == "tags":
                    lines.append(f"  tags {e['id']}: expected {e['expected']} got {e['got']}  {e['title'][:60]}")
                else:
                    lines.append(f"  {e['error']} {e['id']} ({e['kind']}) score {e['score']}: {e['title'][:70]}")
                    lines.extend(f"      {c}" for c in e["contributions"])
    if "corpus" in report:
        c = report["corpus"]
        lines.append(
            f"\n[corpus] {c['pages']} real pages, {c['kept']} kept; false positives: "
            f"{len(c['false_positives'])}; known on-topic page found: "
            f"{', '.join(c['on_topic_found']) or 'no'}"
        )
        for page in c["false_positives"]:
            lines.append(f"  FP {page['page']} score {page['score']} ({page['language']}) {page['title'][:70]}")
            lines.extend(f"      {contribution}" for contribution in page["contributions"])
    else:
        lines.append("\n[corpus] skipped (../shared/corpus is absent, or --no-corpus)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=Path, default=ROOT / "config" / "topics.yaml")
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--show-errors", action="store_true", help="List the dev split's errors (never test's).")
    parser.add_argument("--no-corpus", action="store_true", help="Skip the corpus of real pages.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    report = run(args.topics, splits, corpus=not args.no_corpus)
    if args.json:
        report["splits"].get("test", {}).pop("errors", None)  # never shown: see the module's docstring
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(format_report(report, show_errors=args.show_errors))


if __name__ == "__main__":
    main()
