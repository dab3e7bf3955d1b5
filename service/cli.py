"""The `newsalert` command line: it parses options and prints; the work is the API's
(service/api.py), the printing service/terminal.py's and service/formats.py's, the option
bundles and the context of every command service/clitools.py's.

Exit status: 0 success; 1 the work was done but needs attention (an outlet failed, a digest
was not delivered); 2 bad usage or configuration, always as one line on stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsalert import __version__
from newsalert.domain import RunStatus
from newsalert.service import clitools as options
from newsalert.service import formats
from newsalert.service.clitools import Context, command, format_option, search_filters
from newsalert.service.terminal import console, err_console, plain

if TYPE_CHECKING:
    from newsalert.config import Config

EXIT_OK, EXIT_ATTENTION = 0, 1


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@options.global_options
@click.version_option(__version__, prog_name="newsalert")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, database: str | None, verbose: int, quiet: bool) -> None:
    """Crawl news outlets, keep the articles about a topic, archive them and mail a digest.

    \b
    Example:
      newsalert demo                      # try it offline on the bundled sample outlets
      newsalert crawl && newsalert search "South-South cooperation" --since 7d
    """  # fmt: skip
    ctx.obj = Context(config_path, database, -1 if quiet else verbose)
    ctx.call_on_close(ctx.obj.close)
    logging.basicConfig(level=ctx.obj.log_level, stream=sys.stderr, datefmt="%Y-%m-%d %H:%M:%S",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip


@command(cli)
def init(app: Context) -> None:
    """Create the database or bring its schema up to date (every command does this when needed).

    \b
    Example:
      newsalert --db postgresql+psycopg://newsalert@localhost/newsalert init
    """
    from sqlalchemy.engine import make_url

    app.archive.sessions  # noqa: B018 - opening the database migrates it
    console.print(f"Database ready: {make_url(app.archive.config.database_url).render_as_string(hide_password=True)}")


@command(cli)
@options.crawl
def crawl(app: Context, outlet_names: tuple[str, ...], max_articles: int | None) -> None:
    """Crawl the outlets once now and archive their new articles. Exits 1 when an outlet failed.

    \b
    Example:
      newsalert crawl --outlet "UN News" --max-articles 20
    """  # fmt: skip
    sys.exit(_crawl(app, outlet_names, max_articles=max_articles, trigger="manual"))


def _crawl(app: Context, outlet_names: tuple[str, ...], **options: Any) -> int:
    from newsalert.service.terminal import Progress, print_crawl

    with _crawl_process_started(app.config, outlet_names):
        count = len(outlet_names) or len(app.archive.config.enabled_outlets)
        with Progress(count) as show:
            result = app.archive.crawl(outlet_names, log_level=app.table_log_level, on_progress=show, **options)
    print_crawl(result)
    attention = result.status in (RunStatus.FAILED, RunStatus.INTERRUPTED) or result.failed_outlets
    return EXIT_ATTENTION if attention else EXIT_OK


@contextmanager
def _crawl_process_started(config: Config, outlet_names: tuple[str, ...]) -> Iterator[None]:
    """The crawl process started before the archive's modules load (runner.early_start), when
    the crawl will run here: not one a broker hands to the workers, nor one the archive refuses
    (an unknown outlet, none enabled), which it reports itself."""
    from newsalert.config import ConfigError
    from newsalert.crawler.runner import early_start

    try:
        outlets = config.select_outlets(outlet_names)
    except ConfigError:
        outlets = []
    if not outlets or config.settings.queue.broker_url:
        yield
        return
    with early_start(config, outlets):
        yield


@command(cli)
@search_filters
def search(app: Context, query: str | None, fmt: str, **filters: Any) -> None:
    """Search the archive; QUERY is full text over titles and article text.

    Words are all required; "a phrase", a OR b, and -word to exclude (put -- before a query that
    starts with -). Case and accents do not matter; Chinese is searchable. Without QUERY, the
    newest articles matching the filters.

    \b
    Example:
      newsalert search "belt road" --since 30d --lang en --format json
      newsalert search --country KE --tag BRI --tag infrastructure
    """
    from newsalert.service.terminal import articles_table

    found = app.archive.search(query, **filters)
    if fmt == "json":
        click.echo(formats.to_json(found.json()))
    elif fmt == "ndjson":
        for article in found.json():
            click.echo(json.dumps(article, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(formats.articles_csv(found.articles, found.copies), nl=False)
    else:
        if found.articles:
            console.print(articles_table(found.articles, found.copies, terms=found.terms))
        err_console.print(found.summary())


@command(cli)
@options.show
def show(app: Context, article_id: int, fmt: str) -> None:
    """Show one article with its text, tags, story and every address that led to it.

    \b
    Example:
      newsalert show 42 --format json
    """
    from newsalert.service.terminal import print_article

    data = app.archive.show(article_id)
    if fmt == "json":
        click.echo(formats.to_json(formats.show_json(data)))
    else:
        print_article(data)


@command(cli)
@options.stats
def stats(app: Context, since: str, fmt: str) -> None:
    """Archive figures and crawl health: articles per day, outlet, country and theme over a
    window; per outlet the last new article, failed runs in a row, the last error, and
    whether its yield dropped; earlier failed runs; digests of unknown delivery.

    \b
    Example:
      newsalert stats --since 7d --format json
    """  # fmt: skip
    from newsalert.service.terminal import print_stats

    data = app.archive.stats(since)
    click.echo(formats.to_json(data)) if fmt == "json" else print_stats(data, datetime.now(UTC))


@command(cli)
@options.explain
def explain(app: Context, target: str, url: str | None, fmt: str) -> None:
    """Show what the pipeline makes of one page, storing nothing: the extracted title, date,
    author and language; every contribution to the relevance score; the threshold; kept or
    not and why; the tags with their salience. TARGET is an http(s) URL or a saved HTML file.

    \b
    Example:
      newsalert explain https://example.org/2026/11/story.html
      newsalert explain saved.html --url https://example.org/story --format json
    """
    from newsalert.service.terminal import print_explanation

    data = app.archive.explain(target, url=url).to_json()
    click.echo(formats.to_json(data)) if fmt == "json" else print_explanation(data)


@command(cli)
@options.rescore
def rescore(app: Context, since: str | None) -> None:
    """Judge the stored articles again under the current topic profile, after topics.yaml
    changed, and print what changed. An article now off topic stays archived but leaves the
    digest and the default search.

    \b
    Example:
      newsalert rescore --since 30d
    """
    from newsalert.service.terminal import print_change

    result = app.archive.rescore(since=since, on_change=print_change)
    profile = f"topic profile {result.version}" if result.version else "no topic profile (every article is kept)"
    console.print(f"Rescored {result.examined} article{'s' if result.examined != 1 else ''} under {profile}: "
                  f"{result.now_off_topic} now off topic, {result.back_on_topic} back on topic, "
                  f"{result.retagged} with changed tags, {len(result.changes)} changed in all.")  # fmt: skip


@command(cli)
def run(app: Context) -> None:
    """Run the daily job once now: crawl, then build and send the digests (for cron).

    Exits 1 when an outlet failed, a digest could not be delivered, or another run holds the lock.

    \b
    Example:
      newsalert run          # e.g. from cron: 0 6 * * * cd /srv/newsalert && .venv/bin/newsalert run
    """
    from newsalert.service.terminal import print_job

    result = app.archive.run(log_level=app.log_level)
    print_job(result)
    sys.exit(EXIT_ATTENTION if result.skipped or result.needs_attention else EXIT_OK)


@command(cli)
def serve(app: Context) -> None:
    """Run the daily job on schedule.cron, in the foreground, until SIGTERM or SIGINT.

    A run missed while the service was down runs once on start (within schedule.misfire_grace_hours).
    Logs go to stderr with timestamps; exit 0 on SIGTERM/SIGINT.

    \b
    Example:
      newsalert --config /etc/newsalert/newsalert.yaml serve
    """
    from newsalert.service.scheduler import serve as serve_forever

    if app.verbosity >= 0:
        logging.getLogger("newsalert").setLevel(logging.INFO)
    # A bad outlets or topics file stops the service now, not at the first run.
    sys.exit(serve_forever(app.archive.config.validated(), app.archive.sessions, log_level=app.log_level))


@command(cli)
@options.digest
def digest(app: Context, send: bool, preview_file: str | None, subscriber: str | None, resend_unknown: bool) -> None:
    """Build the Daily News Alert for every subscriber from what they have not been sent yet.

    Every digest is archived as HTML under digest.archive_dir. Without --send nothing is
    mailed or marked sent. Exits 1 when a digest could not be delivered (it is retried next run).

    \b
    Example:
      newsalert digest --preview /tmp/alert.html
      NEWSALERT_SMTP_PASSWORD=... newsalert digest --send
    """  # fmt: skip
    from newsalert.service.terminal import print_digests, warn_unknown

    result = app.archive.digest(send=send, subscriber=subscriber, resend_unknown=resend_unknown)
    warn_unknown(result.unknown)
    if send and not result.recipients:
        console.print("No subscribers: nothing to send (add one with: newsalert subscribers add EMAIL).")
        return
    if not result.digests:
        console.print("No new stories: no digest built.")
        return
    print_digests(result)
    if preview_file:
        Path(preview_file).write_text(result.digests[0].html_path.read_text(encoding="utf-8"), encoding="utf-8")
        console.print(f"Preview written to {preview_file}")
    if result.error or result.problems:
        sys.exit(EXIT_ATTENTION)


@cli.group()
def subscribers() -> None:
    """Manage who receives the digest."""


@command(subscribers, "add")
@options.subscribers_add
def subscribers_add(app: Context, email: str, query: str | None, alert: str | None, **filters: Any) -> None:
    """Add a subscriber with an alert, or add or change an alert of a subscriber.

    An alert is a saved search: QUERY (full text, as in `search`) and filters. The digest has
    a section per alert; each story comes once. Without QUERY and filters: every story.

    \b
    Example:
      newsalert subscribers add analyst@example.org
      newsalert subscribers add analyst@example.org --alert "Kenya health" --country KE --tag health
      newsalert subscribers add analyst@example.org "BRICS bank" --alert "BRICS bank"
    """  # fmt: skip
    done = app.archive.subscribe(email, query, alert=alert, **filters)
    who = f"Added {done.email}" if done.new else f"{done.email}:"
    what = "alert" if done.new or done.alert_new else "changed alert"
    console.print(who, what, plain(repr(done.alert)))


@command(subscribers, "remove")
@options.subscribers_remove
def subscribers_remove(app: Context, email: str, alert: str | None) -> None:
    """Remove a subscriber and their alerts, or one alert (their digests stay in the ledger).

    \b
    Example:
      newsalert subscribers remove analyst@example.org
      newsalert subscribers remove analyst@example.org --alert "Kenya health"
    """
    app.archive.remove_subscriber(email, alert=alert)
    address = email.strip().lower()
    console.print(*(["Removed", plain(repr(alert)), "of", address] if alert else ["Removed", address]))


@command(subscribers, "list")
@format_option("table", "json")
def subscribers_list(app: Context, fmt: str) -> None:
    """List the subscribers, their alerts (with each one's feed address when web.base_url is
    set) and their last delivered digest.

    \b
    Example:
      newsalert subscribers list --format json
    """
    from newsalert.config import ConfigError
    from newsalert.digest.links import Links
    from newsalert.service.terminal import print_subscribers

    try:
        links = Links.from_settings(app.archive.config.settings.web)
    except ConfigError:
        links = None  # no secret here: the feeds' addresses need none, but base_url without one is moot
    rows = app.archive.subscribers(links=links)
    click.echo(formats.to_json(rows)) if fmt == "json" else print_subscribers(rows)


@command(cli)
@options.worker
def worker(app: Context, concurrency: int) -> None:
    """Crawl outlets for the other machines: take one task per outlet from the broker
    (queue.broker_url or $NEWSALERT_BROKER_URL) until SIGTERM or SIGINT.

    Every machine needs the same outlets and topics files and the same PostgreSQL archive;
    `crawl`, `run` and `serve` on any of them then dispatch one task per outlet and wait.
    A worker that dies gives its outlets back to the broker, and another worker finishes them.

    \b
    Example:
      NEWSALERT_BROKER_URL=amqp://guest:guest@broker:5672// newsalert worker --concurrency 4
    """
    app.archive.worker(concurrency=concurrency, log_level="DEBUG" if app.verbosity > 0 else "INFO")


@command(cli)
@options.web
def web(app: Context, host: str | None, port: int | None) -> None:
    """Serve the web app: archive search with facets, story pages, outlet health, subscribe,
    manage alerts, one-click unsubscribe, and a JSON API under /api.

    It listens on 127.0.0.1 unless told otherwise: put a reverse proxy with TLS in front of it
    to reach it from elsewhere, and set web.base_url to that address for the emails' links.
    The secret that signs those links comes from $NEWSALERT_SECRET (web.secret_env).

    \b
    Example:
      NEWSALERT_SECRET=... newsalert web --port 8080
    """
    from newsalert.service.web.app import serve

    serve(app.archive, host=host, port=port)


@cli.group()
def outlets() -> None:
    """Inspect the configured outlets."""


@command(outlets, "check")
@options.outlets_check
def outlets_check(app: Context, outlet_names: tuple[str, ...]) -> None:
    """Validate the outlet list, then fetch each outlet's feeds, sitemaps and listings and count
    the article links they yield (nothing is stored). Exits 1 when an outlet yields nothing.

    \b
    Example:
      newsalert outlets check --outlet "UN News"
    """
    from newsalert.service.terminal import Progress, print_outlet_check, print_outlets

    print_outlets(app.archive.config, shown=outlet_names)
    with Progress(len(outlet_names) or len(app.archive.config.enabled_outlets)) as show:
        result = app.archive.crawl(outlet_names, discover_only=True, log_level=app.table_log_level, on_progress=show)
    sys.exit(EXIT_ATTENTION if print_outlet_check(result.outlets) else EXIT_OK)


@command(cli)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(app: Context, path: Path) -> None:
    """Copy the SQLite archive into a new file, consistently, even while a crawl writes to it.

    The copy goes through SQLite's backup API (a plain file copy during a crawl can miss what
    is still in the write-ahead log). For PostgreSQL, use pg_dump.

    \b
    Example:
      newsalert backup /var/backups/newsalert-$(date +%F).db
    """
    size = app.archive.backup(path)
    console.print(f"Archive copied to {path} ({size / 1_000_000:.1f} MB)")


@command(cli)
@options.demo
def demo(app: Context, keep_serving: bool) -> None:
    """Serve the bundled sample outlets on 127.0.0.1 and crawl them into ./data/demo.

    Works offline; prints what was stored and the commands to try next.

    \b
    Example:
      newsalert demo
    """
    from newsalert.service.demo import run_demo

    sys.exit(run_demo(lambda config: _crawl(Context(str(config), None, app.verbosity), (), trigger="demo"),
                      keep_serving=keep_serving))  # fmt: skip


main = options.entry_point(cli)  # the console script: one line on stderr for every error a user can cause
