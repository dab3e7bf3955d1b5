"""Split the labeled relevance set into dev and test, once.

The helpers' files (one per language) are checked, then each (language, label) group is
shuffled with a fixed seed and halved: the first half goes to dev, the rest to test. The
split was made once, on 2026-11-29, before any rule was tuned on the set; this script is
kept to show how, and refuses to overwrite an existing split. (That first test split was
measured once, then joined dev; data/relevance/test.yaml is now a set written afterwards.)

Run:  .venv/bin/python benchmarks/split_relevance_set.py STAGING_DIR/*.yaml
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent / "data" / "relevance"
SEED = 20261129
REQUIRED = ("id", "language", "label", "kind", "title", "text")

HEADER = """\
# {split}.yaml: the {split} split of the South-South cooperation relevance set
# (benchmarks/relevance_eval.py).
#
# Written from scratch on 2026-11-29 by five helper sessions, one per language (en, fr, es,
# pt, zh), none of which had seen config/topics.yaml, the relevance rules or the earlier
# labeled set. Events, people and quotes are fictional; institutions and countries are real.
# Each helper wrote 88 articles, about half on topic ("on": development cooperation among
# Global South countries, incl. triangular cooperation and UN South-South reports) and half
# hard negatives ("off": North-South aid, EU-Africa, domestic regional politics such as
# Nigeria's South-South zone, sport, cooperatives, intra-EU cooperation, the US-China trade
# war, Korean or Japanese tech, OECD statistics, domestic stories naming a flagship initiative).
# `countries`: the ISO codes of the countries an on-topic article is about.
#
# Split once by benchmarks/split_relevance_set.py (seed {seed}): each (language, label)
# group halved at random. dev: rules may be tuned on it. test: never tuned on, its errors
# never read; its figures are reported once, as printed.
# {counts}
"""


def load(paths: list[Path]) -> list[dict[str, Any]]:
    articles, ids = [], set()
    for path in paths:
        for article in yaml.safe_load(path.read_text(encoding="utf-8"))["articles"]:
            missing = [f for f in REQUIRED if not article.get(f)]
            if missing:
                raise SystemExit(f"{path}: {article.get('id')}: missing {missing}")
            if article["label"] not in ("on", "off"):
                raise SystemExit(f"{path}: {article['id']}: label {article['label']!r}")
            if article["id"] in ids:
                raise SystemExit(f"{path}: duplicate id {article['id']}")
            ids.add(article["id"])
            article["countries"] = [c.upper() for c in article.get("countries") or []]
            articles.append(article)
    return articles


def split(articles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for article in articles:
        groups[(article["language"], article["label"])].append(article)
    rng = random.Random(SEED)
    result: dict[str, list[dict[str, Any]]] = {"dev": [], "test": []}
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda a: a["id"])
        rng.shuffle(members)
        half = (len(members) + 1) // 2
        result["dev"] += members[:half]
        result["test"] += members[half:]
    for members in result.values():
        members.sort(key=lambda a: (a["language"], a["id"]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if any((OUT / f"{name}.yaml").exists() for name in ("dev", "test")):
        raise SystemExit(f"{OUT} already holds a split: it is made once, never again")
    for name, members in split(load(args.files)).items():
        counts = Counter((a["language"], a["label"]) for a in members)
        summary = "counts: " + ", ".join(
            f"{lang} {counts[(lang, 'on')]} on / {counts[(lang, 'off')]} off"
            for lang in sorted({lang for lang, _ in counts})
        )
        body = yaml.safe_dump({"articles": members}, allow_unicode=True, sort_keys=False, width=100)
        (OUT / f"{name}.yaml").write_text(HEADER.format(split=name, seed=SEED, counts=summary) + body, encoding="utf-8")
        print(f"{name}: {len(members)} articles; {summary}")


if __name__ == "__main__":
    main()
