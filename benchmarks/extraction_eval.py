"""Extraction quality of `extract_article` on the evaluation corpus.

Reads /work/shared/corpus at run time (never copied into the repository):

- article-extraction-benchmark (181 pages, human-annotated `articleBody`): the benchmark's
  standard body metric. Tokens are `\\w+` matches (case kept), shingles are 4 consecutive
  tokens, counted as a multiset. Each page's tp/fp/fn is normalised so that tp+fp+fn=1.
  Precision is the mean over pages with tp+fp>0 and recall the mean over pages with
  tp+fn>0. F1 is the harmonic mean of those two means. Accuracy is the share of pages whose
  token lists match exactly.
- fundus-sample (60 pages, 60 publishers): title, publishing date, first author, language
  and the same body metric against fundus's derived `articleBody`.

Every page goes through `extract_article(html, url, min_text_chars=1)`. A Rejection (or an
exception, counted apart) gives empty text and no metadata. `extract_article` strips a
leading headline line from the text, and the annotations sometimes include the headline,
so the body metric is given twice:

- "text": `Extracted.text` alone. This is the HEADLINE figure, because it is the text the
  pipeline stores and matches topics against.
- "title+text": `title + "\\n" + text`, for comparison only.

Extraction time is the wall time of each `extract_article` call in this run (HTML already
decoded), reported as median and p95 in milliseconds.

    .venv/bin/python benchmarks/extraction_eval.py [--corpus PATH] [--json] [--show-misses]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsalert.domain import Extracted, Rejection
from newsalert.pipelines.extract import extract_article

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
AEB = "article-extraction-benchmark"
FUNDUS = "fundus-sample"
SHINGLE = 4
TOKEN = re.compile(r"\w+", re.UNICODE)

TpFpFn = tuple[float, float, float]


# --- corpus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: str
    truth: dict[str, Any]


def load_pages(corpus: Path, folder: str) -> list[Page]:
    """Pages of one corpus folder, in key order, decoded as UTF-8 (both READMEs say so)."""
    base = corpus / folder
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        html = gzip.decompress((base / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
        pages.append(Page(key=key, url=truth[key]["url"], html=html, truth=truth[key]))
    return pages


# --- running the extractor -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    key: str
    result: Extracted | Rejection | None  # None when extract_article raised
    error: str | None
    seconds: float

    @property
    def extracted(self) -> Extracted | None:
        return self.result if isinstance(self.result, Extracted) else None

    @property
    def text(self) -> str:
        return self.extracted.text if self.extracted else ""

    @property
    def title_and_text(self) -> str:
        extracted = self.extracted
        return f"{extracted.title}\n{extracted.text}" if extracted else ""


def extract_one(page: Page) -> Outcome:
    start = time.perf_counter()
    try:
        result: Extracted | Rejection | None = extract_article(page.html, page.url, min_text_chars=1)
        error = None
    except Exception as exc:  # an evaluation counts failures instead of stopping at the first
        result, error = None, f"{type(exc).__name__}: {exc}"
    return Outcome(page.key, result, error, time.perf_counter() - start)


def extract_all(pages: Iterable[Page]) -> dict[str, Outcome]:
    return {page.key: extract_one(page) for page in pages}


# --- the benchmark's body metric -----------------------------------------------------------


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; fewer than n tokens give one shorter shingle."""
    tokens = tokenize(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_matching(true: str, pred: str) -> TpFpFn:
    """tp, fp, fn over shingles, normalised to sum to 1 (all zero when both are empty)."""
    expected, predicted = shingles(true), shingles(pred)
    tp = sum((expected & predicted).values())
    fp = sum((predicted - expected).values())
    fn = sum((expected - predicted).values())
    total = tp + fp + fn
    if not total:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def precision_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def body_metrics(pairs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Benchmark metric over (expected, predicted) text pairs."""
    counts = [shingle_matching(true, pred) for true, pred in pairs]
    precisions = [precision_score(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [recall_score(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = statistics.fmean(float(tokenize(true) == tokenize(pred)) for true, pred in pairs)
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy, "pages": len(pairs)}


def page_f1(true: str, pred: str) -> float:
    """One page's F1 (for listing the worst pages)."""
    tp, fp, fn = shingle_matching(true, pred)
    p, r = precision_score(tp, fp, fn), recall_score(tp, fp, fn)
    return 2 * p * r / (p + r) if p + r else 0.0


# --- fundus metadata checks ----------------------------------------------------------------


def normalize_title(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def title_matches(expected: str, extracted: Extracted | None) -> bool:
    return extracted is not None and normalize_title(extracted.title) == normalize_title(expected)


def date_matches(expected: str, extracted: Extracted | None) -> bool:
    """Right to the day, and to the minute when the expected value has a time of day.

    An expected value with an offset is compared as an instant: our UTC time, seen in the
    expected offset, must fall on the expected calendar day (and in the same minute). A
    midnight time (00:00:00) is taken as "date only". A naive expected value has an unknown
    offset, so it is compared with the wall-clock reading of our UTC time.
    """
    ours = extracted.published_at if extracted else None
    if ours is None:
        return False
    want = datetime.fromisoformat(expected)
    ours = ours.astimezone(want.tzinfo) if want.tzinfo is not None else ours.astimezone(UTC).replace(tzinfo=None)
    if ours.date() != want.date():
        return False
    if (want.hour, want.minute, want.second, want.microsecond) == (0, 0, 0, 0):
        return True
    return (ours.hour, ours.minute) == (want.hour, want.minute)


def author_matches(expected: Sequence[str], extracted: Extracted | None) -> bool | None:
    """The first expected author's name in our author string; None when none is expected."""
    if not expected:
        return None
    ours = extracted.author if extracted else None
    return bool(ours) and normalize_title(expected[0]) in normalize_title(ours)


def language_matches(expected: str, extracted: Extracted | None) -> bool:
    return extracted is not None and (extracted.language or "").lower() == expected.lower()


def share(flags: Iterable[bool | None]) -> dict[str, float | int]:
    counted = [flag for flag in flags if flag is not None]
    hits = sum(counted)
    return {"share": hits / len(counted) if counted else 0.0, "hits": hits, "pages": len(counted)}


# --- report --------------------------------------------------------------------------------


def timing(outcomes: Iterable[Outcome]) -> dict[str, float]:
    ms = sorted(outcome.seconds * 1000 for outcome in outcomes)
    if not ms:
        return {"median_ms": 0.0, "p95_ms": 0.0, "pages": 0}
    p95 = ms[max(0, math.ceil(0.95 * len(ms)) - 1)]  # nearest rank
    return {"median_ms": statistics.median(ms), "p95_ms": p95, "pages": len(ms)}


def status_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.error:
            counts["error"] += 1
        elif isinstance(outcome.result, Rejection):
            counts[f"rejected:{outcome.result.status}"] += 1
        else:
            counts["extracted"] += 1
    return dict(sorted(counts.items()))


def errors(outcomes: Iterable[Outcome]) -> dict[str, str]:
    return {outcome.key: outcome.error for outcome in outcomes if outcome.error}


def evaluate_aeb(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    chosen = [outcomes[page.key] for page in pages]
    truths = [page.truth.get("articleBody") or "" for page in pages]
    return {
        "pages": len(pages),
        "status": status_counts(chosen),
        "errors": errors(chosen),
        "body_text": body_metrics([(t, o.text) for t, o in zip(truths, chosen, strict=True)]),
        "body_title_text": body_metrics([(t, o.title_and_text) for t, o in zip(truths, chosen, strict=True)]),
        "worst_pages": worst_pages(pages, chosen, truths),
        "timing": timing(chosen),
    }


def worst_pages(
    pages: Sequence[Page], outcomes: Sequence[Outcome], truths: Sequence[str], count: int = 5
) -> list[dict[str, Any]]:
    scored = sorted((page_f1(t, o.text), p.url) for p, o, t in zip(pages, outcomes, truths, strict=True))
    return [{"f1": round(f1, 3), "url": url} for f1, url in scored[:count]]


def evaluate_fundus(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    chosen = [outcomes[page.key] for page in pages]
    extracted = [o.extracted for o in chosen]
    truths = [page.truth for page in pages]
    misses: dict[str, list[dict[str, Any]]] = {"title": [], "date": [], "author": [], "language": []}
    for page, ours in zip(pages, extracted, strict=True):
        t = page.truth
        if not title_matches(t["title"], ours):
            misses["title"].append({"page": page.key, "expected": t["title"], "found": ours.title if ours else None})
        if not date_matches(t["publishing_date"], ours):
            misses["date"].append(
                {"page": page.key, "expected": t["publishing_date"], "found": _iso(ours.published_at) if ours else None}
            )
        if author_matches(t["authors"], ours) is False:
            misses["author"].append(
                {"page": page.key, "expected": t["authors"][0], "found": ours.author if ours else None}
            )
        if not language_matches(t["content_language"], ours):
            misses["language"].append(
                {"page": page.key, "expected": t["content_language"], "found": ours.language if ours else None}
            )
    return {
        "pages": len(pages),
        "status": status_counts(chosen),
        "errors": errors(chosen),
        "title": share(title_matches(t["title"], e) for t, e in zip(truths, extracted, strict=True)),
        "date": share(date_matches(t["publishing_date"], e) for t, e in zip(truths, extracted, strict=True)),
        "author": share(author_matches(t["authors"], e) for t, e in zip(truths, extracted, strict=True)),
        "language": share(language_matches(t["content_language"], e) for t, e in zip(truths, extracted, strict=True)),
        "body_text": body_metrics([(t.get("articleBody") or "", o.text) for t, o in zip(truths, chosen, strict=True)]),
        "body_title_text": body_metrics(
            [(t.get("articleBody") or "", o.title_and_text) for t, o in zip(truths, chosen, strict=True)]
        ),
        "misses": misses,
        "timing": timing(chosen),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run(corpus: Path) -> dict[str, Any]:
    aeb_pages = load_pages(corpus, AEB)
    fundus_pages = load_pages(corpus, FUNDUS)
    aeb_outcomes = extract_all(aeb_pages)
    fundus_outcomes = extract_all(fundus_pages)
    return {
        "corpus": str(corpus),
        "python": platform.python_version(),
        "headline_body_variant": "text",
        "article_extraction_benchmark": evaluate_aeb(aeb_pages, aeb_outcomes),
        "fundus_sample": evaluate_fundus(fundus_pages, fundus_outcomes),
        "timing_all_pages": timing([*aeb_outcomes.values(), *fundus_outcomes.values()]),
    }


def _body_line(label: str, m: dict[str, float]) -> str:
    return f"  {label:<28} F1 {m['f1']:.3f}  P {m['precision']:.3f}  R {m['recall']:.3f}  accuracy {m['accuracy']:.3f}"


def _share_line(label: str, m: dict[str, float | int]) -> str:
    return f"  {label:<28} {m['share']:.3f}  ({m['hits']}/{m['pages']})"


def _timing_line(m: dict[str, float]) -> str:
    return f"  {'extraction time':<28} median {m['median_ms']:.0f} ms  p95 {m['p95_ms']:.0f} ms"


def format_report(report: dict[str, Any], *, show_misses: bool = False) -> str:
    aeb, fundus = report["article_extraction_benchmark"], report["fundus_sample"]
    lines = [
        f"extract_article(html, url, min_text_chars=1) on {report['corpus']}",
        "Headline figure: body F1 of `text` alone (the 'title+text' row prepends the title).",
        "",
        f"article-extraction-benchmark ({aeb['pages']} pages): {_statuses(aeb['status'])}",
        _body_line("body, text [headline]", aeb["body_text"]),
        _body_line("body, title+text", aeb["body_title_text"]),
        _timing_line(aeb["timing"]),
        "  lowest page F1: " + ", ".join(f"{w['f1']:.2f} {w['url']}" for w in aeb["worst_pages"][:3]),
        "",
        f"fundus-sample ({fundus['pages']} pages): {_statuses(fundus['status'])}",
        _share_line("title (case/space norm.)", fundus["title"]),
        _share_line("date (day, minute if timed)", fundus["date"]),
        _share_line("first author in author", fundus["author"]),
        _share_line("language = content_lang", fundus["language"]),
        _body_line("body, text [headline]", fundus["body_text"]),
        _body_line("body, title+text", fundus["body_title_text"]),
        _timing_line(fundus["timing"]),
        "",
        f"all {report['timing_all_pages']['pages']} pages:",
        _timing_line(report["timing_all_pages"]),
    ]
    for name, part in (("aeb", aeb), ("fundus", fundus)):
        for key, message in part["errors"].items():
            lines.append(f"ERROR {name} {key}: {message}")
    if show_misses:
        for field, misses in fundus["misses"].items():
            lines.append("")
            lines.append(f"fundus {field} misses ({len(misses)}):")
            lines.extend(f"  {m['page']}: expected {m['expected']!r}, found {m['found']!r}" for m in misses)
    return "\n".join(lines)


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"evaluation corpus folder (default {DEFAULT_CORPUS})"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--show-misses", action="store_true", help="list the fundus pages whose title/date/author/language differ"
    )
    args = parser.parse_args(argv)
    missing = [folder for folder in (AEB, FUNDUS) if not (args.corpus / folder).is_dir()]
    if missing:
        print(f"evaluation corpus not found ({', '.join(missing)} missing under {args.corpus}); nothing to evaluate")
        sys.exit(0)
    report = run(args.corpus)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_report(report, show_misses=args.show_misses))


if __name__ == "__main__":
    main()
