"""Crawl throughput with and without the extraction process pool.

Serves the real news pages of the evaluation corpus (/work/shared/corpus, read at run time)
gunzipped from one local SiteServer, with an RSS 2.0 feed listing them all, and crawls them
end to end (Scrapy engine, trafilatura extraction, SQLite storage) through `run_crawl`, each
run into a fresh database. Modes: "pool" (`extract_workers: null`, one process per core) and
"thread" (`extract_workers: 0`, extraction in one thread of the crawl process), alternated.

Each run's time includes spawning the crawl's child process; a crawl of an empty feed, once
per mode, measures that start-up overhead, and pages/s is given raw and net of it.

    .venv/bin/python benchmarks/crawl_bench.py [--repeat 3] [--corpus PATH] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from newsalert.config.loader import Config, load_config
from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.crawler.runner import run_crawl

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FOLDERS = ("article-extraction-benchmark", "fundus-sample")
MODES: dict[str, int | None] = {"pool": None, "thread": 0}
HTML = "text/html; charset=utf-8"


def corpus_pages(corpus: Path) -> list[bytes]:
    files = sorted(path for folder in FOLDERS for path in (corpus / folder / "html").glob("*.html.gz"))
    return [gzip.decompress(path.read_bytes()) for path in files]


def rss(site: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Article {n}</title><link>{escape(link)}</link></item>" for n, link in enumerate(links, 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Corpus</title><link>{escape(site)}</link><description>benchmark</description>"
        f"{items}</channel></rss>"
    ).encode()


def write_config(directory: Path, server: SiteServer, workers: int | None) -> Config:
    outlets = [
        {"name": name, "url": server.url("/"), "feeds": [server.url(feed)]}
        for name, feed in (("corpus", "/rss.xml"), ("empty", "/empty.xml"))
    ]
    (directory / "outlets.yaml").write_text(yaml.safe_dump(outlets), encoding="utf-8")
    settings = {
        "outlets_file": "outlets.yaml",
        "topics_file": None,
        "crawl": {
            "max_age_days": None,
            "max_articles_per_outlet": 10_000,
            "obey_robots": False,
            "concurrency_per_domain": 16,
            "concurrency": 16,
            "extract_workers": workers,
            "scrapy_settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "ERROR"},
        },
    }
    path = directory / "newsalert.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    # An explicit database: $NEWSALERT_DB must not point the benchmark at a used archive.
    return load_config(path, database=f"sqlite:///{directory / 'newsalert.db'}")


def timed_crawl(server: SiteServer, outlet: str, mode: str) -> dict[str, Any]:
    """One crawl of `outlet` into a fresh database; its seconds and the outlet's tally."""
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
        config = write_config(Path(tmp), server, MODES[mode])
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = run_crawl(config, config.select_outlets([outlet]))
        seconds = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the crawl process and its extraction workers (descendants count once reaped).
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if result.status != "ok":
        sys.exit(f"the {mode} crawl of {outlet!r} ended {result.status}: {result.error}")
    tally = result.outlets[outlet]
    print(
        f"  {mode:<6} {outlet:<6} {seconds:6.2f} s  cpu {cpu:6.2f} s  pages {tally['pages']:>3}  "
        f"stored {tally['stored']:>3}  rejected {tally['rejected']:>3}  "
        f"duplicates {tally['duplicates']:>3}",
        file=sys.stderr,
        flush=True,
    )
    keys = ("pages", "stored", "rejected", "duplicates", "failed")
    return {"seconds": seconds, "cpu_seconds": cpu, **{key: tally[key] for key in keys}}


def summarize(runs: list[dict[str, Any]], overhead: float) -> dict[str, Any]:
    return {
        "overhead_seconds": overhead,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "median_pages_per_s": statistics.median(r["pages"] / r["seconds"] for r in runs),
        "median_net_pages_per_s": statistics.median(r["pages"] / max(r["seconds"] - overhead, 1e-9) for r in runs),
        "pages": sorted({r["pages"] for r in runs}),
        "stored": sorted({r["stored"] for r in runs}),
        "runs": runs,
    }


def table(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"cpus {machine['cpu_count']}, Python {machine['python']} ({machine['platform']}); "
        f"{report['corpus_pages']} pages, {report['repeat']} runs per mode; load average "
        f"{machine['load_before']:.2f} before, {machine['load_after']:.2f} after",
        "",
        f"{'mode':<8}{'workers':>8}{'start-up s':>12}{'median s':>10}{'cpu s':>7}{'pages/s':>9}"
        f"{'net p/s':>9}{'pages':>7}{'stored':>8}",
    ]
    for mode, s in report["modes"].items():
        workers = "null" if MODES[mode] is None else str(MODES[mode])
        lines.append(
            f"{mode:<8}{workers:>8}{s['overhead_seconds']:>12.2f}{s['median_seconds']:>10.2f}"
            f"{s['median_cpu_seconds']:>7.1f}"
            f"{s['median_pages_per_s']:>9.1f}{s['median_net_pages_per_s']:>9.1f}"
            f"{'/'.join(map(str, s['pages'])):>7}{'/'.join(map(str, s['stored'])):>8}"
        )
    ratio = report["ratio_pool_over_thread"]
    lines += [
        "",
        f"pool/thread of the medians: pages/s {ratio['pages_per_s']:.2f}, "
        f"net pages/s {ratio['net_pages_per_s']:.2f}, seconds {ratio['seconds']:.2f}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (default 3)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    pages = corpus_pages(args.corpus) if args.corpus.is_dir() else []
    if not pages:
        print(f"no corpus pages under {args.corpus}; nothing to benchmark")
        return

    load_before = os.getloadavg()[0]
    server = SiteServer().start()
    try:
        links = [server.url(f"/a/{n}.html") for n in range(1, len(pages) + 1)]
        server.routes.update({f"/a/{n}.html": Route(body, content_type=HTML) for n, body in enumerate(pages, 1)})
        feed_type = "application/rss+xml; charset=utf-8"
        server.routes["/rss.xml"] = Route(rss(server.url("/"), links), content_type=feed_type)
        server.routes["/empty.xml"] = Route(rss(server.url("/"), []), content_type=feed_type)

        print("start-up (empty feed):", file=sys.stderr)
        overhead = {mode: timed_crawl(server, "empty", mode)["seconds"] for mode in MODES}
        print("crawls:", file=sys.stderr)
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for _ in range(args.repeat):
            for mode in MODES:
                runs[mode].append(timed_crawl(server, "corpus", mode))
    finally:
        server.stop()

    modes = {mode: summarize(runs[mode], overhead[mode]) for mode in MODES}
    pool, thread = modes["pool"], modes["thread"]
    report = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        },
        "corpus_pages": len(pages),
        "repeat": args.repeat,
        "modes": modes,
        "ratio_pool_over_thread": {
            "pages_per_s": pool["median_pages_per_s"] / thread["median_pages_per_s"],
            "net_pages_per_s": pool["median_net_pages_per_s"] / thread["median_net_pages_per_s"],
            "seconds": pool["median_seconds"] / thread["median_seconds"],
        },
    }
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
