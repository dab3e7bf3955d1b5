"""Where a crawl's CPU goes, stage by stage, on the corpus pages (../shared/corpus, read at run
time): what `crawl_bench.py` measures end to end, taken apart in one process.

For every page: bare trafilatura (the anchor), then the crawl's own stages as the workers run
them (extraction; analysis: relevance and tags; the MinHash fingerprint), then storing the
pages into a fresh SQLite archive in the crawl's batches, with the store's parts timed apart
(the article row, its full-text entry, the near-copy lookup, the LSH band rows, the tags, the
URL ledger). Each figure is CPU time per page in milliseconds, in this run, beside the bare
trafilatura figure, so the ratios hold whatever the machine's speed.

    .venv/bin/python benchmarks/crawl_profile.py [--corpus PATH] [--topics]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from newsalert.config.loader import load_topics
from newsalert.config.models import Outlet
from newsalert.domain import Hints, PageItem, Rejection, Tokenized
from newsalert.pipelines.analyze import Analyzer, warm_up
from newsalert.pipelines.dedup import fingerprint
from newsalert.pipelines.extract import extract_article
from newsalert.storage import articles, ledger
from newsalert.storage.db import open_database
from newsalert.storage.ingest import save_page

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = ("article-extraction-benchmark", "fundus-sample")
BATCH = 50  # StorePipeline.BATCH_SIZE
STORE_PARTS = {
    "full-text entry": (articles, "index_article"),
    "near-copy lookup": (articles, "find_near_copy"),
    "LSH band rows": (articles, "add_lsh_bands"),
    "tags": (articles, "add_tags"),
    "URL ledger": (ledger, "record_urls"),
}


def timed(totals: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--topics", action="store_true", help="judge relevance with config/topics.yaml")
    args = parser.parse_args()
    files = sorted(p for folder in FOLDERS for p in (args.corpus / folder / "html").glob("*.html.gz"))
    if not files:
        print(f"no corpus pages under {args.corpus}; nothing to profile")
        return
    pages = [gzip.decompress(path.read_bytes()).decode("utf-8", "replace") for path in files]
    urls = [f"http://127.0.0.2/2026/12/article-{n}.html" for n in range(len(pages))]
    warm_up()
    analyzer = Analyzer(load_topics(ROOT / "config" / "topics.yaml") if args.topics else None)
    cpu: dict[str, float] = defaultdict(float)

    for html, url in zip(pages, urls, strict=True):
        started = time.process_time()
        trafilatura.bare_extraction(html, url=url, with_metadata=True)
        cpu["bare trafilatura"] += time.process_time() - started

    items = []
    for html, url in zip(pages, urls, strict=True):
        started = time.process_time()
        article = extract_article(html, url, hints=Hints())
        cpu["extraction"] += time.process_time() - started
        item = PageItem(outlet="corpus", url=url, aliases=[url])
        if isinstance(article, Rejection):
            item.outcome = article
        else:
            started = time.process_time()
            title, body = Tokenized.of(article.title, article.language), Tokenized.of(article.text, article.language)
            relevance, tags = analyzer.judge_tokens(title, body)
            item.search_forms = (title.search_form, body.search_form)  # as analyze() does
            cpu["analysis (relevance, tags)"] += time.process_time() - started
            started = time.process_time()
            item.fingerprint = fingerprint(body)
            cpu["fingerprint (MinHash)"] += time.process_time() - started
            item.outcome, item.relevance, item.tags = article, relevance, tags
        items.append(item)

    for name, (module, attribute) in STORE_PARTS.items():
        setattr(module, attribute, timed(cpu, f"  {name}", getattr(module, attribute)))
    with tempfile.TemporaryDirectory(prefix="crawl-profile-") as folder:
        engine, sessions = open_database(f"sqlite:///{folder}/archive.db")
        outlet = Outlet(name="corpus", url="http://127.0.0.2/", sitemaps=["http://127.0.0.2/sitemap.xml"])
        with sessions.begin() as session:
            outlet_id = ledger.sync_outlets(session, [outlet])["corpus"]
        started = time.process_time()
        for start in range(0, len(items), BATCH):
            with sessions.begin() as session:
                for item in items[start : start + BATCH]:
                    save_page(session, item, outlet_id)
        cpu["store (all of it)"] = time.process_time() - started
        engine.dispose()
    cpu["  article row and the rest"] = cpu["store (all of it)"] - sum(cpu[f"  {name}"] for name in STORE_PARTS)

    bare = cpu["bare trafilatura"]
    print(f"{len(pages)} corpus pages; CPU ms per page, and as a share of bare trafilatura")
    order = ["bare trafilatura", "extraction", "analysis (relevance, tags)", "fingerprint (MinHash)"]
    order += ["store (all of it)", *(f"  {name}" for name in STORE_PARTS), "  article row and the rest"]
    for name in order:
        print(f"  {name:<32}{1000 * cpu[name] / len(pages):8.1f} ms {cpu[name] / bare:7.2f}x")
    crawl_work = sum(cpu[n] for n in ("extraction", "analysis (relevance, tags)", "fingerprint (MinHash)"))
    total = crawl_work + cpu["store (all of it)"]
    print(
        f"  the crawl's work per page is {total / bare:.2f}x bare trafilatura; on 2 cores, with nothing else, "
        f"at most {2 * bare / total:.2f}x its throughput",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
