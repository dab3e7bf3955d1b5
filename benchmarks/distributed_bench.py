"""Distributed crawl throughput with 1, 2 and 4 Celery workers (issue 14).

Outlets whose article pages answer after 200 ms (latency-bound, as real sites are), served
from this machine; a fresh PostgreSQL schema per crawl; the real RabbitMQ at 127.0.0.1:5672.
Each crawl is `newsalert crawl` run as a fresh process with N `newsalert worker` processes
(--concurrency 1 each by default: one outlet at a time) already up and idle; the time is the
dispatcher's, from start to the summary table. Throughput is article pages stored per second; the figure of merit is the
ratio to one worker (target: >= 1.8x with 2 workers). Workers, sites, broker and database all
share this machine's cores, so the CPU bound is printed too (user+system CPU seconds of the
whole process tree per page).

    .venv/bin/python benchmarks/distributed_bench.py [--outlets 8] [--pages 40] [--repeat 3] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import psutil
import yaml
from sqlalchemy import create_engine, text

from newsalert.config.loader import load_config
from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.crawler.distributed import celery_app

POSTGRES = os.environ.get("NEWSALERT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("NEWSALERT_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
NEWSALERT = Path(sys.executable).with_name("newsalert")
LATENCY = 0.2
WORDS = ("engineers farmers ministers traders nurses teachers port railway clinic school harbour dam bridge "
         "market orchard ferry refinery Kenya Peru Ghana Laos Chile Nepal Benin Fiji opened signed trained "
         "financed repaired inspected doubled planted exported surveyed launched").split()  # fmt: skip


def page(seed: int) -> bytes:
    draw = random.Random(seed)
    paragraphs = "".join("<p>" + " ".join(draw.choice(WORDS) for _ in range(50)) + ".</p>" for _ in range(6))
    title = " ".join(draw.choice(WORDS) for _ in range(8)).capitalize()
    body = f"<article><h1>{title}</h1>{paragraphs}</article>"
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def outlets(count: int, pages: int) -> list[SiteServer]:
    servers = []
    now = format_datetime(datetime.now(UTC))
    for index in range(count):
        server = SiteServer().start()
        paths = [f"/news/story-o{index}p{n}" for n in range(pages)]
        routes = {path: Route(page(index * 100_000 + n), delay=LATENCY) for n, path in enumerate(paths)}
        items = "".join(f"<item><link>{server.url(p)}</link><pubDate>{now}</pubDate></item>" for p in paths)
        routes["/feed.xml"] = Route(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>o</title>{items}</channel></rss>'.encode(),
            content_type="application/rss+xml",
        )
        routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        server.routes.update(routes)
        servers.append(server)
    return servers


def settings(folder: Path, database: str, servers: list[SiteServer], queue: str) -> Path:
    outlet_list = [
        {"name": f"Outlet {i}", "url": s.url("/"), "feeds": [s.url("/feed.xml")]} for i, s in enumerate(servers)
    ]
    (folder / "outlets.yaml").write_text(yaml.safe_dump(outlet_list), encoding="utf-8")
    path = folder / "newsalert.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": database,
                "outlets_file": "outlets.yaml",
                "topics_file": None,
                "crawl": {
                    "concurrency_per_domain": 2,
                    "extract_workers": 0,
                    "scrapy_settings": {"AUTOTHROTTLE_START_DELAY": 0.0},
                },
                "queue": {"broker_url": BROKER, "name": queue},
            }
        ),
        encoding="utf-8",
    )
    return path


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            for member in [process, *process.children(recursive=True)]:
                times = member.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def crawl_once(workers: int, outlet_count: int, pages: int, concurrency: int) -> tuple[float, int, float]:
    """(seconds, pages stored, CPU seconds of the workers' trees) of one crawl with `workers`."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    servers = outlets(outlet_count, pages)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = settings(folder, database, servers, f"bench-{uuid.uuid4().hex[:8]}")
            subprocess.run([str(NEWSALERT), "--config", str(config), "init"], check=True, capture_output=True)
            for number in range(workers):
                home = folder / f"w{number}"
                home.mkdir()
                processes.append(
                    subprocess.Popen(
                        [str(NEWSALERT), "--config", str(config), "worker", "--concurrency", str(concurrency)],
                        cwd=home,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            app = celery_app(load_config(config))
            while len(app.control.ping(timeout=0.5)) < workers:
                time.sleep(0.2)
            before = cpu_seconds([p.pid for p in processes])
            started = time.monotonic()
            done = subprocess.run([str(NEWSALERT), "--config", str(config), "crawl"], capture_output=True, text=True)
            elapsed = time.monotonic() - started
            cpu = cpu_seconds([p.pid for p in processes]) - before
            if done.returncode != 0:
                raise SystemExit(f"crawl failed: {done.stdout}\n{done.stderr}")
            if os.environ.get("BENCH_SHOW"):
                print(done.stdout)
            with create_engine(database).connect() as connection:
                stored = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        for server in servers:
            server.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return elapsed, stored, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--pages", type=int, default=40, help="article pages per outlet")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=1, help="outlets each worker crawls at once")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"cpus {os.cpu_count()}; {args.outlets} outlets x {args.pages} pages answering after {LATENCY * 1000:.0f} ms;"
        f" workers --concurrency {args.concurrency}; 2 requests at a time per outlet; {args.repeat} runs each, medians"
    )
    results: dict[int, list[tuple[float, int, float]]] = {n: [] for n in counts}
    for _ in range(args.repeat):  # alternated, so that a slow moment of the machine hits every count
        for n in counts:
            results[n].append(crawl_once(n, args.outlets, args.pages, args.concurrency))
    base = statistics.median(stored / seconds for seconds, stored, _ in results[counts[0]])
    for n in counts:
        rate = statistics.median(stored / seconds for seconds, stored, _ in results[n])
        seconds = statistics.median(s for s, _, _ in results[n])
        cpu = statistics.median(c / stored for _, stored, c in results[n])
        print(f"  {n} worker{'s' if n > 1 else ' '}  {seconds:6.1f} s  {rate:6.1f} pages/s  {rate / base:4.2f}x  "
              f"workers' CPU {cpu * 1000:5.0f} ms/page")  # fmt: skip


if __name__ == "__main__":
    main()
