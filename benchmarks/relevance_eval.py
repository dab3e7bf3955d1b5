"""Precision and recall of the topic relevance filter on our labeled set.

The set (benchmarks/data/relevance_set.yaml) holds short articles in five languages, half on
topic and half near-misses (sport "south stands", South Korea, Nigeria's South-South zone,
Global North aid, domestic cooperation, cooperatives...). It was written without looking at
config/topics.yaml, so it measures the shipped profile honestly.

Run:  .venv/bin/python benchmarks/relevance_eval.py [--topics FILE] [--show-errors] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from newsalert.config.loader import load_topics
from newsalert.pipelines.relevance import RelevanceModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "relevance_set.yaml"


def evaluate(topics_file: Path, data_file: Path = DATA) -> dict[str, Any]:
    model = RelevanceModel(load_topics(topics_file))
    articles = yaml.safe_load(data_file.read_text(encoding="utf-8"))["articles"]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    errors, timings = [], []
    for article in articles:
        started = time.perf_counter()
        result = model.score(article["title"], article["text"])
        timings.append(time.perf_counter() - started)
        expected = article["label"] == "on"
        outcome = {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}[
            (result.kept, expected)]
        for group in ("all", article["language"]):
            counts[group][outcome] += 1
        if outcome in ("fp", "fn"):
            errors.append({"id": article["id"], "kind": article["kind"], "error": outcome, "score": result.score,
                           "matched": list(result.matched_terms[:5]), "title": article["title"]})
    report = {group: _rates(c) for group, c in sorted(counts.items())}
    return {"articles": len(articles), "by_language": report, "errors": errors,
            "median_ms": statistics.median(timings) * 1000}


def _rates(c: dict[str, int]) -> dict[str, Any]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {**c, "precision": round(precision, 3), "recall": round(recall, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=Path, default=ROOT / "config" / "topics.yaml")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = evaluate(args.topics, args.data)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print(f"{result['articles']} labeled articles, {args.topics.name}; median {result['median_ms']:.2f} ms each")
    print(f"{'':6} {'precision':>9} {'recall':>7}   tp  fp  fn  tn")
    for group, r in result["by_language"].items():
        print(f"{group:6} {r['precision']:9.3f} {r['recall']:7.3f}  {r['tp']:3} {r['fp']:3} {r['fn']:3} {r['tn']:3}")
    if args.show_errors:
        for e in result["errors"]:
            print(f"  {e['error']} {e['id']:8} {e['kind']:24} score {e['score']:5} {e['matched']} {e['title'][:60]}")


if __name__ == "__main__":
    main()
