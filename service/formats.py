"""Archive rows for programs: DESIGN.md's JSON objects, CSV, and the stats document."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsalert.storage.articles import StoryCopy
    from newsalert.storage.models import ArticleRow, CrawlRunRow
    from newsalert.storage.stats import OutletHealth, OutletYield


TAG_GROUPS = {"country": "countries", "region": "regions", "theme": "themes", "initiative": "initiatives"}
CSV_FIELDS = ["id", "url", "title", "outlet", "published_at", "fetched_at", "language", "author", "relevance",
              "matched_terms", "countries", "regions", "themes", "initiatives", "cluster_id", "cluster_size",
              "duplicates"]  # fmt: skip


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


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


def show_json(data: dict[str, Any]) -> dict[str, Any]:
    """`show --format json`: Archive.show's document without what only the text view uses."""
    return {key: value for key, value in data.items() if key not in ("on_topic", "copies")}


def copy_json(copy: StoryCopy) -> dict[str, Any]:
    return {"id": copy.article_id, "url": copy.url, "outlet": copy.outlet, "title": copy.title,
            "published_at": iso(copy.published_at)}  # fmt: skip


def articles_csv(articles: Iterable[ArticleRow], copies: dict[int, list[StoryCopy]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for article in articles:
        row = article_json(article, copies.get(article.id))
        tags = row.pop("tags")
        row.pop("date_note", None)
        row.update({kind: ";".join(values) for kind, values in tags.items()})
        row["matched_terms"] = ";".join(row["matched_terms"])
        row["duplicates"] = ";".join(row["duplicates"])
        writer.writerow(row)
    return buffer.getvalue()


def run_json(run: CrawlRunRow) -> dict[str, Any]:
    return {"id": run.id, "status": run.status, "trigger": run.trigger, "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at), "error": run.error, "digests_sent": run.digests_sent,
            "digests_failed": run.digests_failed}  # fmt: skip


def stats_json(*, now: datetime, window: datetime, totals: dict[str, Any], health: list[OutletHealth],
               yields: dict[str, OutletYield], runs: list[CrawlRunRow], seen: dict[str, int],
               per_day: list[tuple[str, int]], per_outlet: list[tuple[str, int]],
               per_country: list[tuple[str, str, int]], per_theme: list[tuple[str, str, int]],
               unknown: list[str]) -> dict[str, Any]:  # fmt: skip
    """The document of `stats --format json`: what the table shows, for a monitoring check."""
    return {
        "articles": totals["articles"],
        "outlets": totals["outlets"],
        "first_fetched": iso(totals["first_fetched"]),
        "last_fetched": iso(totals["last_fetched"]),
        "urls_by_status": seen,
        "digests_unknown": unknown,
        "window": {"since": iso(window), "until": iso(now)},
        "per_day": [{"date": day, "articles": n} for day, n in per_day],
        "per_outlet": [{"outlet": name, "articles": n} for name, n in per_outlet],
        "per_country": [{"country": code, "name": label, "articles": n} for code, label, n in per_country],
        "per_theme": [{"theme": code, "label": label, "articles": n} for code, label, n in per_theme],
        "last_run": run_json(runs[0]) if runs else None,
        "recent_runs": [run_json(run) for run in runs],
        "outlets_health": [
            {
                "name": h.name,
                "enabled": h.enabled,
                "articles": h.articles,
                "last_article_at": iso(h.last_article_at),
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
