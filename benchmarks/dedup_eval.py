"""Precision and recall of "same story" on labeled article pairs.

benchmarks/data/dedup_pairs.yaml holds pairs we wrote: the same text republished
(new headline, credit line, dropped paragraphs, light edits, all at once) and different
articles (the same event written up independently, the same subject, follow-ups sharing a
background paragraph, press-release templates). A pair is predicted "same" exactly as the
store decides it: the same normalized-text hash, or a shared LSH band and a MinHash
similarity at or above the threshold (pipelines/dedup.py).

Run:  .venv/bin/python benchmarks/dedup_eval.py [--sweep] [--show-errors] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from newsalert.pipelines import dedup
from newsalert.pipelines.extract import content_hash

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "dedup_pairs.yaml"


def score_pairs(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = []
    for pair in pairs:
        a, b = pair["a"]["text"], pair["b"]["text"]
        fa, fb = dedup.fingerprint(a), dedup.fingerprint(b)
        scored.append(
            {
                "id": pair["id"],
                "kind": pair["kind"],
                "label": pair["label"],
                "exact": content_hash(a) == content_hash(b),
                "shares_band": bool(set(fa.bands) & set(fb.bands)),
                "similarity": dedup.similarity(fa.signature, fb.signature),
            }
        )
    return scored


def rates(scored: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    errors = []
    for pair in scored:
        predicted = pair["exact"] or (pair["shares_band"] and pair["similarity"] >= threshold)
        expected = pair["label"] == "same"
        tp += predicted and expected
        fp += predicted and not expected
        fn += expected and not predicted
        tn += not expected and not predicted
        if predicted != expected:
            errors.append(pair)
    return {
        "threshold": threshold,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sweep", action="store_true", help="also report other thresholds")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pairs = yaml.safe_load(args.data.read_text(encoding="utf-8"))["pairs"]
    scored = score_pairs(pairs)
    result = rates(scored, dedup.SIMILARITY_THRESHOLD)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for pair in scored:
        by_kind[f"{pair['label']}/{pair['kind']}"].append(pair["similarity"])
    if args.json:
        print(json.dumps({**result, "errors": [e["id"] for e in result["errors"]]}, indent=2))
        return
    print(
        f"{len(pairs)} pairs; threshold {dedup.SIMILARITY_THRESHOLD}, {dedup.NUM_PERM} permutations, "
        f"word {dedup.SHINGLE_SIZE}-grams"
    )
    print(
        f"same-story precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
        f"(tp {result['tp']} fp {result['fp']} fn {result['fn']} tn {result['tn']})"
    )
    print("estimated similarity by kind (min / median / max):")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:42} {min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}  (n={len(values)})")
    if args.sweep:
        for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            r = rates(scored, threshold)
            print(f"  threshold {threshold:.1f}: precision {r['precision']:.3f} recall {r['recall']:.3f}")
    if args.show_errors:
        for e in result["errors"]:
            print(
                f"  {e['label']:9} {e['id']:6} {e['kind']:32} similarity {e['similarity']:.2f} band {e['shares_band']}"
            )


if __name__ == "__main__":
    main()
