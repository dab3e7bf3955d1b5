"""The `newsalert` command line: a thin click layer over config, crawler and storage."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from newsalert import __version__
from newsalert.config import Config, ConfigError, load_config
from newsalert.domain import DigestStatus, RunStatus
from newsalert.service import output
from newsalert.storage import articles as article_store
from newsalert.storage import ledger
from newsalert.storage import search as search_store
from newsalert.storage import stats as archive_stats
from newsalert.storage.db import DatabaseError, open_database
from newsalert.storage.fulltext import QueryError, parse_query
from newsalert.storage.models import SubscriberRow

# Piped output is read by people too (logs, mail from cron): do not squeeze it to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE = 0, 1, 2
MAX_ID = 2**63 - 1  # the databases' largest integer
MAX_OFFSET = 10**9
RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")


class UsageError(click.ClickException):
    """Bad usage or invalid configuration: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE


@dataclass
class App:
    config_path: str | None
    database: str | None
    verbosity: int
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def config(self) -> Config:
        try:
            return load_config(self.config_path, database=self.database)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        try:
            self._engine, factory = open_database(self.config.database_url)
        except DatabaseError as exc:
            raise (UsageError(str(exc)) if exc.bad_url else click.ClickException(str(exc))) from None
        return factory

    @property
    def log_level(self) -> str:
        return {-1: "ERROR", 0: "WARNING", 1: "INFO"}.get(self.verbosity, "DEBUG")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Settings file [default: $NEWSALERT_CONFIG, else ./config/newsalert.yaml, else the packaged default].",
)
@click.option(
    "--db", "database", metavar="URL", help="Database URL, overriding the settings' `database` [env: NEWSALERT_DB]."
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debugging).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(__version__, prog_name="newsalert")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, database: str | None, verbose: int, quiet: bool) -> None:
    """Crawl news outlets, keep the articles about a topic, archive them and mail a digest.

    \b
    Example:
      newsalert demo                      # try it offline on the bundled sample outlets
      newsalert crawl && newsalert search "South-South cooperation" --since 7d
    """
    app = App(config_path, database, -1 if quiet else verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)
    logging.basicConfig(
        level=app.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )


@cli.command()
@pass_app
def init(app: App) -> None:
    """Create the database or bring its schema up to date.

    Every other command does this too when needed.

    \b
    Example:
      newsalert --db postgresql+psycopg://newsalert@localhost/newsalert init
    """
    app.sessions  # noqa: B018 - opening the database migrates it
    console.print(f"Database ready: {_display_url(app.config.database_url)}")


@cli.command()
@click.option(
    "--outlet",
    "outlet_names",
    multiple=True,
    metavar="NAME",
    help="Crawl only this outlet (repeatable); disabled outlets may be named.",
)
@click.option(
    "--max-articles",
    type=click.IntRange(min=1),
    metavar="N",
    help="Fetch at most N new articles per outlet (overrides crawl.max_articles_per_outlet).",
)
@pass_app
def crawl(app: App, outlet_names: tuple[str, ...], max_articles: int | None) -> None:
    """Crawl the outlets once now and archive their new articles.

    Exits 1 when an outlet could not be crawled at all.

    \b
    Example:
      newsalert crawl --outlet "UN News" --max-articles 20
    """
    result = _crawl(app, outlet_names, max_articles=max_articles, trigger="manual")
    sys.exit(_crawl_exit_status(result))


def _crawl(app: App, outlet_names: tuple[str, ...], **kwargs: Any) -> Any:
    from newsalert.crawler.runner import run_crawl

    try:
        outlets = app.config.select_outlets(outlet_names)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if not outlets:
        raise UsageError(f"{app.config.settings.outlets_file}: no enabled outlets to crawl")
    app.sessions  # noqa: B018 - migrate before the crawl process starts
    with _progress(len(outlets)) as show:
        result = run_crawl(app.config, outlets, log_level=app.log_level, on_progress=show, **kwargs)
    console.print(crawl_table(result.outlets, title=f"Crawl run {result.run_id or ''}".strip()))
    if result.error:
        err_console.print(output.plain(result.error, "yellow"))
    return result


def _crawl_exit_status(result: Any) -> int:
    if result.status in (RunStatus.FAILED, RunStatus.INTERRUPTED) or result.failed_outlets:
        if result.failed_outlets:
            err_console.print(f"[red]Outlets that failed:[/] {output.safe(', '.join(result.failed_outlets))}")
        return EXIT_ATTENTION
    return EXIT_OK


class _progress:
    """A live per-outlet table while the crawl runs (only on a terminal)."""

    def __init__(self, count: int) -> None:
        starting = Spinner("dots", text=f"Starting the crawl of {count} outlet{'s' if count != 1 else ''}…")
        self.live = (
            Live(starting, console=err_console, refresh_per_second=8, transient=True)
            if err_console.is_terminal
            else None
        )

    def __enter__(self) -> Callable[[dict[str, dict[str, Any]]], None]:
        if self.live:
            self.live.__enter__()
        return self.update

    def update(self, tallies: dict[str, dict[str, Any]]) -> None:
        if self.live:
            self.live.update(crawl_table(tallies, title="Crawling…"))

    def __exit__(self, *exc_info: object) -> None:
        if self.live:
            self.live.__exit__(None, None, None)


def crawl_table(tallies: dict[str, dict[str, Any]], *, title: str) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("outlet", style="magenta")
    table.add_column("status")
    columns = {
        "found": "discovered",
        "known": "known",
        "pages": "pages",
        "new": "stored",
        "dup": "duplicates",
        "old": "too_old",
        "off-topic": "irrelevant",
        "rejected": "rejected",
        "failed": "failed",
    }
    for name in columns:
        table.add_column(name, justify="right")
    table.add_column("error", style="red", max_width=50, overflow="fold")
    styles = {RunStatus.OK: "green", RunStatus.PARTIAL: "yellow", RunStatus.FAILED: "bold red"}
    totals = [0] * len(columns)
    for name, t in sorted(tallies.items()):
        figures = [t[field] for field in columns.values()]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        table.add_row(
            output.plain(name),
            f"[{styles[t['status']]}]{t['status']}[/]",
            *map(str, figures),
            output.plain("; ".join(t["errors"][:2])),
        )
    if len(tallies) > 1:
        table.add_section()
        table.add_row("total", "", *map(str, totals), "", style="bold")
    return table


@cli.command()
@click.argument("query", required=False)
@click.option("--since", metavar="WHEN", help="Published since: a date (2026-06-01) or an age (7d, 24h, 2w).")
@click.option("--until", metavar="WHEN", help="Published before: a date or an age.")
@click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet (repeatable).")
@click.option("--lang", "languages", multiple=True, metavar="CODE", help="Only this language, e.g. fr (repeatable).")
@click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="CODE",
    help="Only stories about this country, e.g. KE (repeatable: any of them).",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="KEY",
    help="Only stories about this region: africa, asia, latin-america-caribbean, middle-east, ...",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only articles with this tag: a theme (trade), an initiative (BRI), or kind:code (repeatable: all of them).",
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="With a query, best matches first, or newest first.",
)
@click.option("--collapse", is_flag=True, help="One row per story (its best-ranked article), not per article.")
@click.option(
    "--include-off-topic",
    is_flag=True,
    help="Also articles that `rescore` found off topic under the current topic profile.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, type=click.IntRange(0, MAX_OFFSET), help="Skip the first N results.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "ndjson", "csv"]),
    default="table",
    show_default=True,
    help="ndjson: one JSON object a line, for piping.",
)
@pass_app
def search(
    app: App,
    query: str | None,
    since: str | None,
    until: str | None,
    outlets: tuple[str, ...],
    languages: tuple[str, ...],
    countries: tuple[str, ...],
    regions: tuple[str, ...],
    tags: tuple[str, ...],
    sort: str,
    collapse: bool,
    include_off_topic: bool,
    limit: int,
    offset: int,
    fmt: str,
) -> None:
    """Search the archive; QUERY is full text over titles and article text.

    Words are all required; "a phrase", a OR b, and -word to exclude (put -- before a query that
    starts with -). Case and accents do not matter; Chinese is searchable. Without QUERY, the
    newest articles matching the filters.

    \b
    Example:
      newsalert search "belt road" --since 30d --lang en --format json
      newsalert search --country KE --tag BRI --tag infrastructure
    """
    filters = search_store.SearchFilters(
        query=query,
        since=parse_when(since, "--since"),
        until=parse_when(until, "--until"),
        outlets=outlets,
        languages=languages,
        countries=countries,
        regions=regions,
        tags=tags,
        sort=sort,
        collapse=collapse,
        include_off_topic=include_off_topic,
        limit=limit,
        offset=offset,
    )
    with app.sessions() as session:
        try:
            articles = search_store.search_articles(session, filters)
        except QueryError as exc:
            raise UsageError(str(exc)) from None
        copies = article_store.story_copies(session, articles)
        if fmt == "json":
            click.echo(output.to_json([output.article_json(a, copies.get(a.id)) for a in articles]))
        elif fmt == "ndjson":
            for article in articles:
                click.echo(json.dumps(output.article_json(article, copies.get(article.id)), ensure_ascii=False))
        elif fmt == "csv":
            click.echo(output.articles_csv(articles, copies), nl=False)
        elif articles:
            terms = parse_query(query).terms if query else ()
            console.print(output.articles_table(articles, copies, terms=terms))
        else:
            err_console.print("No articles match.")


@cli.command()
@click.argument("article_id", type=click.IntRange(1, MAX_ID))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def show(app: App, article_id: int, fmt: str) -> None:
    """Show one article with its text and metadata.

    \b
    Example:
      newsalert show 42 --format json
    """
    with app.sessions() as session:
        article = article_store.get_article(session, article_id)
        if article is None:
            raise click.ClickException(f"no article with id {article_id}")
        copies = article_store.story_copies(session, [article]).get(article.id, [])
        data = output.article_json(article, copies, with_text=True)
        data["also_reached_as"] = [
            url for url in article_store.article_urls(session, article.id) if url != article.canonical_url
        ]
        if fmt == "json":
            click.echo(output.to_json(data))
            return
        safe = output.safe
        console.print(f"[bold]{safe(article.title)}[/]", soft_wrap=True)
        console.print(
            f"[magenta]{safe(article.outlet.name)}[/] · {data['published_at'] or 'undated'} · "
            f"{safe(article.language or '?')}" + (f" · {safe(article.author)}" if article.author else ""),
            soft_wrap=True,
        )
        console.print(f"[cyan]{safe(article.url)}[/]", soft_wrap=True)
        if article.date_note:
            console.print(f"[yellow]Date: {safe(article.date_note)}[/]", soft_wrap=True)
        if article.relevance is not None:
            console.print(
                f"Relevance {article.relevance:g}: " + safe(", ".join(data["matched_terms"][:8])), soft_wrap=True
            )
        if not article.on_topic:
            console.print("[yellow]Off topic under the current topic profile (newsalert rescore found it so)[/]")
        for group, codes in data["tags"].items():
            if codes:
                console.print(f"{group.capitalize()}: {safe(', '.join(codes))}")
        if copies:
            console.print(
                f"[bold]Story carried by {len(copies) + 1} articles[/] (cluster {article.cluster_id}); "
                "also reported by:"
            )
            for copy in copies:
                when = f"{copy.published_at:%Y-%m-%d}" if copy.published_at else "undated"
                console.print(
                    f"  [magenta]{safe(copy.outlet)}[/] {when} · {safe(copy.title)} · [cyan]{safe(copy.url)}[/]",
                    soft_wrap=True,
                )
        if data["also_reached_as"]:
            console.print("Also reached as: " + safe(", ".join(data["also_reached_as"])), soft_wrap=True)
        console.print()
        console.print(output.plain(article.text), highlight=False)


@cli.command()
@click.option(
    "--since",
    default="30d",
    show_default=True,
    metavar="WHEN",
    help="The window of the figures per day, outlet, country and theme: a date or an age.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def stats(app: App, since: str, fmt: str) -> None:
    """Archive figures and crawl health: articles per day, outlet, country and theme over a
    window; per outlet the last new article, failed runs in a row, the last error, and
    whether its yield dropped.

    \b
    Example:
      newsalert stats --since 7d --format json
    """
    now = datetime.now(UTC)
    window = parse_when(since, "--since", now=now)
    assert window is not None
    with app.sessions() as session:
        totals = archive_stats.archive_totals(session)
        health = archive_stats.outlet_health(session)
        yields = {y.name: y for y in archive_stats.outlet_yields(session, now)}
        last_run = ledger.latest_run(session)
        runs = ledger.recent_runs(session)
        seen = archive_stats.seen_status_counts(session)
        per_day = archive_stats.articles_per_day(session, window)
        per_outlet = archive_stats.articles_per_outlet(session, window)
        per_country = archive_stats.articles_per_tag(session, "country", window)
        per_theme = archive_stats.articles_per_tag(session, "theme", window)
        from newsalert.digest.service import unknown_digests

        unknown = unknown_digests(session)
    if fmt == "json":
        click.echo(
            output.to_json(
                {
                    "articles": totals["articles"],
                    "outlets": totals["outlets"],
                    "first_fetched": output.iso(totals["first_fetched"]),
                    "last_fetched": output.iso(totals["last_fetched"]),
                    "urls_by_status": seen,
                    "digests_unknown": unknown,
                    "window": {"since": output.iso(window), "until": output.iso(now)},
                    "per_day": [{"date": day, "articles": n} for day, n in per_day],
                    "per_outlet": [{"outlet": name, "articles": n} for name, n in per_outlet],
                    "per_country": [{"country": code, "name": label, "articles": n} for code, label, n in per_country],
                    "per_theme": [{"theme": code, "label": label, "articles": n} for code, label, n in per_theme],
                    "last_run": None
                    if last_run is None
                    else {
                        "id": last_run.id,
                        "status": last_run.status,
                        "started_at": output.iso(last_run.started_at),
                        "finished_at": output.iso(last_run.finished_at),
                        "error": last_run.error,
                        "trigger": last_run.trigger,
                        "digests_sent": last_run.digests_sent,
                        "digests_failed": last_run.digests_failed,
                    },
                    "recent_runs": [
                        {
                            "id": r.id,
                            "status": r.status,
                            "trigger": r.trigger,
                            "started_at": output.iso(r.started_at),
                            "finished_at": output.iso(r.finished_at),
                            "error": r.error,
                        }
                        for r in runs
                    ],
                    "outlets_health": [
                        {
                            "name": h.name,
                            "enabled": h.enabled,
                            "articles": h.articles,
                            "last_article_at": output.iso(h.last_article_at),
                            "last_run_status": h.last_run_status,
                            "failed_runs_in_a_row": h.failed_runs_in_a_row,
                            "last_error": h.last_error,
                            "articles_last_week": yields[h.name].last_week,
                            "weekly_average_before": yields[h.name].weekly_average,
                            "yield_dropped": yields[h.name].dropped,
                        }
                        for h in health
                    ],
                }
            )
        )
        return
    console.print(
        f"[bold]{totals['articles']}[/] articles from {totals['outlets']} outlets"
        + (f", last fetched {output.since_label(totals['last_fetched'], now)}" if totals["last_fetched"] else "")
    )
    _warn_unknown(unknown)
    if last_run:
        console.print(
            f"Last run {last_run.id} ({last_run.trigger}): [bold]{last_run.status}[/], started "
            f"{last_run.started_at:%Y-%m-%d %H:%M} UTC"
            + (f" — {output.safe(last_run.error)}" if last_run.error else ""),
            soft_wrap=True,
        )
    for run in runs[1:]:
        if run.status in (RunStatus.FAILED, RunStatus.INTERRUPTED):
            console.print(
                f"Earlier run {run.id} ({run.trigger}, {run.started_at:%Y-%m-%d %H:%M} UTC): "
                f"[red]{run.status}[/]" + (f" — {output.safe(run.error)}" if run.error else ""),
                soft_wrap=True,
            )
    if per_day:
        counts = dict(per_day)
        days = [(window + timedelta(days=i)).date().isoformat() for i in range((now - window).days + 1)]
        console.print(
            f"Per day since {window:%Y-%m-%d}: {output.sparkline([counts.get(d, 0) for d in days])} "
            f"(max {max(counts.values())})"
        )
    for label, rows in (
        ("outlets", list(per_outlet)),
        ("countries", [(f"{code} {name}", c) for code, name, c in per_country]),
        ("themes", [(name, c) for _code, name, c in per_theme]),
    ):
        if rows:
            console.print(f"Top {label}: " + output.safe(", ".join(f"{name} {count}" for name, count in rows[:10])))
    table = Table(header_style="bold")
    for name, justify in (
        ("outlet", "left"),
        ("articles", "right"),
        ("last new article", "left"),
        ("last 7 days / usual", "right"),
        ("last run", "left"),
        ("failed runs in a row", "right"),
        ("last error", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for h in health:
        y = yields[h.name]
        style = "red" if h.failed_runs_in_a_row or y.dropped else ("dim" if not h.enabled else "")
        table.add_row(
            output.plain(h.name),
            str(h.articles),
            output.since_label(h.last_article_at, now),
            f"{y.last_week} / {y.weekly_average:.1f}" + (" ↓" if y.dropped else ""),
            h.last_run_status or "-",
            str(h.failed_runs_in_a_row),
            output.plain((h.last_error or "")[:80]),
            style=style,
        )
    console.print(table)


@cli.command()
@click.argument("target", metavar="URL|FILE")
@click.option("--url", metavar="URL", help="The address to judge a saved page under (its site, its links).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def explain(app: App, target: str, url: str | None, fmt: str) -> None:
    """Show what the pipeline makes of one page, storing nothing: the extracted title, date,
    author and language; every contribution to the relevance score; the threshold; kept or
    not and why; the tags with their salience.

    TARGET is an http(s) URL to fetch or a saved HTML file. Edit topics.yaml and run it again
    to see the effect at once.

    \b
    Example:
      newsalert explain https://example.org/2026/11/story.html
      newsalert explain saved.html --url https://example.org/story --format json
    """
    from newsalert.service.explain import ExplainError
    from newsalert.service.explain import explain as explain_page

    try:
        explanation = explain_page(app.config, target, url=url)
    except ExplainError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(output.to_json(explanation.to_json()))
        return
    output.print_explanation(console, explanation.to_json())


@cli.command()
@click.option("--since", metavar="WHEN", help="Only articles published since: a date or an age (default: all).")
@pass_app
def rescore(app: App, since: str | None) -> None:
    """Judge the stored articles again under the current topic profile, after topics.yaml
    changed: relevance and tags are recomputed and what changed is printed.

    An article now off topic stays archived but leaves the digest and the default search.

    \b
    Example:
      newsalert rescore --since 30d
    """
    from newsalert.service.rescore import Change
    from newsalert.service.rescore import rescore as rescore_archive

    def show(change: Change) -> None:
        parts = [change.verdict] if change.verdict else []
        if change.old_relevance != change.new_relevance:
            parts.append(f"relevance {_score(change.old_relevance)} → {_score(change.new_relevance)}")
        if change.tags_added:
            parts.append("tags added " + ", ".join(change.tags_added))
        if change.tags_removed:
            parts.append("tags removed " + ", ".join(change.tags_removed))
        line = Text(f"#{change.article_id} ", style="bold")
        line.append(output.shorten(change.title, 70))
        line.append(": " + "; ".join(parts), style="red" if change.verdict == "now off topic" else "")
        console.print(line, soft_wrap=True)

    result = rescore_archive(app.config, app.sessions, since=parse_when(since, "--since"), on_change=show)
    profile = f"topic profile {result.version}" if result.version else "no topic profile (every article is kept)"
    console.print(
        f"Rescored {result.examined} article{'s' if result.examined != 1 else ''} under {profile}: "
        f"{result.now_off_topic} now off topic, {result.back_on_topic} back on topic, "
        f"{result.retagged} with changed tags, {len(result.changes)} changed in all."
    )


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


@cli.command()
@pass_app
def run(app: App) -> None:
    """Run the daily job once now: crawl, then build and send the digests (for cron).

    Exits 1 when an outlet failed, a digest could not be delivered, or another run holds the lock.

    \b
    Example:
      newsalert run          # e.g. from cron: 0 6 * * * cd /srv/newsalert && .venv/bin/newsalert run
    """
    from newsalert.service.job import daily_job

    app.sessions  # noqa: B018 - migrate first
    result = daily_job(app.config, app.sessions, trigger="run", log_level=app.log_level)
    if result.skipped:
        err_console.print(f"[yellow]Another daily job is running ({output.safe(result.holder)}); nothing done.[/]")
        sys.exit(EXIT_ATTENTION)
    assert result.crawl is not None
    console.print(crawl_table(result.crawl.outlets, title=f"Crawl run {result.crawl.run_id}"))
    if result.digests is not None:
        sent = sum(1 for d in result.digests.digests if d.status == DigestStatus.SENT)
        console.print(
            f"Digests: {sent} sent, {len(result.digests.problems)} not delivered"
            + (f" ({output.safe(result.digests.error)})" if result.digests.error else "")
        )
    sys.exit(EXIT_ATTENTION if result.needs_attention else EXIT_OK)


@cli.command()
@pass_app
def serve(app: App) -> None:
    """Run the daily job on schedule.cron, in the foreground, until SIGTERM or SIGINT.

    A run missed while the service was down runs once on start (within schedule.misfire_grace_hours).
    Logs go to stderr with timestamps; exit 0 on SIGTERM/SIGINT.

    \b
    Example:
      newsalert --config /etc/newsalert/newsalert.yaml serve
    """
    from newsalert.service.scheduler import serve as serve_forever

    app.sessions  # noqa: B018 - migrate before the first run
    if app.verbosity >= 0:
        logging.getLogger("newsalert").setLevel(logging.INFO)
    sys.exit(serve_forever(app.config, app.sessions, log_level=app.log_level))


@cli.command()
@click.option("--send", is_flag=True, help="Deliver over SMTP and record it; without it, only build previews.")
@click.option(
    "--preview",
    "preview_file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Also write the (first) digest's HTML to FILE.",
)
@click.option("--subscriber", metavar="EMAIL", help="Only this subscriber's digest.")
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="With --send: digests whose delivery is unknown (the SMTP transaction was cut short) were "
    "not delivered after all: send their stories again.",
)
@pass_app
def digest(app: App, send: bool, preview_file: str | None, subscriber: str | None, resend_unknown: bool) -> None:
    """Build the Daily News Alert for every subscriber from what they have not been sent yet.

    Every digest is archived as HTML under digest.archive_dir. Without --send nothing is
    mailed or marked sent. Exits 1 when a digest could not be delivered (it is retried next run).

    \b
    Example:
      newsalert digest --preview /tmp/alert.html
      NEWSALERT_SMTP_PASSWORD=... newsalert digest --send
    """
    from newsalert.digest.service import UnknownSubscriber, run_digests

    if resend_unknown and not send:
        raise UsageError("--resend-unknown needs --send")
    try:
        run = run_digests(app.config, app.sessions, send=send, subscriber=subscriber, resend_unknown=resend_unknown)
    except UnknownSubscriber as exc:
        raise UsageError(str(exc)) from None
    _warn_unknown(run.unknown)
    if not run.digests:
        console.print("No new stories: no digest built.")
        return
    table = Table(header_style="bold")
    for name in ("digest", "recipient", "stories", "status", "file"):
        table.add_column(name)
    styles = {
        DigestStatus.SENT: "green",
        DigestStatus.PREVIEW: "cyan",
        DigestStatus.FAILED: "red",
        DigestStatus.REFUSED: "red",
        DigestStatus.UNKNOWN: "yellow",
    }
    for built in run.digests:
        status = built.status + (f": {built.error}" if built.error else "")
        table.add_row(
            str(built.digest_id),
            output.plain(built.recipient or "(preview)"),
            str(built.stories),
            output.plain(status, styles.get(built.status, "")),
            output.plain(built.html_path),
        )
    console.print(table)
    if preview_file:
        Path(preview_file).write_text(run.digests[0].html_path.read_text(encoding="utf-8"), encoding="utf-8")
        console.print(f"Preview written to {preview_file}")
    if run.error:
        err_console.print(f"[red]{output.safe(run.error)}[/] — nothing was marked sent; the next run delivers it.")
    if run.error or run.problems:
        sys.exit(EXIT_ATTENTION)


def _warn_unknown(unknown: list[str]) -> None:
    if unknown:
        err_console.print(
            f"[yellow]Delivery unknown:[/] {output.safe(', '.join(unknown))} (the SMTP transaction was "
            "cut short; never sent again automatically; if it did not arrive: "
            "newsalert digest --send --resend-unknown)",
            soft_wrap=True,
        )


@cli.group()
def subscribers() -> None:
    """Manage who receives the digest."""


@subscribers.command("add")
@click.argument("email")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only stories with this tag: KE, africa, trade, BRI or kind:code (repeatable: any of them).",
)
@pass_app
def subscribers_add(app: App, email: str, tags: tuple[str, ...]) -> None:
    """Add a subscriber, or change an existing subscriber's tags.

    \b
    Example:
      newsalert subscribers add analyst@example.org --tag africa --tag BRI
    """
    address = _valid_email(email)
    with app.sessions.begin() as session:
        existing = session.scalar(select(SubscriberRow).where(SubscriberRow.email == address))
        if existing is None:
            session.add(SubscriberRow(email=address, tags=list(tags), created_at=datetime.now(UTC)))
            console.print(f"Added {address}" + (f" (tags: {', '.join(tags)})" if tags else ""))
        else:
            existing.tags = list(tags)
            console.print(f"Updated {address}: " + (f"tags {', '.join(tags)}" if tags else "every story"))


@subscribers.command("remove")
@click.argument("email")
@pass_app
def subscribers_remove(app: App, email: str) -> None:
    """Remove a subscriber (their delivered digests stay in the ledger).

    \b
    Example:
      newsalert subscribers remove analyst@example.org
    """
    address = email.strip().lower()
    with app.sessions.begin() as session:
        existing = session.scalar(select(SubscriberRow).where(SubscriberRow.email == address))
        if existing is None:
            raise click.ClickException(f"no subscriber {address!r}")
        session.delete(existing)
    console.print(f"Removed {address}")


@subscribers.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def subscribers_list(app: App, fmt: str) -> None:
    """List the subscribers, their tags and their last delivered digest.

    \b
    Example:
      newsalert subscribers list --format json
    """
    from newsalert.digest.selection import last_delivery_end

    with app.sessions() as session:
        rows = [
            (s.email, list(s.tags), last_delivery_end(session, s.id))
            for s in session.scalars(select(SubscriberRow).order_by(SubscriberRow.email))
        ]
    if fmt == "json":
        click.echo(output.to_json([{"email": e, "tags": t, "last_delivery": output.iso(d)} for e, t, d in rows]))
        return
    table = Table(header_style="bold")
    for name in ("email", "tags", "last delivered digest covers up to"):
        table.add_column(name)
    for email, tags, delivered in rows:
        covered = f"{delivered:%Y-%m-%d %H:%M} UTC" if delivered else "never"
        table.add_row(output.plain(email), output.plain(", ".join(tags) or "(every story)"), covered)
    console.print(table if rows else "No subscribers yet: newsalert subscribers add EMAIL")


def _valid_email(value: str) -> str:
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    address = value.strip().lower()
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.domain or "." not in parsed.domain or any(c in address for c in "\r\n<>,"):
        raise UsageError(f"not an e-mail address: {value!r}")
    return address


@cli.group()
def outlets() -> None:
    """Inspect the configured outlets."""


@outlets.command("check")
@click.option("--outlet", "outlet_names", multiple=True, metavar="NAME", help="Check only this outlet.")
@pass_app
def outlets_check(app: App, outlet_names: tuple[str, ...]) -> None:
    """Validate the outlet list, then fetch each outlet's feeds, sitemaps and listings
    and count the article links they yield (no article is fetched or stored).

    Exits 1 when an outlet cannot be reached or yields no article links.

    \b
    Example:
      newsalert outlets check --outlet "UN News"
    """
    from newsalert.crawler.runner import run_crawl

    try:
        chosen = app.config.select_outlets(outlet_names)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    console.print(f"{app.config.settings.outlets_file}: {len(app.config.outlets)} outlets, valid.")
    for outlet in app.config.outlets:
        if not outlet.enabled and outlet not in chosen:
            line = output.plain(f"Disabled: {outlet.name}", "dim")
            line.append(output.plain(f" ({outlet.disabled_reason})" if outlet.disabled_reason else ""))
            console.print(line, soft_wrap=True)
    app.sessions  # noqa: B018
    with _progress(len(chosen)) as show:
        result = run_crawl(app.config, chosen, discover_only=True, log_level=app.log_level, on_progress=show)
    table = Table(title="Outlet check", header_style="bold")
    for name in ("outlet", "reachable sources", "failed sources", "article links", "problem"):
        table.add_column(name)
    bad = []
    for name, t in sorted(result.outlets.items()):
        problem = "; ".join(t["errors"][:2]) or ("no article links found" if not t["discovered"] else "")
        if problem and (t["status"] == RunStatus.FAILED or not t["discovered"]):
            bad.append(name)
        table.add_row(
            output.plain(name),
            str(t["sources_ok"]),
            str(t["sources_failed"]),
            str(t["discovered"]),
            output.plain(problem),
            style="red" if name in bad else "",
        )
    console.print(table)
    if bad:
        err_console.print(f"[red]{len(bad)} outlet(s) need attention:[/] {output.safe(', '.join(bad))}")
        sys.exit(EXIT_ATTENTION)


@cli.command()
@click.option("--keep-serving", is_flag=True, help="Keep the sample sites up after the crawl (Ctrl-C stops).")
@pass_app
def demo(app: App, keep_serving: bool) -> None:
    """Serve the bundled sample outlets on 127.0.0.1 and crawl them into ./data/demo.

    Works offline; prints what was stored and the commands to try next.

    \b
    Example:
      newsalert demo
    """
    from newsalert.crawler.demo.site import start_demo_sites, stop_demo_sites
    from newsalert.service.demo import write_demo_config

    sites = start_demo_sites()
    try:
        app.config_path, app.database = str(write_demo_config(sites)), None
        for cached in ("config", "sessions"):
            app.__dict__.pop(cached, None)
        console.print(
            f"Serving {len(sites)} sample outlets on 127.0.0.1: "
            + ", ".join(f"{s.name} ({s.server.base_url})" for s in sites)
        )
        result = _crawl(app, (), trigger="demo")
        with app.sessions() as session:
            latest = search_store.search_articles(session, search_store.SearchFilters(limit=10))
            totals = archive_stats.archive_totals(session)
            console.print(
                output.articles_table(
                    latest,
                    article_store.story_copies(session, latest),
                    title=f"Newest of the {totals['articles']} articles archived",
                )
            )
        from newsalert.digest.service import run_digests

        built = run_digests(app.config, app.sessions, send=False).digests
        if built:
            console.print(f"[bold]Daily News Alert written to:[/] {built[0].html_path} ({built[0].stories} stories)")
        if keep_serving:
            console.print("The sample sites stay up; press Ctrl-C to stop.")
            _wait_forever()
    finally:
        stop_demo_sites(sites)
    config = f"--config {app.config_path}"
    console.print(f"""
[bold]Archive:[/] {app.config.database_url.removeprefix("sqlite:///")}
[bold]Try next:[/]
  newsalert {config} search cooperation
  newsalert {config} search "Sur-Sur" --lang es --format json
  newsalert {config} show {latest[0].id if latest else 1}
  newsalert {config} stats
  newsalert {config} digest --preview alert.html""")
    sys.exit(_crawl_exit_status(result))


def _wait_forever() -> None:
    import time

    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def parse_when(value: str | None, option: str, *, now: datetime | None = None) -> datetime | None:
    """'2026-06-01', '2026-06-01T08:00+02:00' or an age such as '7d', '24h', '2w'."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    if match := RELATIVE.match(value.strip().lower()):
        amount, unit = int(match.group(1)), match.group(2)
        try:
            return now - timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
        except OverflowError:
            raise UsageError(f"{option}: {value!r} reaches back before the year 1") from None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: expected a date such as 2026-06-01 or an age such as 7d, got {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """The console script: every error a user can cause is one line on stderr, exit status 2
    for bad usage or configuration (click's own usage errors included)."""
    try:
        status = cli.main(prog_name="newsalert", standalone_mode=False)
    except click.UsageError as exc:  # a bad option or value: click would print four lines
        command = exc.ctx.command_path if exc.ctx else "newsalert"
        err_console.print(output.plain(f"{command}: {' '.join(exc.format_message().split())}"), soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        err_console.print(output.plain(f"Error: {' '.join(exc.format_message().split())}"), soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        err_console.print("Aborted.")
        sys.exit(EXIT_ATTENTION)
    sys.exit(status if isinstance(status, int) else EXIT_OK)
