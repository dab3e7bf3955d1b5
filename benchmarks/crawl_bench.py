"""Crawl throughput against bare trafilatura, memory of the crawl's process tree, and the cost
of a re-crawl of unchanged outlets.

Three measurements, each through `newsalert crawl` run as a fresh process (the command a user
runs: its start-up, the crawl's child process, the extraction workers, the writes):

1. **Throughput.** The real news pages of the evaluation corpus (../shared/corpus, read at run
   time, never copied) served gunzipped by 10 local hosts (127.0.0.2 … 127.0.0.11), each with a
   sitemap of its pages; no topic filter, no age limit, no politeness ramp-up. The anchor is
   bare trafilatura (`bare_extraction(with_metadata=True)`) over the same pages in one process,
   measured in the same run, alternated with the crawls. Pages/s of each are wall-clock,
   end to end; the ratio is of the medians.
2. **Scale.** 2,000 article pages made from the corpus pages (each with a paragraph of its
   own, so none is an exact copy) on 10 hosts, each with an RSS feed and a sitemap carrying
   ETag and Last-Modified. The first crawl into a fresh archive: its time and the peak memory
   of the process tree (sampled every 0.1 s: the command, the crawl process, the fork server,
   the workers) and of each process. Then a re-crawl of the same, unchanged outlets, not
   sampled: its time over the first crawl's. (The throughput crawls are not sampled either;
   sampling costs the first crawl a little CPU, which favours the ratio slightly.)
3. **Demo.** The peak memory of `newsalert demo`'s process tree.

Memory is given as RSS (each process' resident pages; pages shared by forked workers count in
every process) and PSS (shared pages divided among the processes sharing them: what the tree
really occupies). Targets (issue 12): throughput >= 1.3x bare trafilatura; tree <= 600 MB on
the 2,000 pages, <= 400 MB on the demo; re-crawl <= 5% of the first crawl.

    .venv/bin/python benchmarks/crawl_bench.py [--repeat 3] [--pages 2000] [--corpus PATH] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import psutil
import yaml

from newsalert.crawler.demo.server import Route, SiteServer

ROOT = Path(__file__).resolve().parents[1]
NEWSALERT = Path(sys.executable).with_name("newsalert")
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = ("article-extraction-benchmark", "fundus-sample")
HOSTS = [f"127.0.0.{n}" for n in range(2, 12)]
HTML = "text/html; charset=utf-8"
LAST_MODIFIED = "Sun, 06 Dec 2026 06:00:00 GMT"
TARGETS = {"ratio": 1.3, "tree_mb": 600, "demo_mb": 400, "recrawl": 0.05}


def corpus_pages(corpus: Path) -> list[bytes]:
    files = sorted(path for folder in FOLDERS for path in (corpus / folder / "html").glob("*.html.gz"))
    return [gzip.decompress(path.read_bytes()) for path in files]


def sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def rss(site: str, urls: list[str]) -> bytes:
    items = "".join(f"<item><title>Article {n}</title><link>{escape(u)}</link></item>" for n, u in enumerate(urls))
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench</title>'
        f"<link>{escape(site)}</link><description>benchmark</description>{items}</channel></rss>"
    ).encode()


def own_paragraph(page: bytes, n: int) -> bytes:
    """The page with a paragraph of its own before its first closing </p>."""
    words = " ".join(f"w{(n * 7919 + k * 104729) % 1000003:x}" for k in range(40))
    marker = f"</p><p>Reference {n}: {words}.</p>".encode()
    return page.replace(b"</p>", marker, 1) if b"</p>" in page else page


class Mirror:
    """Pages spread over the local hosts, each host with a sitemap (and, for scale, a feed)."""

    def __init__(self, pages: list[bytes], *, feeds: bool, validators: bool) -> None:
        self.servers = [SiteServer(host=host).start() for host in HOSTS]
        headers = {"Last-Modified": LAST_MODIFIED} if validators else {}
        per_host: list[list[str]] = [[] for _ in self.servers]
        for n, body in enumerate(pages):
            index = n % len(self.servers)
            server = self.servers[index]
            path = f"/{2026}/{12}/article-{n}.html"
            server.routes[path] = Route(body, content_type=HTML)
            per_host[index].append(server.url(path))
        for index, (server, urls) in enumerate(zip(self.servers, per_host, strict=True)):
            etag = {"ETag": f'"sitemap-{index}"'} if validators else {}
            server.routes["/sitemap.xml"] = Route(sitemap(urls), content_type="application/xml", headers=headers)
            if feeds:
                body = rss(server.url("/"), urls[-50:])
                server.routes["/rss.xml"] = Route(body, content_type="application/rss+xml", headers=etag)
        self.feeds = feeds

    def outlets(self) -> list[dict[str, Any]]:
        return [
            {
                "name": f"Host {n}",
                "url": server.url("/"),
                "sitemaps": [server.url("/sitemap.xml")],
                **({"feeds": [server.url("/rss.xml")]} if self.feeds else {}),
            }
            for n, server in enumerate(self.servers, 1)
        ]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def write_config(directory: Path, outlets: list[dict[str, Any]]) -> Path:
    (directory / "outlets.yaml").write_text(yaml.safe_dump(outlets), encoding="utf-8")
    settings = {
        "database": f"sqlite:///{directory / 'newsalert.db'}",
        "outlets_file": "outlets.yaml",
        "topics_file": None,
        "crawl": {
            "max_age_days": None,
            "max_articles_per_outlet": 100_000,
            "obey_robots": False,
            "concurrency": 32,
            "concurrency_per_domain": 8,
            "scrapy_settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0},
        },
    }
    path = directory / "newsalert.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@dataclass
class Peak:
    """The largest memory of a process tree, sampled, in total and per process."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0
    per_process: dict[str, float] = field(default_factory=dict)  # role -> peak RSS MB
    # role -> (PSS, USS) MB at the sample where the tree's PSS peaked: what each process adds
    at_peak: dict[str, tuple[float, float]] = field(default_factory=dict)


def role(process: psutil.Process, root: psutil.Process) -> str:
    if process.pid == root.pid:
        return "command"
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return "other"
    if "forkserver" in command:  # the fork server, and the workers it forked (same command line)
        parent = process.parent()
        return "worker" if parent is not None and "forkserver" in " ".join(parent.cmdline()) else "fork server"
    if "resource_tracker" in command:
        return "resource tracker"
    if "spawn_main" in command:
        return "crawl process"
    return "worker"


class TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = Peak()
        self.finished = threading.Event()
        # A process's role, read once: a process starting or ending may not show its command
        # line, which would file it under another role for that one sample.
        self._roles: dict[int, str] = {}

    def run(self) -> None:
        while not self.finished.is_set():
            self.sample()
            self.finished.wait(self.interval)

    def sample(self) -> None:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        rss = pss = 0.0
        roles: dict[str, int] = {}
        shares: dict[str, tuple[float, float]] = {}
        for process in processes:
            try:
                memory = process.memory_full_info()
            except psutil.Error:
                continue
            rss += memory.rss / 2**20
            pss += memory.pss / 2**20
            name = self._roles.get(process.pid) or role(process, self.root)
            if name != "other":
                self._roles[process.pid] = name
            roles[name] = roles.get(name, 0) + 1
            label = name if name in ("command", "crawl process", "fork server") else f"{name} {roles[name]}"
            self.peak.per_process[label] = max(self.peak.per_process.get(label, 0.0), memory.rss / 2**20)
            shares[label] = (memory.pss / 2**20, memory.uss / 2**20)
        if pss > self.peak.pss_mb:
            self.peak.at_peak = shares
        self.peak.rss_mb, self.peak.pss_mb = max(self.peak.rss_mb, rss), max(self.peak.pss_mb, pss)


def run_command(args: list[str], cwd: Path, *, sample: bool = True) -> tuple[float, Peak, str]:
    """Run `newsalert ARGS`; its wall time, the peak memory of its tree (when `sample`: reading
    every process's memory costs CPU, so timed runs go without) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(NEWSALERT), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    sampler = TreeSampler(process.pid) if sample else None
    if sampler:
        sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    if sampler:
        sampler.finished.set()
        sampler.join()
    if process.returncode not in (0, 1):
        sys.exit(f"newsalert {' '.join(args)} failed ({process.returncode}):\n{output}")
    return seconds, sampler.peak if sampler else Peak(), output


def crawl(config: Path, *, sample: bool = False) -> tuple[float, Peak, int]:
    """One `newsalert crawl`; its seconds, peak memory (when `sample`) and the pages it fetched."""
    seconds, peak, _output = run_command(["--config", str(config), "crawl"], config.parent, sample=sample)
    with closing(sqlite3.connect(config.parent / "newsalert.db")) as archive:
        [(pages,)] = archive.execute(
            "SELECT SUM(pages) FROM outlet_runs WHERE run_id = (SELECT MAX(id) FROM crawl_runs)"
        )
    return seconds, peak, int(pages or 0)


def bare_trafilatura(pages: list[bytes], urls: list[str]) -> float:
    """Pages/s of trafilatura alone, with metadata, in this process."""
    import trafilatura

    started = time.perf_counter()
    for html, url in zip(pages, urls, strict=True):
        trafilatura.bare_extraction(html, url=url, with_metadata=True)
    return len(pages) / (time.perf_counter() - started)


def throughput(pages: list[bytes], repeat: int) -> dict[str, Any]:
    mirror = Mirror(pages, feeds=False, validators=False)
    urls = [url for server in mirror.servers for url in (server.url(p) for p in server.routes if p != "/sitemap.xml")]
    bare_trafilatura(pages[:10], urls[:10])  # trafilatura's lazy tables, as a worker has them
    bare, crawls = [], []
    try:
        for n in range(repeat):
            bare.append(bare_trafilatura(pages, urls[: len(pages)]))
            with tempfile.TemporaryDirectory(prefix="crawl-bench-") as folder:
                seconds, _peak, fetched = crawl(write_config(Path(folder), mirror.outlets()))
            crawls.append({"seconds": seconds, "pages": fetched, "pages_per_s": fetched / seconds})
            print(
                f"  run {n + 1}: bare {bare[-1]:.1f} pages/s; crawl {fetched} pages in {seconds:.1f} s "
                f"= {crawls[-1]['pages_per_s']:.1f} pages/s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        mirror.stop()
    crawl_median = statistics.median(c["pages_per_s"] for c in crawls)
    bare_median = statistics.median(bare)
    return {
        "pages": len(pages),
        "bare_pages_per_s": bare,
        "crawls": crawls,
        "median_bare_pages_per_s": bare_median,
        "median_crawl_pages_per_s": crawl_median,
        "ratio": crawl_median / bare_median,
    }


def scale(pages: list[bytes], count: int) -> dict[str, Any]:
    made = [own_paragraph(pages[n % len(pages)], n) for n in range(count)]
    mirror = Mirror(made, feeds=True, validators=True)
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as folder:
            config = write_config(Path(folder), mirror.outlets())
            first, peak, fetched = crawl(config, sample=True)
            print(f"  first crawl: {fetched} pages in {first:.1f} s", file=sys.stderr, flush=True)
            again, _peak, refetched = crawl(config)
            print(f"  re-crawl: {refetched} pages in {again:.2f} s", file=sys.stderr, flush=True)
    finally:
        mirror.stop()
    return {
        "pages": count,
        "first_seconds": first,
        "first_pages": fetched,
        "recrawl_seconds": again,
        "recrawl_pages": refetched,
        "recrawl_ratio": again / first,
        "peak": peak.__dict__,
    }


def demo_memory() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as folder:
        seconds, peak, _ = run_command(["demo"], Path(folder))
    return {"seconds": seconds, "peak": peak.__dict__}


def verdict(value: float, target: float, *, at_most: bool) -> str:
    return "ok" if (value <= target if at_most else value >= target) else "MISSED"


def table(report: dict[str, Any]) -> str:
    machine, speed, big, demo = report["machine"], report["throughput"], report["scale"], report["demo"]
    lines = [
        f"cpus {machine['cpu_count']}, Python {machine['python']}; load average {machine['load_before']:.2f} "
        f"before, {machine['load_after']:.2f} after",
    ]
    if speed:
        lines += [
            "",
            f"throughput ({speed['pages']} corpus pages on {len(HOSTS)} hosts, {len(speed['crawls'])} runs, medians):",
            f"  bare trafilatura, one process   {speed['median_bare_pages_per_s']:7.1f} pages/s",
            f"  newsalert crawl, end to end     {speed['median_crawl_pages_per_s']:7.1f} pages/s",
            f"  ratio                           {speed['ratio']:7.2f}x   target >= {TARGETS['ratio']}x  "
            f"{verdict(speed['ratio'], TARGETS['ratio'], at_most=False)}",
        ]
    if big:
        lines += [
            "",
            f"scale ({big['pages']} made pages on {len(HOSTS)} hosts):",
            f"  first crawl                     {big['first_seconds']:7.1f} s ({big['first_pages']} pages)",
            memory_line(big["peak"], TARGETS["tree_mb"]),
            *per_process(big["peak"]),
            f"  re-crawl, outlets unchanged     {big['recrawl_seconds']:7.2f} s ({big['recrawl_pages']} pages) = "
            f"{big['recrawl_ratio']:.1%} of the first   target <= {TARGETS['recrawl']:.0%}  "
            f"{verdict(big['recrawl_ratio'], TARGETS['recrawl'], at_most=True)}",
        ]
    if demo:
        lines += ["", f"demo ({demo['seconds']:.1f} s):", memory_line(demo["peak"], TARGETS["demo_mb"])]
        lines += per_process(demo["peak"])
    return "\n".join(lines)


def memory_line(peak: dict[str, Any], target: float) -> str:
    return (
        f"  peak memory of the tree         {peak['rss_mb']:7.0f} MB RSS, {peak['pss_mb']:.0f} MB PSS   "
        f"target <= {target:.0f} MB  {verdict(peak['pss_mb'], target, at_most=True)} (PSS)"
    )


def per_process(peak: dict[str, Any]) -> list[str]:
    """Each process's peak RSS, and its PSS and USS (memory no other process shares) when the
    tree's PSS peaked."""
    at_peak = peak.get("at_peak", {})
    return [
        f"    {name:<28}{mb:7.0f} MB RSS"
        + (f", {at_peak[name][0]:4.0f} PSS, {at_peak[name][1]:4.0f} USS at the peak" if name in at_peak else "")
        for name, mb in sorted(peak["per_process"].items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (default 3)")
    parser.add_argument("--pages", type=int, default=2000, help="pages of the scale crawl (default 2000)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--only", choices=("throughput", "scale", "demo"), help="run one measurement")
    args = parser.parse_args()
    if args.repeat < 1 or args.pages < 1:
        parser.error("--repeat and --pages must be at least 1")
    pages = corpus_pages(args.corpus) if args.corpus.is_dir() else []
    if not pages:
        print(f"no corpus pages under {args.corpus}; nothing to benchmark")
        return

    load_before = os.getloadavg()[0]
    wanted = {args.only} if args.only else {"throughput", "scale", "demo"}
    print("throughput:", file=sys.stderr)
    speed = throughput(pages, args.repeat) if "throughput" in wanted else None
    print("scale:", file=sys.stderr)
    big = scale(pages, args.pages) if "scale" in wanted else None
    print("demo:", file=sys.stderr)
    demo = demo_memory() if "demo" in wanted else None
    report = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        },
        "throughput": speed,
        "scale": big,
        "demo": demo,
        "targets": TARGETS,
    }
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
