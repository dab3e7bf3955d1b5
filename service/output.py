"""Rendering archive rows for people (rich tables, text) and programs (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from newsalert.domain import TOKEN, fold
from newsalert.pipelines.clean import terminal_safe
from newsalert.storage.articles import StoryCopy
from newsalert.storage.models import ArticleRow

TAG_GROUPS = {"country": "countries", "region": "regions", "theme": "themes", "initiative": "initiatives"}

CSV_FIELDS = [
    "id",
    "url",
    "title",
    "outlet",
    "published_at",
    "fetched_at",
    "language",
    "author",
    "relevance",
    "matched_terms",
    "countries",
    "regions",
    "themes",
    "initiatives",
    "cluster_id",
    "cluster_size",
    "duplicates",
]


def safe(value: object) -> str:
    """A stored or scraped value for a markup string: no control sequences, no markup."""
    return escape(terminal_safe(str(value)))


def plain(value: object, style: str = "") -> Text:
    """A stored or scraped value as a table cell or a line: no control sequences, never markup."""
    return Text(terminal_safe(str(value)) if value is not None else "", style=style)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def article_json(
    article: ArticleRow, copies: list[StoryCopy] | None = None, *, with_text: bool = False
) -> dict[str, Any]:
    """One article as DESIGN.md's JSON object; `copies` are the other articles of its story."""
    copies = copies or []
    tags: dict[str, list[str]] = {group: [] for group in TAG_GROUPS.values()}
    for link in article.tags:  # strongest first
        if group := TAG_GROUPS.get(link.tag.kind):
            tags[group].append(link.tag.code)
    data: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "outlet": article.outlet.name,
        "published_at": iso(article.published_at),
        "fetched_at": iso(article.fetched_at),
        "language": article.language,
        "author": article.author,
        "relevance": article.relevance,
        "matched_terms": list(article.matched_terms or []),
        "tags": tags,
        "cluster_id": article.cluster_id,
        "cluster_size": 1 + len(copies),
        "duplicates": [copy.url for copy in copies],
    }
    if article.date_note:
        data["date_note"] = article.date_note
    if with_text:
        data["description"] = article.description
        data["text"] = article.text
    return data


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def articles_csv(articles: Iterable[ArticleRow], copies: dict[int, list[StoryCopy]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for article in articles:
        row = article_json(article, copies.get(article.id))
        tags = row.pop("tags")
        row.update({kind: ";".join(values) for kind, values in tags.items()})
        row["matched_terms"] = ";".join(row["matched_terms"])
        row["duplicates"] = ";".join(row["duplicates"])
        writer.writerow(row)
    return buffer.getvalue()


SNIPPET_WIDTH = 180


def highlighted_snippet(text: str, terms: Sequence[tuple[str, ...]]) -> Text:
    """A short passage of `text` around the first match of `terms` (folded tokens), matches in bold."""
    flat = unicodedata.normalize("NFKC", " ".join(terminal_safe(text).split()))
    spans = [(m.start(), m.end(), fold(m.group())) for m in TOKEN.finditer(flat)]
    words = [word for _, _, word in spans]
    hits = sorted(
        (spans[i][0], spans[i + len(term) - 1][1])
        for term in terms
        if term
        for i in range(len(words) - len(term) + 1)
        if tuple(words[i : i + len(term)]) == term
    )
    start = max(0, hits[0][0] - 60) if hits else 0
    window = flat[start : start + SNIPPET_WIDTH]
    prefix = "…" if start else ""
    snippet = Text(prefix + window + ("…" if start + SNIPPET_WIDTH < len(flat) else ""), style="dim")
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
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("published", no_wrap=True)
    table.add_column("outlet", style="magenta", max_width=22)
    table.add_column("lang", no_wrap=True)
    table.add_column("title", ratio=1)
    table.add_column("story", justify="right", no_wrap=True)
    table.add_column("countries", style="green", max_width=16)
    for article in articles:
        when = article.published_at or article.fetched_at
        story = len(copies.get(article.id, [])) + 1
        countries = ", ".join(link.tag.code for link in article.tags if link.tag.kind == "country")
        headline = plain(article.title, "bold")
        if terms:
            headline.append("\n").append_text(highlighted_snippet(article.text, terms))
        table.add_row(
            str(article.id),
            f"{when:%Y-%m-%d %H:%M}",
            plain(article.outlet.name),
            plain(article.language or ""),
            headline,
            f"×{story}" if story > 1 else "",
            plain(countries),
        )
    return table


def since_label(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    hours = (now - value).total_seconds() / 3600
    if hours < 1:
        return "just now"
    if hours < 48:
        return f"{hours:.0f} h ago"
    return f"{hours / 24:.0f} days ago"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """A one-line chart: ▁ for none, █ for the largest."""
    top = max(values, default=0)
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


def shorten(text: str, width: int) -> str:
    text = " ".join(terminal_safe(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def print_explanation(console: Console, data: dict[str, Any]) -> None:
    """`newsalert explain` for people: the page, each rule's contribution, the verdict, the tags.

    Scraped strings go in as plain Text, never as markup.
    """

    def field(label: str, value: Any) -> None:
        line = Text(f"{label:<10}", style="bold")
        line.append(terminal_safe(str(value)) if value not in (None, "") else "-")
        console.print(line, soft_wrap=True)

    field("Title", data["title"])
    field("Published", data["published_at"])
    field("Author", data["author"])
    field("Language", data["language"])
    field("URL", data["url"])
    if data["source"] != data["url"]:
        field("Read from", data["source"])
    if data["rejected"]:
        console.print(plain(f"Not an article: {data['rejected']['status']}: {data['rejected']['reason']}", "red"))
        return
    if data["topic"]:
        console.print(
            Text(
                f"\nTopic {data['topic']} (profile {data['profile_version']}): "
                f"score {data['relevance']:g}, threshold {data['threshold']:g}",
                style="bold",
            )
        )
        table = Table(header_style="bold", show_edge=False, box=None, pad_edge=False)
        for name, justify in (("weight", "right"), ("rule", "left"), ("what", "left"), ("why", "left")):
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for c in data["contributions"]:
            details = [c["note"]] if c["note"] else []
            if c["partners"]:
                details.append("partners: " + ", ".join(c["partners"]))
            if c["terms"] and c["rule"] == "partnership":
                details.append("terms: " + ", ".join(c["terms"]))
            style = "green" if c["weight"] > 0 else "red" if c["weight"] < 0 else "dim"
            table.add_row(
                Text(f"{c['weight']:+g}", style=style), plain(c["rule"]), plain(c["label"]), plain("; ".join(details))
            )
        console.print(table if data["contributions"] else Text("No rule matched anything.", style="dim"))
    console.print(Text(data["reason"].capitalize(), style="bold green" if data["kept"] else "bold red"))
    if data["tags"]:
        console.print(Text("\nTags (salience):", style="bold"))
        by_kind: dict[str, list[str]] = {}
        for tag in data["tags"]:
            by_kind.setdefault(tag["kind"], []).append(f"{tag['code']} {tag['salience']:g}")
        for kind, tags in by_kind.items():
            console.print(Text(f"  {kind:<11}") + plain(", ".join(tags)), soft_wrap=True)
