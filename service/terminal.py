"""Archive rows for people: rich tables and text on a terminal.

Every stored or scraped string goes in through `plain` (a Text, never markup) or `safe`
(escaped for a markup string), both after `terminal_safe`: no escape sequence from a page
reaches the terminal, and a title with "[/bold]" prints as written.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from newsalert.domain import DigestStatus, RunStatus, TallySnapshot, term_spans
from newsalert.pipelines.clean import terminal_safe

if TYPE_CHECKING:
    from newsalert.storage.articles import StoryCopy
    from newsalert.storage.models import ArticleRow

# Piped output is read by people too (logs, mail from cron): do not squeeze it to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

SNIPPET_WIDTH = 180
SPARKS = "▁▂▃▄▅▆▇█"
RUN_STYLES = {RunStatus.OK: "green", RunStatus.PARTIAL: "yellow", RunStatus.FAILED: "bold red"}
DIGEST_STYLES = {DigestStatus.SENT: "green", DigestStatus.PREVIEW: "cyan", DigestStatus.FAILED: "red",
                 DigestStatus.REFUSED: "red", DigestStatus.UNKNOWN: "yellow"}  # fmt: skip
# Crawl table columns: header -> tally field ("same src": sources unchanged since the last full pass).
CRAWL_COLUMNS = {"same src": "unchanged", "found": "discovered", "known": "known", "pages": "pages",
                 "new": "stored", "dup": "duplicates", "old": "too_old", "off-topic": "irrelevant",
                 "rejected": "rejected", "failed": "failed"}  # fmt: skip


def safe(value: object) -> str:
    """A stored or scraped value for a markup string: no control sequences, no markup."""
    return escape(terminal_safe(str(value)))


def plain(value: object, style: str = "") -> Text:
    """A stored or scraped value as a table cell or a line: no control sequences, never markup."""
    return Text(terminal_safe(str(value)) if value is not None else "", style=style)


def shorten(text: str, width: int) -> str:
    text = " ".join(terminal_safe(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def since_label(value: datetime | str | None, now: datetime) -> str:
    if value is None:
        return "never"
    hours = (now - (datetime.fromisoformat(value) if isinstance(value, str) else value)).total_seconds() / 3600
    if hours < 1:
        return "just now"
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"


def sparkline(values: Sequence[int]) -> str:
    """A one-line chart: ▁ for none, █ for the largest."""
    top = max(values, default=0)
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


# --- crawls ------------------------------------------------------------------------------------


def crawl_table(tallies: dict[str, TallySnapshot], *, title: str) -> Table:
    grid = Table(title=title, header_style="bold")
    grid.add_column("outlet", style="magenta")
    grid.add_column("status")
    for name in CRAWL_COLUMNS:
        grid.add_column(name, justify="right")
    grid.add_column("error", style="red", max_width=50, overflow="fold")
    totals = [0] * len(CRAWL_COLUMNS)
    for name, tally in sorted(tallies.items()):
        figures = [int(tally[field]) for field in CRAWL_COLUMNS.values()]  # type: ignore[literal-required]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        known = tally["status"] in RunStatus.__members__.values()  # a worker's outlet may also be "queued"
        status = plain(tally["status"], RUN_STYLES.get(RunStatus(tally["status"]), "") if known else "")
        grid.add_row(plain(name), status, *map(str, figures), plain("; ".join(tally["errors"][:2])))
    if len(tallies) > 1:
        grid.add_section()
        grid.add_row("total", "", *map(str, totals), "", style="bold")
    return grid


class Progress:
    """A live per-outlet table while a crawl runs (only on a terminal)."""

    def __init__(self, count: int) -> None:
        starting = Spinner("dots", text=f"Starting the crawl of {count} outlet{'s' if count != 1 else ''}…")
        live = Live(starting, console=err_console, refresh_per_second=8, transient=True)
        self.live: Live | None = live if err_console.is_terminal else None

    def __enter__(self) -> Callable[[dict[str, TallySnapshot]], None]:
        if self.live:
            self.live.__enter__()
        return self.update

    def update(self, tallies: dict[str, TallySnapshot]) -> None:
        if self.live:
            self.live.update(crawl_table(tallies, title="Crawling…"))

    def __exit__(self, *exc_info: object) -> None:
        if self.live:
            self.live.__exit__(None, None, None)


def print_crawl(result: Any) -> None:
    console.print(crawl_table(result.outlets, title=f"Crawl run {result.run_id or ''}".strip()))
    if result.error:
        err_console.print(plain(result.error, "yellow"))
    if result.failed_outlets:
        err_console.print(f"[red]Outlets that failed:[/] {safe(', '.join(result.failed_outlets))}")


def print_job(result: Any) -> None:
    """`newsalert run`: the crawl's table and what the digests did."""
    if result.skipped:
        err_console.print(f"[yellow]Another daily job is running ({safe(result.holder)}); nothing done.[/]")
        return
    console.print(crawl_table(result.crawl.outlets, title=f"Crawl run {result.crawl.run_id}"))
    if result.digests is not None:
        sent = sum(1 for d in result.digests.digests if d.status == DigestStatus.SENT)
        error = f" ({safe(result.digests.error)})" if result.digests.error else ""
        console.print(f"Digests: {sent} sent, {len(result.digests.problems)} not delivered{error}")


def print_outlets(config: Any, *, shown: Sequence[str] = ()) -> None:
    """`outlets check`: the list is valid; which outlets are switched off, and why."""
    console.print(f"{config.settings.outlets_file}: {len(config.outlets)} outlets, valid.")
    for outlet in config.outlets:
        if not outlet.enabled and outlet.name not in shown:
            reason = f" ({outlet.disabled_reason})" if outlet.disabled_reason else ""
            console.print(plain(f"Disabled: {outlet.name}{reason}", "dim"), soft_wrap=True)


def print_outlet_check(outlets: dict[str, TallySnapshot]) -> list[str]:
    """`outlets check`'s table; returns the outlets that need attention."""
    table, bad = outlets_check_table(outlets)
    console.print(table)
    if bad:
        err_console.print(f"[red]{len(bad)} outlet(s) need attention:[/] {safe(', '.join(bad))}")
    return bad


def outlets_check_table(outlets: dict[str, TallySnapshot]) -> tuple[Table, list[str]]:
    """The table of `outlets check`, and the outlets that need attention."""
    grid = Table(title="Outlet check", header_style="bold")
    for name in ("outlet", "reachable sources", "failed sources", "article links", "problem"):
        grid.add_column(name)
    bad = []
    for name, tally in sorted(outlets.items()):
        problem = "; ".join(tally["errors"][:2]) or ("no article links found" if not tally["discovered"] else "")
        if problem and (tally["status"] == RunStatus.FAILED or not tally["discovered"]):
            bad.append(name)
        figures = (str(tally["sources_ok"]), str(tally["sources_failed"]), str(tally["discovered"]))
        grid.add_row(plain(name), *figures, plain(problem), style="red" if name in bad else "")
    return grid, bad


# --- articles -------------------------------------------------------------------------------


def highlighted_snippet(text: str, terms: Sequence[tuple[str, ...]]) -> Text:
    """A short passage of `text` around the first match of `terms` (folded tokens), matches in bold."""
    flat = unicodedata.normalize("NFKC", " ".join(terminal_safe(text).split()))
    hits = term_spans(flat, terms)
    start = max(0, hits[0][0] - 60) if hits else 0
    prefix = "…" if start else ""
    snippet = Text(prefix + flat[start : start + SNIPPET_WIDTH] + ("…" if start + SNIPPET_WIDTH < len(flat) else ""))
    snippet.stylize("dim")
    for hit_start, hit_end in hits:
        if start <= hit_start and hit_end <= start + SNIPPET_WIDTH:
            offset = len(prefix) - start
            snippet.stylize("bold yellow not dim", hit_start + offset, hit_end + offset)
    return snippet


def articles_table(
    articles: Sequence[ArticleRow],
    copies: dict[int, list[StoryCopy]],
    *,
    title: str | None = None,
    terms: Sequence[tuple[str, ...]] = (),
) -> Table:
    grid = Table(title=title, show_lines=False, header_style="bold")
    grid.add_column("id", justify="right", style="cyan", no_wrap=True)
    grid.add_column("published", no_wrap=True)
    grid.add_column("outlet", style="magenta", max_width=22)
    grid.add_column("lang", no_wrap=True)
    grid.add_column("title", ratio=1)
    grid.add_column("story", justify="right", no_wrap=True)
    grid.add_column("countries", style="green", max_width=16)
    for article in articles:
        when = article.published_at or article.fetched_at
        story = len(copies.get(article.id, [])) + 1
        countries = ", ".join(link.tag.code for link in article.tags if link.tag.kind == "country")
        headline = plain(article.title, "bold")
        if terms:
            headline.append("\n").append_text(highlighted_snippet(article.text, terms))
        cells = (plain(article.outlet.name), plain(article.language or ""), headline, f"×{story}" if story > 1 else "")
        grid.add_row(str(article.id), f"{when:%Y-%m-%d %H:%M}", *cells, plain(countries))
    return grid


def print_article(data: dict[str, Any]) -> None:
    """`newsalert show`: an article (Archive.show's JSON) with its story and its text."""
    console.print(f"[bold]{safe(data['title'])}[/]", soft_wrap=True)
    byline = f" · {safe(data['author'])}" if data["author"] else ""
    console.print(f"[magenta]{safe(data['outlet'])}[/] · {data['published_at'] or 'undated'} · "
                  f"{safe(data['language'] or '?')}{byline}", soft_wrap=True)  # fmt: skip
    console.print(f"[cyan]{safe(data['url'])}[/]", soft_wrap=True)
    if data.get("date_note"):
        console.print(f"[yellow]Date: {safe(data['date_note'])}[/]", soft_wrap=True)
    if data["relevance"] is not None:
        console.print(f"Relevance {data['relevance']:g}: " + safe(", ".join(data["matched_terms"][:8])), soft_wrap=True)
    if not data["on_topic"]:
        console.print("[yellow]Off topic under the current topic profile (newsalert rescore found it so)[/]")
    for group, codes in data["tags"].items():
        if codes:
            console.print(f"{group.capitalize()}: {safe(', '.join(codes))}")
    if data["copies"]:
        console.print(f"[bold]Story carried by {data['cluster_size']} articles[/] (cluster {data['cluster_id']}); "
                      "also reported by:")  # fmt: skip
        for copy in data["copies"]:
            when = (copy["published_at"] or "undated")[:10]
            console.print(f"  [magenta]{safe(copy['outlet'])}[/] {when} · {safe(copy['title'])} · "
                          f"[cyan]{safe(copy['url'])}[/]", soft_wrap=True)  # fmt: skip
    if data["also_reached_as"]:
        console.print("Also reached as: " + safe(", ".join(data["also_reached_as"])), soft_wrap=True)
    console.print()
    console.print(plain(data["text"]), highlight=False)


# --- stats ------------------------------------------------------------------------------------


def print_stats(data: dict[str, Any], now: datetime) -> None:
    """`newsalert stats` for people, from Archive.stats's document."""
    last_fetched = f", last fetched {since_label(data['last_fetched'], now)}" if data["last_fetched"] else ""
    console.print(f"[bold]{data['articles']}[/] articles from {data['outlets']} outlets{last_fetched}")
    warn_unknown(data["digests_unknown"])
    for position, run in enumerate(data["recent_runs"]):
        if position and run["status"] not in (RunStatus.FAILED, RunStatus.INTERRUPTED):
            continue
        label = "Last run" if position == 0 else "Earlier run"
        error = f" — {safe(run['error'])}" if run["error"] else ""
        console.print(f"{label} {run['id']} ({run['trigger']}): [bold]{run['status']}[/], started "
                      f"{run['started_at'][:16].replace('T', ' ')} UTC{error}", soft_wrap=True)  # fmt: skip
    if data["per_day"]:
        counts = {row["date"]: row["articles"] for row in data["per_day"]}
        window = datetime.fromisoformat(data["window"]["since"])
        days = [(window + timedelta(days=i)).date().isoformat() for i in range((now - window).days + 1)]
        console.print(f"Per day since {window:%Y-%m-%d}: {sparkline([counts.get(d, 0) for d in days])} "
                      f"(max {max(counts.values())})")  # fmt: skip
    for label, rows in (("outlets", [(r["outlet"], r["articles"]) for r in data["per_outlet"]]),
                        ("countries", [(f"{r['country']} {r['name']}", r["articles"]) for r in data["per_country"]]),
                        ("themes", [(r["label"], r["articles"]) for r in data["per_theme"]])):  # fmt: skip
        if rows:
            console.print(f"Top {label}: " + safe(", ".join(f"{name} {count}" for name, count in rows[:10])))
    grid = Table(header_style="bold")
    for name in ("outlet", "articles>", "last new article", "last 7 days / usual>", "last run", "failed runs in a row>",
                 "last error"):  # fmt: skip
        grid.add_column(name.rstrip(">"), justify="right" if name.endswith(">") else "left")
    for h in data["outlets_health"]:
        style = "red" if h["failed_runs_in_a_row"] or h["yield_dropped"] else ("dim" if not h["enabled"] else "")
        usual = f"{h['articles_last_week']} / {h['weekly_average_before']:.1f}" + (" ↓" if h["yield_dropped"] else "")
        grid.add_row(plain(h["name"]), str(h["articles"]), since_label(h["last_article_at"], now), usual,
                     h["last_run_status"] or "-", str(h["failed_runs_in_a_row"]), plain((h["last_error"] or "")[:80]),
                     style=style)  # fmt: skip
    console.print(grid)


# --- digests, subscribers, rescore, explain -----------------------------------------------


def warn_unknown(unknown: list[str]) -> None:
    if unknown:
        err_console.print(f"[yellow]Delivery unknown:[/] {safe(', '.join(unknown))} (the SMTP transaction was cut "
                          "short; never sent again automatically; if it did not arrive: "
                          "newsalert digest --send --resend-unknown)", soft_wrap=True)  # fmt: skip


def print_digests(run: Any) -> None:
    grid = Table(header_style="bold")
    for name in ("digest", "recipient", "stories", "status", "file"):
        grid.add_column(name)
    for built in run.digests:
        status = built.status + (f": {built.error}" if built.error else "")
        grid.add_row(str(built.digest_id), plain(built.recipient or "(preview)"), str(built.stories),
                     plain(status, DIGEST_STYLES.get(built.status, "")), plain(built.html_path))  # fmt: skip
    console.print(grid)
    if run.error:
        err_console.print(f"[red]{safe(run.error)}[/] — nothing was marked sent; the next run delivers it.")


def print_subscribers(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("No subscribers yet: newsalert subscribers add EMAIL")
        return
    grid = Table(header_style="bold")
    for name in ("email", "status", "alerts", "last delivered digest covers up to"):
        grid.add_column(name)
    for row in rows:
        covered = f"{row['last_delivery'][:16].replace('T', ' ')} UTC" if row["last_delivery"] else "never"
        alerts = "\n".join(
            f"{a['name']}: {a['about']}" + (f"\n  feed {a['feed']}" if a.get("feed") else "") for a in row["alerts"]
        )
        grid.add_row(plain(row["email"]), row["status"], plain(alerts or "(none)"), covered)
    console.print(grid)


def print_change(change: Any) -> None:
    """One line of `newsalert rescore`."""

    def score(value: float | None) -> str:
        return "none" if value is None else f"{value:g}"

    parts = [change.verdict] if change.verdict else []
    if change.old_relevance != change.new_relevance:
        parts.append(f"relevance {score(change.old_relevance)} → {score(change.new_relevance)}")
    if change.tags_added:
        parts.append("tags added " + ", ".join(change.tags_added))
    if change.tags_removed:
        parts.append("tags removed " + ", ".join(change.tags_removed))
    line = Text(f"#{change.article_id} ", style="bold")
    line.append(shorten(change.title, 70))
    line.append(": " + "; ".join(parts), style="red" if change.verdict == "now off topic" else "")
    console.print(line, soft_wrap=True)


def print_explanation(data: dict[str, Any]) -> None:
    """`newsalert explain` for people: the page, each rule's contribution, the verdict, the tags."""
    for label, key in (("Title", "title"), ("Published", "published_at"), ("Author", "author"),
                       ("Language", "language"), ("URL", "url"), ("Read from", "source")):  # fmt: skip
        if key != "source" or data["source"] != data["url"]:
            console.print(Text(f"{label:<10}", style="bold") + plain(data[key] or "-"), soft_wrap=True)
    if data["rejected"]:
        console.print(plain(f"Not an article: {data['rejected']['status']}: {data['rejected']['reason']}", "red"))
        return
    if data["topic"]:
        console.print(Text(f"\nTopic {data['topic']} (profile {data['profile_version']}): "
                           f"score {data['relevance']:g}, threshold {data['threshold']:g}", style="bold"))  # fmt: skip
        grid = Table(header_style="bold", show_edge=False, box=None, pad_edge=False)
        for name, justify in (("weight", "right"), ("rule", "left"), ("what", "left"), ("why", "left")):
            grid.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for c in data["contributions"]:
            details = [c["note"]] if c["note"] else []
            if c["partners"]:
                details.append("partners: " + ", ".join(c["partners"]))
            if c["terms"] and c["rule"] == "partnership":
                details.append("terms: " + ", ".join(c["terms"]))
            style = "green" if c["weight"] > 0 else "red" if c["weight"] < 0 else "dim"
            grid.add_row(Text(f"{c['weight']:+g}", style=style), plain(c["rule"]), plain(c["label"]),
                         plain("; ".join(details)))  # fmt: skip
        console.print(grid if data["contributions"] else Text("No rule matched anything.", style="dim"))
    console.print(Text(data["reason"].capitalize(), style="bold green" if data["kept"] else "bold red"))
    if data["tags"]:
        console.print(Text("\nTags (salience):", style="bold"))
        by_kind: dict[str, list[str]] = {}
        for tag in data["tags"]:
            by_kind.setdefault(tag["kind"], []).append(f"{tag['code']} {tag['salience']:g}")
        for kind, tags in by_kind.items():
            console.print(Text(f"  {kind:<11}") + plain(", ".join(tags)), soft_wrap=True)
