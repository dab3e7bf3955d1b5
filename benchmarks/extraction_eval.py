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
- reader labels of the AEB pages (benchmarks/data/aeb_reader_labels.json, written by a
  helper that had not seen the extraction rules): the headline a reader sees and the first
  author the visible byline credits. A second title and author set, from 126 other sites,
  so that title and author rules are not judged on fundus's 60 pages alone. The labels are
  kept as SHA-256 digests (of the label casefolded, whitespace collapsed): a title matches
  when its digest is the label's, an author when one of the names in `Extracted.author`
  (";"-separated) has the label's digest.

Every page goes through `extract_article(html, url, min_text_chars=1)`. A Rejection (or an
exception, counted apart) gives empty text and no metadata. `extract_article` strips a
leading headline line from the text, and the annotations sometimes include the headline,
so the body metric is given twice:

- "text": `Extracted.text` alone. This is the HEADLINE figure, because it is the text the
  pipeline stores and matches topics against.
- "title+text": `title + "\\n" + text`, for comparison only.

Each corpus is split once into a dev half and a test half by the first byte of the SHA-256
of the page key (even: dev). Tuning looks at dev misses only (`--show-misses` lists dev pages
unless told otherwise); every figure is printed for dev, test and all pages, beside the
target the project set for it (issue 12).

Extraction time is the wall time of each `extract_article` call in this run (HTML already
decoded), reported as median and p95 in milliseconds.

    .venv/bin/python benchmarks/extraction_eval.py [--corpus PATH] [--json] [--show-misses [dev|test|all]]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsalert.domain import Extracted, Rejection
from newsalert.pipelines.extract import extract_article

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
READER_LABELS = Path(__file__).resolve().parent / "data" / "aeb_reader_labels.json"
AEB = "article-extraction-benchmark"
FUNDUS = "fundus-sample"
SHINGLE = 4
TOKEN = re.compile(r"\w+", re.UNICODE)
SPLITS = ("dev", "test", "all")
# The targets of issue 12 part 7 (None: reported, no target).
TARGETS: dict[str, float | None] = {
    "aeb_body": 0.970,
    "aeb_title": None,
    "aeb_author": None,
    "fundus_title": 0.90,
    "fundus_date_day": 0.99,
    "fundus_date_minute": None,
    "fundus_author": 0.90,
    "fundus_language": None,
    "fundus_body": None,  # no target of its own: must not fall below the baseline
}

TpFpFn = tuple[float, float, float]


# --- corpus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: str
    truth: dict[str, Any]


def split_of(key: str) -> str:
    """'dev' or 'test', fixed for ever by the page key (half and half, deterministically)."""
    return "dev" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def in_split(pages: Sequence[Page], split: str) -> list[Page]:
    return [page for page in pages if split == "all" or split_of(page.key) == split]


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


def date_matches(expected: str, extracted: Extracted | None, *, to_the_minute: bool = True) -> bool:
    """Right to the day, and (unless `to_the_minute` is false) to the minute when the expected
    value has a time of day.

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
    if not to_the_minute or (want.hour, want.minute, want.second, want.microsecond) == (0, 0, 0, 0):
        return True
    return (ours.hour, ours.minute) == (want.hour, want.minute)


def date_day_matches(expected: str, extracted: Extracted | None) -> bool:
    return date_matches(expected, extracted, to_the_minute=False)


def author_matches(expected: Sequence[str], extracted: Extracted | None) -> bool | None:
    """The first expected author's name in our author string; None when none is expected."""
    if not expected:
        return None
    ours = extracted.author if extracted else None
    return bool(ours) and normalize_title(expected[0]) in normalize_title(ours)


def label_digest(value: str | None) -> str:
    return hashlib.sha256(normalize_title(value).encode("utf-8")).hexdigest()


def reader_title_matches(label: str | None, extracted: Extracted | None) -> bool | None:
    """Our title is the headline a reader sees (by digest); None when the page has no label."""
    if label is None:
        return None
    return extracted is not None and label_digest(extracted.title) == label


def reader_author_matches(label: str | None, extracted: Extracted | None) -> bool | None:
    """One of our authors is the first one the byline credits; None when it credits nobody."""
    if label is None:
        return None
    names = extracted.author.split(";") if extracted and extracted.author else []
    return any(label_digest(name) == label for name in names)


def language_matches(expected: str, extracted: Extracted | None) -> bool:
    return extracted is not None and (extracted.language or "").lower() == expected.lower()


def share(flags: Iterable[bool | None]) -> dict[str, float | int]:
    counted = [flag for flag in flags if flag is not None]
    hits = sum(counted)
    return {"share": hits / len(counted) if counted else 0.0, "hits": hits, "pages": len(counted)}


# The metadata checks: (report key, ground-truth field, check, how a value is shown in a miss).
Check = Callable[[Any, Extracted | None], bool | None]
Checks = dict[str, tuple[str, Check, Callable[[Extracted], Any]]]
FUNDUS_CHECKS: Checks = {
    "title": ("title", title_matches, lambda e: e.title),
    "date_day": ("publishing_date", date_day_matches, lambda e: _iso(e.published_at)),
    "date_minute": ("publishing_date", date_matches, lambda e: _iso(e.published_at)),
    "author": ("authors", author_matches, lambda e: e.author),
    "language": ("content_language", language_matches, lambda e: e.language),
}
READER_CHECKS: Checks = {
    "title": ("title_sha256", reader_title_matches, lambda e: e.title),
    "author": ("author_sha256", reader_author_matches, lambda e: e.author),
}


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


def body_figures(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    chosen = [outcomes[page.key] for page in pages]
    truths = [page.truth.get("articleBody") or "" for page in pages]
    return {
        "pages": len(pages),
        "body_text": body_metrics([(t, o.text) for t, o in zip(truths, chosen, strict=True)]),
        "body_title_text": body_metrics([(t, o.title_and_text) for t, o in zip(truths, chosen, strict=True)]),
        "timing": timing(chosen),
    }


Figures = Callable[[Sequence[Page], dict[str, Outcome]], Any]


def evaluate(
    pages: Sequence[Page], outcomes: dict[str, Outcome], figures: Figures, details: tuple[str, Figures]
) -> dict[str, Any]:
    """Statuses and errors over all pages; `figures` and the named `details` for each split."""
    chosen = [outcomes[page.key] for page in pages]
    detail_name, detail = details
    return {
        "pages": len(pages),
        "status": status_counts(chosen),
        "errors": errors(chosen),
        "splits": {split: figures(in_split(pages, split), outcomes) for split in SPLITS},
        detail_name: {split: detail(in_split(pages, split), outcomes) for split in SPLITS},
    }


def evaluate_aeb(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    report = evaluate(pages, outcomes, body_figures, ("worst_pages", worst_pages))
    labelled = [page for page in pages if "title_sha256" in page.truth]
    report["reader_labels"] = {
        "pages": len(labelled),
        "splits": {split: check_figures(in_split(labelled, split), outcomes, READER_CHECKS) for split in SPLITS},
        "misses": {split: check_misses(in_split(labelled, split), outcomes, READER_CHECKS) for split in SPLITS},
    }
    return report


def worst_pages(pages: Sequence[Page], outcomes: dict[str, Outcome], count: int = 5) -> list[dict[str, Any]]:
    scored = sorted(
        (page_f1(page.truth.get("articleBody") or "", outcomes[page.key].text), page.url, page.key) for page in pages
    )
    return [{"f1": round(f1, 3), "url": url, "page": key} for f1, url, key in scored[:count]]


def check_figures(pages: Sequence[Page], outcomes: dict[str, Outcome], checks: Checks) -> dict[str, Any]:
    extracted = [outcomes[page.key].extracted for page in pages]
    return {
        name: share(check(page.truth[field], ours) for page, ours in zip(pages, extracted, strict=True))
        for name, (field, check, _shown) in checks.items()
    }


Misses = dict[str, list[dict[str, Any]]]


def check_misses(pages: Sequence[Page], outcomes: dict[str, Outcome], checks: Checks) -> Misses:
    misses: Misses = {name: [] for name in checks}
    for page in pages:
        ours = outcomes[page.key].extracted
        for name, (field, check, shown) in checks.items():
            if check(page.truth[field], ours) is False:
                expected = page.truth[field][0] if field == "authors" else page.truth[field]
                misses[name].append({"page": page.key, "expected": expected, "found": shown(ours) if ours else None})
    return misses


def fundus_figures(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    return body_figures(pages, outcomes) | check_figures(pages, outcomes, FUNDUS_CHECKS)


def fundus_misses(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> Misses:
    return check_misses(pages, outcomes, FUNDUS_CHECKS)


def evaluate_fundus(pages: Sequence[Page], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    return evaluate(pages, outcomes, fundus_figures, ("misses", fundus_misses))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run(corpus: Path) -> dict[str, Any]:
    aeb_pages = load_pages(corpus, AEB)
    labels = json.loads(READER_LABELS.read_text(encoding="utf-8"))["labels"]
    for page in aeb_pages:
        page.truth.update(labels.get(page.key, {}))
    fundus_pages = load_pages(corpus, FUNDUS)
    aeb_outcomes = extract_all(aeb_pages)
    fundus_outcomes = extract_all(fundus_pages)
    return {
        "corpus": str(corpus),
        "python": platform.python_version(),
        "headline_body_variant": "text",
        "targets": TARGETS,
        "article_extraction_benchmark": evaluate_aeb(aeb_pages, aeb_outcomes),
        "fundus_sample": evaluate_fundus(fundus_pages, fundus_outcomes),
        "timing_all_pages": timing([*aeb_outcomes.values(), *fundus_outcomes.values()]),
    }


def _row(label: str, cells: Iterable[str], target: str = "") -> str:
    return f"  {label:<30}" + "".join(f"{cell:<22}" for cell in cells) + target


def _target(name: str, values: Iterable[float]) -> str:
    goal = TARGETS.get(name)
    if goal is None:
        return ""
    reached = "met" if all(value >= goal for value in values) else "NOT met"
    return f">= {goal:.3f} ({reached})"


def _share_row(label: str, name: str, splits: dict[str, Any], key: str) -> str:
    figures = [splits[split][key] for split in SPLITS]
    cells = [f"{m['share']:.3f} ({m['hits']}/{m['pages']})" for m in figures]
    return _row(label, cells, _target(name, [m["share"] for m in figures]))


def _body_rows(label: str, name: str, splits: dict[str, Any], key: str) -> list[str]:
    figures = [splits[split][key] for split in SPLITS]
    return [
        _row(f"{label} F1", (f"{m['f1']:.3f}" for m in figures), _target(name, [m["f1"] for m in figures])),
        _row(f"{label} P / R", (f"{m['precision']:.3f} / {m['recall']:.3f}" for m in figures)),
    ]


def _timing_row(splits: dict[str, Any]) -> str:
    return _row(
        "extraction ms median / p95",
        (f"{splits[s]['timing']['median_ms']:.0f} / {splits[s]['timing']['p95_ms']:.0f}" for s in SPLITS),
    )


def _split_header(splits: dict[str, Any]) -> str:
    return _row("", (f"{split} ({splits[split]['pages']})" for split in SPLITS), "target")


def format_report(report: dict[str, Any], *, show_misses: str | None = None) -> str:
    aeb, fundus = report["article_extraction_benchmark"], report["fundus_sample"]
    a, f, r = aeb["splits"], fundus["splits"], aeb["reader_labels"]["splits"]
    lines = [
        f"extract_article(html, url, min_text_chars=1) on {report['corpus']}",
        "Headline body figure: F1 of `text` alone (the 'title+text' rows prepend the title).",
        "dev/test: halves by the SHA-256 of the page key; tuning looked at dev misses only.",
        "",
        f"article-extraction-benchmark ({aeb['pages']} pages): {_statuses(aeb['status'])}",
        _split_header(a),
        *_body_rows("body, text [headline]", "aeb_body", a, "body_text"),
        *_body_rows("body, title+text", "", a, "body_title_text"),
        _timing_row(a),
        "  lowest dev page F1: " + ", ".join(f"{w['f1']:.2f} {w['url']}" for w in aeb["worst_pages"]["dev"][:3]),
        f"  reader labels ({aeb['reader_labels']['pages']} pages; authors where the page shows a byline):",
        _share_row("title a reader sees", "aeb_title", r, "title"),
        _share_row("first author of the byline", "aeb_author", r, "author"),
        "",
        f"fundus-sample ({fundus['pages']} pages): {_statuses(fundus['status'])}",
        _split_header(f),
        _share_row("title (case/space norm.)", "fundus_title", f, "title"),
        _share_row("date right to the day", "fundus_date_day", f, "date_day"),
        _share_row("date (day, minute if timed)", "fundus_date_minute", f, "date_minute"),
        _share_row("first author in author", "fundus_author", f, "author"),
        _share_row("language = content_lang", "fundus_language", f, "language"),
        *_body_rows("body, text [headline]", "fundus_body", f, "body_text"),
        *_body_rows("body, title+text", "", f, "body_title_text"),
        _timing_row(f),
        "",
        f"all {report['timing_all_pages']['pages']} pages:",
        _row("extraction ms median / p95", [_ms(report["timing_all_pages"])]),
    ]
    for name, part in (("aeb", aeb), ("fundus", fundus)):
        for key, message in part["errors"].items():
            lines.append(f"ERROR {name} {key}: {message}")
    if show_misses:
        lines += ["", f"aeb lowest page F1 ({show_misses}):"]
        lines += [f"  {w['f1']:.3f} {w['page']} {w['url']}" for w in aeb["worst_pages"][show_misses]]
        for field, misses in aeb["reader_labels"]["misses"][show_misses].items():
            lines.append("")
            lines.append(f"aeb reader-label {field} misses ({show_misses}, {len(misses)}):")
            lines.extend(f"  {m['page']}: found {m['found']!r}" for m in misses)
        for field, misses in fundus["misses"][show_misses].items():
            lines.append("")
            lines.append(f"fundus {field} misses ({show_misses}, {len(misses)}):")
            lines.extend(f"  {m['page']}: expected {m['expected']!r}, found {m['found']!r}" for m in misses)
    return "\n".join(lines)


def _ms(m: dict[str, float]) -> str:
    return f"{m['median_ms']:.0f} / {m['p95_ms']:.0f}"


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"evaluation corpus folder (default {DEFAULT_CORPUS})"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--show-misses",
        nargs="?",
        const="dev",
        choices=SPLITS,
        help="list the fundus misses and the lowest AEB pages of one split (default dev: the one to tune on)",
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
