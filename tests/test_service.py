"""`newsalert serve` and `newsalert run` as real processes, on short schedules."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.service.job import LOCK_NAME
from newsalert.storage import ledger
from newsalert.storage.db import open_database
from newsalert.storage.locks import DatabaseLock
from newsalert.storage.models import CrawlRunRow
from tests.helpers import Mailbox, run_cli, write_config
from tests.sites import build_second_outlet

pytestmark = pytest.mark.slow


def slow_site(articles: int = 30, delay: float = 1.0) -> SiteServer:
    """An outlet whose article pages take `delay` seconds each: a crawl that lasts."""
    site = SiteServer().start()
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>Story {n}</title><link>{site.url(f'/slow/{n}.html')}</link><pubDate>{now}</pubDate></item>"
        for n in range(articles)
    )
    site.routes["/feed.xml"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}</channel></rss>'.encode(),
        content_type="application/rss+xml",
    )
    body = "<p>" + " ".join(f"Sentence {n} of a long and slow article about cooperation." for n in range(40))
    for n in range(articles):
        site.routes[f"/slow/{n}.html"] = Route(
            f"<html><body><article><h1>Story {n}</h1>{body} {n}</p></article></body></html>".encode(), delay=delay
        )
    return site


def service_config(
    tmp_path: Path, site_url: str, feed: str, smtp_port: int, cron: str, grace_hours: float = 1.0
) -> Path:
    path = write_config(
        tmp_path,
        [{"name": "Coast Daily Wire", "url": site_url, "feeds": [feed]}],
        database=f"sqlite:///{tmp_path / 'service.db'}",
    )
    path.write_text(
        path.read_text()
        + (
            f"schedule: {{cron: '{cron}', timezone: UTC, misfire_grace_hours: {grace_hours}}}\n"
            f"smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 5}}\n"
            f"digest: {{archive_dir: {tmp_path / 'digests'}}}\n"
        )
    )
    assert run_cli("--config", str(path), "subscribers", "add", "reader@example.org").exit_code == 0
    return path


def start_serve(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "newsalert", "--config", str(config), "serve"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(sig)
    code = process.wait(timeout=45)
    return code, time.monotonic() - started


def runs(config: Path) -> list[CrawlRunRow]:
    engine, sessions = open_database(f"sqlite:///{config.parent / 'service.db'}")
    with sessions() as session:
        rows = list(session.scalars(select(CrawlRunRow).order_by(CrawlRunRow.id)))
    engine.dispose()
    return rows


def log_says(path: Path, text: str) -> Callable[[], bool]:
    return lambda: text in path.read_text()


def wait_for(condition: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_scheduled_run_delivers_a_digest_and_sigterm_exits_0(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    wire = build_second_outlet()
    config = service_config(tmp_path, wire.url("/"), wire.feed_url, port, cron="*/3 * * * * *")
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_for(lambda: box.messages, what="a digest from the scheduled run")
    finally:
        code, took = stop(process)
        wire.server.stop()
    assert code == 0 and took < 30
    log = (tmp_path / "serve.log").read_text()
    assert "newsalert serve: schedule" in log and "SIGTERM received" in log
    assert log.splitlines()[0][:4].isdigit(), "log lines start with a timestamp"
    first = next(r for r in runs(config) if r.trigger in ("schedule", "catch-up"))
    assert first.status == "ok" and first.digests_sent == 1
    assert "Coast" in box.messages[0]["Subject"] or box.messages[0]["To"] == "reader@example.org"


def test_missed_run_is_caught_up_once(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    wire = build_second_outlet()
    due = datetime.now(UTC) - timedelta(minutes=3)  # the daily run was due three minutes ago
    config = service_config(tmp_path, wire.url("/"), wire.feed_url, port, cron=f"{due.minute} {due.hour} * * *")
    # The service ran its schedule before (yesterday): this start has a run to catch up.
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'service.db'}")
    with sessions.begin() as session:
        yesterday = ledger.start_run(session, trigger="schedule", pid=None)
        session.get_one(CrawlRunRow, yesterday).started_at = due - timedelta(days=1)
        ledger.finish_run(session, yesterday, status="ok")
    engine.dispose()
    try:
        for attempt in range(2):
            process = start_serve(config, tmp_path / f"serve-{attempt}.log")
            try:
                if attempt == 0:
                    wait_for(
                        lambda: [r for r in runs(config) if r.trigger == "catch-up" and r.finished_at],
                        what="the catch-up run",
                    )
                else:  # the service decides on a catch-up before it logs its schedule
                    wait_for(log_says(tmp_path / "serve-1.log", "newsalert serve: schedule"), what="the service start")
            finally:
                assert stop(process)[0] == 0
    finally:
        wire.server.stop()
    assert [r.trigger for r in runs(config)] == ["schedule", "catch-up"]
    assert "was missed; running it now" in (tmp_path / "serve-0.log").read_text()
    assert "was missed" not in (tmp_path / "serve-1.log").read_text()


def test_the_very_first_start_catches_nothing_up(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    """Installed and started a little after the scheduled time: nobody missed that run, and a
    catch-up would mail every subscriber at once on the first day."""
    _, port = smtp
    due = datetime.now(UTC) - timedelta(minutes=3)
    config = service_config(tmp_path, "http://127.0.0.1:9/", "http://127.0.0.1:9/rss.xml", port,
                            cron=f"{due.minute} {due.hour} * * *")  # fmt: skip
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_for(log_says(tmp_path / "serve.log", "newsalert serve: schedule"), what="the service start")
    finally:
        assert stop(process)[0] == 0
    log = (tmp_path / "serve.log").read_text()
    assert "first start: no run to catch up" in log and "was missed" not in log
    assert runs(config) == []


def test_overlapping_runs_are_skipped(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    wire = build_second_outlet()
    config = service_config(tmp_path, wire.url("/"), wire.feed_url, port, cron="0 6 * * *")
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'service.db'}")
    lock = DatabaseLock(sessions, LOCK_NAME)
    try:
        assert lock.acquire()
        skipped = run_cli("--config", str(config), "run")
        assert skipped.exit_code == 1 and "Another daily job is running" in skipped.output
        assert runs(config) == []
        lock.release()
        done = run_cli("--config", str(config), "run")
        assert done.exit_code == 0, done.output
        assert [(r.trigger, r.status, r.digests_sent) for r in runs(config)] == [("run", "ok", 1)]
    finally:
        engine.dispose()
        wire.server.stop()


def test_two_services_on_one_database_never_run_at_once(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    site = slow_site(articles=4, delay=1.0)  # each run lasts a few seconds: runs would overlap
    config = service_config(tmp_path, site.url("/"), site.url("/feed.xml"), port, cron="*/2 * * * * *")
    first, second = start_serve(config, tmp_path / "a.log"), start_serve(config, tmp_path / "b.log")
    try:
        wait_for(lambda: len([r for r in runs(config) if r.finished_at]) >= 3, timeout=90, what="three runs")
    finally:
        assert stop(first)[0] == 0 and stop(second)[0] == 0
        site.stop()
    finished = [r for r in runs(config) if r.finished_at]
    for earlier, later in itertools.pairwise(finished):
        assert later.started_at >= earlier.finished_at, "two daily jobs ran at the same time"
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "another daily job is running" in logs


def test_sigterm_during_a_crawl_records_it_interrupted(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    site = slow_site(articles=40, delay=0.5)
    config = service_config(tmp_path, site.url("/"), site.url("/feed.xml"), port, cron="*/2 * * * * *")
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_for(lambda: sum(1 for p in site.requests if p.startswith("/slow/")) >= 2, what="a crawl under way")
        code, took = stop(process)
    finally:
        site.stop()
    assert code == 0 and took < 30, (code, took)
    (run,) = runs(config)
    assert run.status == "interrupted" and run.finished_at is not None


def test_a_crashed_crawl_is_recorded_and_the_service_goes_on(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    site = slow_site(articles=6, delay=1.0)
    config = service_config(tmp_path, site.url("/"), site.url("/feed.xml"), port, cron="*/2 * * * * *")
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_for(lambda: any(p.startswith("/slow/") for p in site.requests), what="a crawl under way")
        child = wait_for(lambda: crawl_child(process.pid), what="the crawl process")
        os.kill(child, signal.SIGKILL)  # as the OOM killer would
        wait_for(
            lambda: len([r for r in runs(config) if r.status == "ok"]) >= 1,
            timeout=90,
            what="a later run that succeeds",
        )
        assert process.poll() is None, "the service must survive a crashed crawl"
    finally:
        assert stop(process)[0] == 0
        site.stop()
    crashed = runs(config)[0]
    assert crashed.status == "failed" and "exit code -9" in crashed.error


def crawl_child(parent: int) -> int | None:
    """The pid of the crawl process `parent` spawned (not the resource tracker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and "spawn_main" in command:
            return int(entry.name)
    return None
