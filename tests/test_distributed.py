"""Crawling on several machines: Celery workers on the real RabbitMQ, one PostgreSQL archive.

The workers are `newsalert worker` processes, each in a working directory of its own and, where
this machine can make them (root, iproute2), in a network namespace of its own: a host that
reaches the broker, the database and the outlets only over a bridge. The outlets are local
sites that count every request. Skipped when
RabbitMQ or PostgreSQL does not answer, unless NEWSALERT_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from sqlalchemy import func, select, text

from newsalert.config.loader import load_config
from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.domain import PageItem
from newsalert.pipelines.dedup import fingerprint
from newsalert.storage import articles as article_store
from newsalert.storage import ingest, ledger
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, CrawlRunRow, OutletRow
from tests.helpers import (
    REQUIRE_POSTGRES,
    Mailbox,
    free_port,
    make_extracted,
    postgres_schema,
    run_cli,
    write_config,
)

# Each test has its own queue and schema, so they may run side by side; queued first (slow).
pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BROKER = os.environ.get("NEWSALERT_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
NEWSALERT = Path(sys.executable).with_name("newsalert")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> str:
    if not _answers("127.0.0.1", 5672):
        if REQUIRE_POSTGRES:
            pytest.fail("RabbitMQ is required here (NEWSALERT_REQUIRE_POSTGRES=1) but 127.0.0.1:5672 does not answer")
        pytest.skip("no RabbitMQ at 127.0.0.1:5672")
    return BROKER


@pytest.fixture
def database(postgres_server: str) -> Iterator[str]:
    yield from postgres_schema(postgres_server)


# --- a network of hosts --------------------------------------------------------------------------

BRIDGE, SUBNET = "br-newsalert", "10.231.0"  # the host is .1 on the bridge, worker n is .(n + 2)


class Forward:
    """A TCP forwarder on the bridge to a service that listens on the host's loopback only
    (PostgreSQL, RabbitMQ, whose guest user may only come from the loopback)."""

    def __init__(self, host: str, target_port: int) -> None:
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for connection in self.open:
            connection.close()


@dataclass
class Network:
    """Network namespaces, one per worker host, on a bridge with this machine: a worker reaches
    the broker, the database and the outlets only over it, at the host's bridge address."""

    namespaces: list[str]
    host: str = f"{SUBNET}.1"

    def prefix(self, number: int) -> list[str]:
        return ["ip", "netns", "exec", self.namespaces[number]]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def network() -> Iterator[Network | None]:
    """Three worker hosts in network namespaces; None where they cannot be made (not root, no
    `ip`): the workers are then processes of this host, each in a folder of its own."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        yield None
        return
    names = [f"newsalert-w{n}-{os.getpid()}" for n in range(3)]
    bridge = f"{BRIDGE[:8]}{os.getpid() % 10000}"
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{SUBNET}.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for number, name in enumerate(names):
            outside, inside = f"nah{number}{os.getpid() % 10000}", f"nan{number}{os.getpid() % 10000}"
            _ip("netns", "add", name)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", outside, "master", bridge)
            _ip("link", "set", outside, "up")
            _ip("link", "set", inside, "netns", name)
            _ip("-n", name, "addr", "add", f"{SUBNET}.{number + 2}/24", "dev", inside)
            _ip("-n", name, "link", "set", inside, "up")
            _ip("-n", name, "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, OSError):
        _teardown(names, bridge)
        yield None
        return
    yield Network(names)
    _teardown(names, bridge)


def _teardown(names: list[str], bridge: str) -> None:
    for name in names:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
    subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=30)


# --- the outlets --------------------------------------------------------------------------------


def article_page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{body} Paragraph {n} of the report, with its own details.</p>" for n in range(8))
    return (
        f"<html><head><title>{title}</title></head><body><nav>Home | World | Sport</nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© the outlet</footer></body></html>"
    ).encode()


def feed(server: SiteServer, paths: list[str]) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>Story {path}</title><link>{server.url(path)}</link><pubDate>{now}</pubDate></item>"
        for path in paths
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


WORDS = (
    "engineers farmers ministers traders nurses teachers pilots bankers miners weavers port railway clinic "
    "school harbour dam bridge market orchard vineyard ferry refinery reservoir laboratory library stadium "
    "Kenya Peru Ghana Laos Chile Nepal Benin Fiji Oman Togo Cuba Chad Mali Iraq Iran Niger Sudan Bolivia "
    "opened signed trained financed repaired inspected doubled planted exported surveyed launched"
).split()


def story_body(number: int) -> str:
    """A text of its own for story `number`: its words drawn with the number as the seed."""
    draw = random.Random(number)
    code = "".join("abcdefghij"[int(digit)] for digit in str(number))  # no digits: no date to find
    return " ".join(draw.choice(WORDS) for _ in range(60)) + f". Report {code}."


def build_outlets(
    count: int, stories: int, *, delay: float = 0.0, syndicated: bool = True, host: str = "127.0.0.1"
) -> list[SiteServer]:
    """`count` outlets of `stories` articles each; with `syndicated`, every outlet also carries
    the same `stories` wire stories under its own addresses (the same text: copies)."""
    servers = []
    for index in range(count):
        server = SiteServer(host=host).start()
        paths = [f"/news/2026/own-{index}-{n}" for n in range(stories)]
        routes = {path: Route(article_page(f"Own {index}-{n}", story_body(1000 * (index + 1) + n)), delay=delay)
                  for n, path in enumerate(paths)}  # fmt: skip
        if syndicated:
            for n in range(stories):
                path = f"/news/2026/wire-{n}"
                routes[path] = Route(article_page(f"Wire {n}", story_body(n)), delay=delay)
                paths.append(path)
        routes["/feed.xml"] = Route(feed(server, paths), content_type="application/rss+xml")
        routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        server.routes.update(routes)
        servers.append(server)
    return servers


def configure(
    tmp_path: Path, database: str, servers: list[SiteServer], broker_url: str, *, concurrency: int = 4
) -> tuple[Path, str]:
    outlets = [
        {"name": f"Outlet {i}", "url": server.url("/"), "feeds": [server.url("/feed.xml")]}
        for i, server in enumerate(servers)
    ]
    path = write_config(tmp_path, outlets, database=database)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    queue = f"test-{uuid.uuid4().hex[:10]}"  # every test its own queue on the shared broker
    settings["queue"] = {"broker_url": broker_url, "name": queue, "task_timeout_minutes": 5}
    settings["crawl"]["concurrency_per_domain"] = concurrency
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path, queue


class Workers:
    """`newsalert worker` processes, each in a working directory of its own."""

    def __init__(self, config: Path, tmp_path: Path, network: Network | None = None) -> None:
        self.config, self.tmp_path, self.network = config, tmp_path, network
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        for _ in range(count):
            home = self.tmp_path / f"worker-{len(self.processes)}"  # no folder in common
            home.mkdir()
            number = len(self.processes)
            host = self.network.prefix(number) if self.network else []
            with (home / "worker.log").open("wb") as log:  # the worker has its own copy of it
                self.processes.append(
                    subprocess.Popen(
                        [*host, str(NEWSALERT), "--config", str(self.config), "worker", "--concurrency", "1"],
                        cwd=home,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                        env={**os.environ, "NEWSALERT_CONFIG": ""},
                    )
                )
        self.wait_ready(len(self.processes))

    def wait_ready(self, count: int) -> None:
        from newsalert.crawler.distributed import celery_app

        app = celery_app(load_config(self.config))
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=0.5)) < count:
            for process in self.processes:
                assert process.poll() is None, (self.tmp_path / "worker-0" / "worker.log").read_text()
            assert time.monotonic() < deadline, "the workers did not come up"

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    started: list[Workers] = []

    def make(config: Path, network: Network | None = None) -> Workers:
        started.append(Workers(config, tmp_path, network))
        return started[-1]

    yield make
    for group in started:
        group.stop()


def crawl(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NEWSALERT), "--config", str(config), "crawl"], capture_output=True, text=True, timeout=180
    )


def stored(database: str) -> list[tuple[str, str, int]]:
    engine, sessions = open_database(database)
    with sessions() as session:
        rows = session.execute(
            select(OutletRow.name, ArticleRow.canonical_url, ArticleRow.cluster_id).join(OutletRow)
        ).all()
    engine.dispose()
    return [(name, url, cluster) for name, url, cluster in rows]


# --- the tests ----------------------------------------------------------------------------------


def test_three_workers_fetch_each_page_once_and_make_one_story_per_event(
    tmp_path: Path, database: str, broker: str, workers: Any, network: Network | None
) -> None:
    """Three worker hosts, each in a network namespace of its own when this machine can make
    them: they reach the broker, PostgreSQL and the outlets only over the bridge."""
    host = network.host if network else "127.0.0.1"
    servers = build_outlets(3, 4, host=host)
    forwards = [Forward(host, 5432), Forward(host, 5672)] if network else []
    try:
        if network:  # the same settings, with the services at the host's bridge address
            database = database.replace("@127.0.0.1:5432/", f"@{host}:{forwards[0].port}/")
            broker = broker.replace("@127.0.0.1:5672/", f"@{host}:{forwards[1].port}/")
        config, _ = configure(tmp_path, database, servers, broker)
        workers(config, network).start(3)
        print("worker hosts:", network.namespaces if network else "processes of this host")
        result = crawl(config)
        assert result.returncode == 0, result.stdout + result.stderr
        for index in range(3):
            assert f"Outlet {index}" in result.stdout, "the summary table names every outlet"
        articles = [path for server in servers for path in server.routes if path.startswith("/news/")]
        for server in servers:
            for path in (p for p in server.routes if p.startswith("/news/")):
                assert server.hits(path) == 1, f"{server.url(path)} fetched {server.hits(path)} times"
        rows = stored(database)
        assert len(rows) == len(articles) == len({url for _, url, _ in rows}), "every article stored once"
        by_story: dict[str, set[int]] = {}
        for _, url, cluster in rows:  # a wire story is one story at every outlet
            by_story.setdefault(url.rsplit("/", 1)[1] if "/wire-" in url else url, set()).add(cluster)
        assert all(len(clusters) == 1 for clusters in by_story.values()), "one cluster per story"
        wire = {cluster for _, url, cluster in rows if "/wire-" in url}
        assert len(wire) == 4, "each syndicated story is one story across the three outlets"
        assert len({cluster for _, _, cluster in rows}) == 3 * 4 + 4
        logs = [(tmp_path / f"worker-{n}" / "worker.log").read_text() for n in range(3)]
        assert all("crawling Outlet" in log for log in logs), "every worker host took outlets"
    finally:
        for server in servers:
            server.stop()
        for forward in forwards:
            forward.close()


def test_a_worker_killed_mid_outlet_gives_it_to_another(
    tmp_path: Path, database: str, broker: str, workers: Any
) -> None:
    (server,) = build_outlets(1, 20, delay=0.5, syndicated=False)  # about 5 s of crawling
    try:
        config, _ = configure(tmp_path, database, [server], broker, concurrency=2)
        group = workers(config)
        group.start(2)
        dispatcher = subprocess.Popen(
            [str(NEWSALERT), "--config", str(config), "crawl"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        engine, sessions = open_database(database)
        busy = None
        deadline = time.monotonic() + 60
        while busy is None:  # the worker whose crawl has stored some pages
            assert time.monotonic() < deadline and dispatcher.poll() is None
            with sessions() as session:
                done = session.scalar(select(func.count()).select_from(ArticleRow))
            if done and done >= 3:
                busy = next(p for p in group.processes if psutil.Process(p.pid).children(recursive=True))
            time.sleep(0.1)
        crawling = psutil.Process(busy.pid).children(recursive=True)
        busy.send_signal(signal.SIGKILL)
        busy.wait()
        _, alive = psutil.wait_procs(crawling, timeout=10)
        assert not alive, "the dead worker's crawl processes die with it"
        with sessions() as session:
            kept = set(session.scalars(select(ArticleRow.canonical_url)))  # stored before the kill
        engine.dispose()
        output, errors = dispatcher.communicate(timeout=120)
        assert dispatcher.returncode == 0, output + errors
        rows = stored(database)
        expected = [p for p in server.routes if p.startswith("/news/")]
        assert sorted(url for _, url, _ in rows) == sorted(server.url(p) for p in expected), "nothing missing or twice"
        engine, sessions = open_database(database)
        with sessions() as session:
            run = session.scalars(select(CrawlRunRow)).one()
            ((outlet_run, _),) = ledger.outlet_runs(session, run.id)
        engine.dispose()
        assert run.status == "ok" and outlet_run.status == "ok"
        refetched = {server.url(p) for p in expected if server.hits(p) > 1}
        assert len(kept) < len(expected), "the worker was killed before it finished"
        assert not refetched & kept, "the other worker fetched only what was missing"
    finally:
        server.stop()


def test_the_daily_job_mails_once_after_every_outlet_is_done(
    tmp_path: Path, database: str, broker: str, workers: Any, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    servers = build_outlets(2, 2)
    try:
        config, _ = configure(tmp_path, database, servers, broker)
        config.write_text(
            config.read_text(encoding="utf-8")
            + f"smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5, from: alerts@news.example}}\n",
            encoding="utf-8",
        )
        assert run_cli("--config", str(config), "subscribers", "add", "reader@example.org").exit_code == 0
        workers(config).start(2)
        result = subprocess.run(
            [str(NEWSALERT), "--config", str(config), "run"], capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (message,) = mailbox.messages
        text = message.get_payload()[0].get_content()
        assert all(f"Own {index}-" in text for index in range(2)), "the one digest has both workers' outlets"
        engine, sessions = open_database(database)
        with sessions() as session:
            (run,) = session.scalars(select(CrawlRunRow))
            finished = {row.status for row, _ in ledger.outlet_runs(session, run.id)}
        engine.dispose()
        assert run.status == "ok" and finished == {"ok"} and run.digests_sent == 1
    finally:
        for server in servers:
            server.stop()


def test_a_broker_that_is_down_is_one_line_and_nothing_is_recorded(tmp_path: Path, database: str) -> None:
    (server,) = build_outlets(1, 1, syndicated=False)
    try:
        config, _ = configure(tmp_path, database, [server], f"amqp://guest:guest@127.0.0.1:{free_port()}//")
        result = run_cli("--config", str(config), "crawl")
        assert result.exit_code == 1, result.output
        (line,) = result.output.strip().splitlines()
        assert "the broker at amqp://127.0.0.1:" in line and "not reachable" in line and "guest" not in line
        engine, sessions = open_database(database)
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(CrawlRunRow)) == 0
        engine.dispose()
        assert server.requests == []
    finally:
        server.stop()


def test_a_broker_needs_postgresql(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "A", "url": "https://a.example/", "feeds": ["https://a.example/rss"]}],
                        database=f"sqlite:///{tmp_path / 'a.db'}")  # fmt: skip
    path.write_text(path.read_text() + "queue: {broker_url: 'amqp://guest:guest@127.0.0.1:5672//'}\n")
    result = run_cli("--config", str(path), "crawl")
    assert result.exit_code == 2 and "queue.broker_url" in result.output and "PostgreSQL" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_two_writers_of_one_new_story_at_once_make_one_story(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both writers are held at a barrier just before they look for an earlier copy. Without the
    advisory locks both would look, find nothing and start two stories (checked below)."""

    def race(locking: bool) -> set[int | None]:
        engine, sessions = open_database(database)
        with sessions.begin() as session:
            session.execute(text("TRUNCATE articles, clusters, lsh_buckets, seen_urls CASCADE"))
            ids = ledger.sync_outlets(session, [_outlet("Wire A"), _outlet("Wire B")])
        barrier = threading.Barrier(2)
        real_lookup = article_store.find_exact_copy

        def held_lookup(session: Any, content_hash: str) -> Any:
            with contextlib.suppress(threading.BrokenBarrierError):  # with the locks, it breaks
                # With the locks the second writer cannot get here until the first commits: the
                # first waits out the timeout. Without, both arrive; the long timeout is only for
                # a loaded machine that starts the second thread late.
                barrier.wait(timeout=1.5 if locking else 30)
            return real_lookup(session, content_hash)

        monkeypatch.setattr(article_store, "find_exact_copy", held_lookup)
        if not locking:
            monkeypatch.setattr(article_store, "lock_story_keys", lambda *args: None)
        body = story_body(7) + " " + " ".join(f"Detail {n} of the accord." for n in range(40))
        errors: list[BaseException] = []

        def write(outlet: str) -> None:
            try:
                item = _item(outlet, f"https://{outlet.lower().replace(' ', '')}.example/accord", body)
                with sessions.begin() as session:
                    ingest.lock_stories(session, [item])
                    ingest.save_page(session, item, ids[outlet])
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(name,)) for name in ("Wire A", "Wire B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        monkeypatch.undo()
        assert not errors, errors
        with sessions() as session:
            clusters = set(session.scalars(select(ArticleRow.cluster_id)))
            assert session.scalar(select(func.count()).select_from(ArticleRow)) == 2
        engine.dispose()
        return clusters

    assert len(race(locking=False)) == 2, "the barrier does force the race"
    assert len(race(locking=True)) == 1, "with the locks: one story"


def _outlet(name: str) -> Any:
    from newsalert.config.models import Outlet

    slug = name.lower().replace(" ", "")
    return Outlet(name=name, url=f"https://{slug}.example/", feeds=[f"https://{slug}.example/rss"])


def _item(outlet: str, url: str, body: str) -> PageItem:
    outcome = make_extracted("Kenya and Viet Nam sign an accord", body, published_at=datetime.now(UTC), language="en")
    return PageItem(outlet=outlet, url=url, aliases=[url], outcome=outcome, fingerprint=fingerprint(body))


def test_a_broker_without_celery_installed_says_how_to_install_it(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (server,) = build_outlets(1, 1, syndicated=False)
    try:
        config, _ = configure(tmp_path, database, [server], BROKER)
        monkeypatch.setitem(sys.modules, "celery", None)  # as on a machine without the extra
        result = run_cli("--config", str(config), "crawl")
        assert result.exit_code == 2 and "pip install 'newsalert[distributed]'" in result.output
        assert server.requests == []
    finally:
        server.stop()
