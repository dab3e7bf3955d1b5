"""What reaches people: a terminal that hostile titles cannot drive, a digest never mailed
twice when the process dies mid-send, one line and exit 2 for every bad input, runs killed
with -9 closed by the next, dates that cannot be believed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import select

from newsalert.config.loader import ConfigError, load_config
from newsalert.crawler.demo.server import Route
from newsalert.crawler.runner import process_alive, run_crawl
from newsalert.crawler.sources import parse_feed
from newsalert.pipelines.extract import believable_date
from newsalert.service import cli
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, CrawlRunRow
from tests.helpers import Mailbox, Serve, free_port, make_config, run_cli, write_config
from tests.test_digest import Archive, make_archive
from tests.test_hostile import article, outlet, rss

NASTY_TITLE = (
    "Evil \x1b[2J\x1b[H title \x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\ "
    "[/bold] [link=http://evil.example]x[/link] \x9b31m end"
)


# --- the terminal ------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    yield from make_archive(tmp_path, free_port())


def in_a_terminal(*args: str) -> bytes:
    """Run the console script under a pseudo-terminal, as a person would, and return its bytes."""
    command = shlex.join([sys.executable, "-m", "newsalert", *args])
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"},
    )
    return result.stdout


def test_titles_cannot_drive_the_terminal_or_be_read_as_markup(archive: Archive) -> None:
    # An archive from before the ingestion cleaning: the title is stored as a page gave it.
    article_id = archive.add(NASTY_TITLE)
    for output in (
        in_a_terminal("--config", str(archive.config), "search"),
        in_a_terminal("--config", str(archive.config), "show", str(article_id)),
    ):
        assert b"Evil" in output, output
        for sequence in (b"\x1b[2J", b"\x1b[H", b"\x1b]8;;http://evil", b"\x1b]8;;\x1b\\", b"\x9b31m"):
            assert sequence not in output, (sequence, output)
        text = output.decode("utf-8", "replace")
        assert "[/bold]" in text and "[link=http://evil.example]x[/link]" in text, text
        assert "Traceback" not in text


def test_json_and_csv_carry_the_title_without_control_characters_once_ingested(archive: Archive) -> None:
    from newsalert.pipelines.clean import clean_line

    archive.add(clean_line(NASTY_TITLE) or "")
    data = json.loads(run_cli("--config", str(archive.config), "search", "--format", "json").output)
    assert "\x1b" not in data[0]["title"] and "[link=http://evil.example]x[/link]" in data[0]["title"]
    csv_out = run_cli("--config", str(archive.config), "search", "--format", "csv").output
    assert "\x1b" not in csv_out and "\x9b" not in csv_out


# --- at most once, never lost ---------------------------------------------------------------


class KillerMailbox(Mailbox):
    """Accepts the message, but the client process dies before it reads the 250."""

    victim: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.victim:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
        return reply


class BusyMailbox(Mailbox):
    """Says 451 (try later) to the first DATA, then accepts."""

    busy = 1

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


def mail_server(handler: Mailbox) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


@pytest.mark.slow
def test_a_digest_whose_process_died_after_the_250_is_never_sent_again(db_url: str, tmp_path: Path) -> None:
    mailbox = KillerMailbox()
    controller = mail_server(mailbox)
    archives = make_archive(tmp_path, controller.port, database=db_url)
    try:
        archive = next(archives)
        archive.add("Kenya and China open a joint research centre", countries=("KE", "CN"))
        assert run_cli("--config", str(archive.config), "subscribers", "add", "reader@example.org").exit_code == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "newsalert", "--config", str(archive.config), "digest", "--send"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        mailbox.victim = process.pid
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        assert len(mailbox.messages) == 1, "the server accepted the message"
        assert [d.status for d in archive.digests()] == ["sending"]

        again = run_cli("--config", str(archive.config), "digest", "--send")
        assert again.exit_code == 0, again.output
        assert len(mailbox.messages) == 1, "nothing is sent twice"
        assert [d.status for d in archive.digests()] == ["unknown"]
        assert "Delivery unknown" in again.output and "--resend-unknown" in again.output
        stats = json.loads(run_cli("--config", str(archive.config), "stats", "--format", "json").output)
        assert stats["digests_unknown"] == [f"digest {archive.digests()[0].id} to reader@example.org"]

        # The operator checks with the reader, who never got it: send it again.
        resent = run_cli("--config", str(archive.config), "digest", "--send", "--resend-unknown")
        assert resent.exit_code == 0, resent.output
        assert len(mailbox.messages) == 2 and [d.status for d in archive.digests()] == ["superseded", "sent"]
    finally:
        next(archives, None)  # closes its database
        controller.stop()


def test_a_temporary_refusal_is_retried_within_the_run(tmp_path: Path) -> None:
    mailbox = BusyMailbox()
    controller = mail_server(mailbox)
    archives = make_archive(tmp_path, controller.port)
    try:
        archive = next(archives)
        settings = yaml.safe_load(archive.config.read_text())
        settings["smtp"].update(retry_delay=0.05)
        archive.config.write_text(yaml.safe_dump(settings))
        archive.add("Brazil and Angola sign a vaccine agreement", countries=("BR", "AO"))
        run_cli("--config", str(archive.config), "subscribers", "add", "reader@example.org")
        result = run_cli("--config", str(archive.config), "digest", "--send")
        assert result.exit_code == 0, result.output
        assert len(mailbox.messages) == 1 and [d.status for d in archive.digests()] == ["sent"]
    finally:
        next(archives, None)
        controller.stop()


def test_a_password_is_never_sent_in_clear_text_unless_allowed(tmp_path: Path) -> None:
    path = write_config(tmp_path, [], database=f"sqlite:///{tmp_path / 'a.db'}")
    settings = yaml.safe_load(path.read_text())
    settings["smtp"] = {"host": "127.0.0.1", "port": 25, "security": "none", "username": "alerts"}
    path.write_text(yaml.safe_dump(settings))
    with pytest.raises(ConfigError, match=r"smtp.*clear text"):
        load_config(path)
    settings["smtp"]["allow_plaintext_auth"] = True
    path.write_text(yaml.safe_dump(settings))
    assert load_config(path).settings.smtp.allow_plaintext_auth


# --- one line and exit 2 for every bad input ---------------------------------------------------


def bad_inputs(tmp_path: Path) -> list[list[str]]:
    db = f"sqlite:///{tmp_path / 'ok.db'}"
    a_file = tmp_path / "plain-file"
    a_file.write_text("not a folder")
    insecure = write_config(tmp_path / "insecure", [], database=db)
    settings = yaml.safe_load(insecure.read_text())
    settings["smtp"] = {"security": "none", "username": "alerts"}
    insecure.write_text(yaml.safe_dump(settings))
    return [
        ["--db", "garbage://x", "stats"],
        ["--db", ":::", "crawl"],  # read when the run is recorded, after the crawl process started
        ["--db", "mysql://user@localhost/news", "stats"],
        ["--db", "sqlite:////etc/hostname/x.db", "stats"],
        ["--db", f"sqlite:///{a_file}/x.db", "stats"],
        ["--db", db, "search", "--since", "99999999d"],
        ["--db", db, "search", "--offset", "99999999999999999999999"],
        ["--db", db, "show", "99999999999999999999"],
        ["--db", db, "show", "abc"],
        ["--db", db, "search", "--since", "2026-13-45"],
        ["--db", db, "search", "--frob"],
        ["--db", db, "search", '"unbalanced'],
        ["--db", db, "subscribers", "add", "not-an-email"],
        ["--db", db, "digest", "--resend-unknown"],
        ["--db", db, "explain", str(tmp_path / "missing.html")],
        ["--db", db, "crawl", "--outlet", "No Such Outlet"],
        ["--config", str(tmp_path / "missing.yaml"), "stats"],
        ["--config", str(insecure), "stats"],
        ["--db", db, "no-such-command"],
    ]


def test_every_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in bad_inputs(tmp_path):
        monkeypatch.setattr(sys, "argv", ["newsalert", *args])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        out, err = capsys.readouterr()
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert exit_info.value.code == 2, (args, exit_info.value.code, out + err)
        assert len(lines) == 1 and "Traceback" not in out + err, (args, out + err)


# --- dead runs -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_with_kill_9_is_closed_as_failed_by_the_next(db_url: str, tmp_path: Path, serve: Serve) -> None:
    slow = serve()
    slow.routes["/feed.xml"] = rss([(f"Story {n}", slow.url(f"/2026/11/s{n}.html")) for n in range(5)])
    for n in range(5):
        slow.routes[f"/2026/11/s{n}.html"] = Route(article(f"Slow story {n}"), delay=10)
    path = write_config(tmp_path, [outlet(slow)], database=db_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "newsalert", "--config", str(path), "crawl"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    engine, sessions = open_database(db_url)
    deadline = time.monotonic() + 60
    while not any(p.startswith("/2026/11/") for p in slow.requests):  # the crawl is fetching articles
        assert time.monotonic() < deadline and process.poll() is None, "the crawl did not start"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # the command and its crawl process, as an OOM killer would
    process.wait(timeout=10)
    with sessions() as session:
        [run] = session.scalars(select(CrawlRunRow))
        assert run.status == "running" and run.pid
    # The next run comes once the crawl process is gone too (not only the command we wait for).
    while process_alive(run.pid):
        assert time.monotonic() < deadline, f"the crawl process {run.pid} outlived SIGKILL"
        time.sleep(0.01)

    config = load_config(path)
    slow.routes.clear()  # the next run finds the site gone; it only has to close the dead run
    run_crawl(config, config.enabled_outlets)
    with sessions() as session:
        runs = list(session.scalars(select(CrawlRunRow).order_by(CrawlRunRow.id)))
    engine.dispose()
    assert runs[0].status == "failed" and "process died" in (runs[0].error or "") and runs[0].finished_at
    stats = json.loads(run_cli("--config", str(path), "stats", "--format", "json").output)
    assert {"id": runs[0].id, "status": "failed"}.items() <= stats["recent_runs"][1].items()


# --- dates -------------------------------------------------------------------------------------


def feed_with_date(date: str) -> bytes:
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>x</title>"
        f"<link>http://a.example/1</link><pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("date", ["2003-13-45", "2003-13-45T10:00:00Z", "2026-02-30T08:00:00+01:00"])
def test_an_impossible_feed_date_is_ignored_not_normalised(date: str) -> None:
    assert parse_feed(feed_with_date(date), url="http://a.example/feed")[0].published_at is None


def test_a_date_more_than_a_day_ahead_becomes_the_fetch_time() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert believable_date(now + timedelta(hours=20), now=now) == (now + timedelta(hours=20), None)
    when, note = believable_date(datetime(2099, 1, 1, tzinfo=UTC), now=now)
    assert when == now and note and "2099-01-01" in note


@pytest.mark.slow
def test_a_future_dated_article_is_stored_at_its_fetch_time_and_says_so(tmp_path: Path, serve: Serve) -> None:
    site = serve()
    future = "Thu, 01 Jan 2099 00:00:00 GMT"
    site.routes["/feed.xml"] = Route(
        (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
            f"<item><title>From the future</title><link>{site.url('/news/future.html')}</link>"
            f"<pubDate>{future}</pubDate></item></channel></rss>"
        ).encode(),
        content_type="application/rss+xml",
    )
    # The page states no date (none in its markup, none in its address): the feed's counts.
    page = re.sub(rb'<meta property="article:published_time"[^>]*>', b"", article("A story dated in 2099"))
    site.routes["/news/future.html"] = Route(page)
    db_url = f"sqlite:///{tmp_path / 'f.db'}"
    config = make_config(tmp_path, [outlet(site)], database=db_url, extract_workers=0)
    run_crawl(config, config.enabled_outlets)
    engine, sessions = open_database(db_url)
    with sessions() as session:
        stored = session.scalars(select(ArticleRow)).one()
    engine.dispose()
    assert stored.published_at is not None and stored.published_at < datetime.now(UTC) + timedelta(minutes=1)
    assert stored.date_note and "2099-01-01" in stored.date_note
    shown = json.loads(run_cli("--db", db_url, "show", str(stored.id), "--format", "json").output)
    assert "2099" in shown["date_note"]
