"""Fixed costs: how long the command line takes to answer, and how long a worker takes to be ready.

- `newsalert --help` and `newsalert search` on a demo archive (built first, in a temporary
  folder, with `newsalert demo`), each run as a fresh process, median of --repeat runs;
- the first request of a crawl: from starting `newsalert crawl` (a fresh process) to the
  first request a local outlet receives;
- the extraction workers: two workers asked to analyse one page each, timed from the pool's
  creation to both answers, for workers spawned afresh (each loads the analysis' data) and
  for workers forked from the crawl's fork server (which loads it once, crawler/preload.py).
  "first pool" includes starting and warming the fork server; "next pool" is what a replaced
  worker costs (the fork server is warm by then).

    .venv/bin/python benchmarks/startup_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEWSALERT = Path(sys.executable).with_name("newsalert")


def timed_command(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(NEWSALERT), *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def first_request_times(repeat: int) -> list[float]:
    import yaml

    from newsalert.crawler.demo.server import Route, SiteServer

    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    site = SiteServer({"/feed.xml": Route(feed, content_type="application/rss+xml")}).start()
    times = []
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "newsalert.yaml"
        outlets = [{"name": "Bench", "url": site.url("/"), "feeds": [site.url("/feed.xml")]}]
        (Path(folder) / "outlets.yaml").write_text(yaml.safe_dump(outlets), encoding="utf-8")
        topics = str(ROOT / "config" / "topics.yaml")
        settings = {"database": "sqlite:///bench.db", "outlets_file": "outlets.yaml", "topics_file": topics}
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        subprocess.run([str(NEWSALERT), "--config", str(config), "init"], check=True, capture_output=True)
        for _ in range(repeat):
            site.times.clear()
            started = time.monotonic()
            crawl = subprocess.Popen(
                [str(NEWSALERT), "--config", str(config), "crawl"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            while not site.times and crawl.poll() is None:
                time.sleep(0.005)
            times.append(site.times[0][0] - started)
            crawl.wait()
    site.stop()
    return times


def pool_times(mode: str) -> tuple[float, float]:
    """(first pool, next pool) seconds until two workers have each analysed a page."""
    from newsalert.config.loader import load_topics
    from newsalert.crawler import workers
    from newsalert.crawler.workers import WorkerPool, WorkerSettings, article_task
    from newsalert.domain import Hints
    from newsalert.pipelines.analyze import WARM_UP_PAGE
    from newsalert.pipelines.extract import PageLimits

    if mode == "spawn":
        workers.worker_context = lambda: multiprocessing.get_context("spawn")  # type: ignore[assignment]
    settings = WorkerSettings(load_topics(ROOT / "config" / "topics.yaml"), 250, PageLimits().max_elements, 1536)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        pool = WorkerPool(2, settings, timeout=120)

        async def both(pool: WorkerPool) -> None:
            await asyncio.gather(
                *(pool.run(article_task, WARM_UP_PAGE, f"https://a.example/{n}", Hints(), None) for n in range(2))
            )

        asyncio.run(both(pool))
        times.append(time.perf_counter() - started)
        pool.close()
    return times[0], times[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; median of {args.repeat} runs each")
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        subprocess.run([str(NEWSALERT), "demo"], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        config = str(cwd / "data" / "demo" / "newsalert.yaml")
        help_times = [timed_command(["--help"], cwd) for _ in range(args.repeat)]
        search_times = [timed_command(["--config", config, "search", "cooperation"], cwd) for _ in range(args.repeat)]
    print(f"newsalert --help                   {statistics.median(help_times):6.2f} s   (target <= 0.30 s)")
    print(f"newsalert search (demo archive)    {statistics.median(search_times):6.2f} s   (target <= 0.50 s)")
    first_request = first_request_times(args.repeat)
    print(f"first request of a crawl          {statistics.median(first_request):6.2f} s   (target <= 2.00 s)")
    for mode in ("spawn", "forkserver"):
        runs = [
            subprocess.run(
                [sys.executable, __file__, "--pool-mode", mode], check=True, capture_output=True, text=True
            ).stdout.split()
            for _ in range(args.repeat)
        ]
        first = statistics.median(float(run[0]) for run in runs)
        following = statistics.median(float(run[1]) for run in runs)
        print(f"two workers ready, {mode:<10}  first pool {first:5.2f} s, next pool {following:5.2f} s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--pool-mode":
        first, following = pool_times(sys.argv[2])
        print(f"{first:.3f} {following:.3f}")
        sys.exit(0)
    sys.exit(main())
