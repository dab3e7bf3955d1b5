"""The crawl ledger: the outlets, every URL met and what became of it, and the runs.

Recording goes through ON CONFLICT clauses on natural keys, so concurrent writers (several
crawl processes, later several machines) agree without locks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from newsalert.config.models import Outlet
from newsalert.domain import RunStatus, UrlStatus
from newsalert.storage.db import dialect_insert
from newsalert.storage.models import (
    CrawlRunRow,
    OutletRow,
    OutletRunRow,
    SeenUrlRow,
    SourceStateRow,
    utcnow,
)

IN_CLAUSE_CHUNK = 500


@dataclass(frozen=True)
class UrlRecord:
    url: str  # canonical
    outlet_id: int | None
    status: str
    reason: str | None = None
    http_status: int | None = None
    article_id: int | None = None
    relevance: float | None = None
    topic_version: str | None = None  # the topic profile that judged the page
    published_at: datetime | None = None


@dataclass(frozen=True)
class SourceState:
    """What a source answered when last read in full (see SourceStateRow)."""

    url: str
    outlet_id: int
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    judged_by: str | None


@dataclass(frozen=True)
class Reconsider:
    """Off-topic pages that may be fetched again: judged under another topic profile than
    `topic_version`, and published (or first met) since `since` (None: whenever)."""

    topic_version: str
    since: datetime | None


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    items = list(items)
    for start in range(0, len(items), IN_CLAUSE_CHUNK):
        yield items[start : start + IN_CLAUSE_CHUNK]


def sync_outlets(session: Session, outlets: Iterable[Outlet]) -> dict[str, int]:
    """Insert or update the configured outlets; returns their ids by name."""
    ids: dict[str, int] = {}
    for outlet in outlets:
        values = {
            "domain": outlet.domain,
            "url": outlet.url,
            "language": outlet.language,
            "country": outlet.country,
            "enabled": outlet.enabled,
        }
        statement = dialect_insert(session, OutletRow).values(name=outlet.name, created_at=utcnow(), **values)
        statement = statement.on_conflict_do_update(index_elements=["name"], set_=values)
        session.execute(statement)
        ids[outlet.name] = session.execute(select(OutletRow.id).where(OutletRow.name == outlet.name)).scalar_one()
    return ids


def outlet_ids(session: Session, outlets: Iterable[Outlet]) -> dict[str, int]:
    """The ids of the outlets by name; outlets the archive does not know yet are added. The
    crawl's command synced them all before the crawl began, so this is one read."""
    wanted = list(outlets)
    rows = session.execute(select(OutletRow.name, OutletRow.id).where(OutletRow.name.in_([o.name for o in wanted])))
    ids: dict[str, int] = {name: id_ for name, id_ in rows}
    missing = [outlet for outlet in wanted if outlet.name not in ids]
    return {**ids, **(sync_outlets(session, missing) if missing else {})}


def outlet_id_named(session: Session, name: str) -> int | None:
    return session.scalar(select(OutletRow.id).where(OutletRow.name == name))


def outlet_names(session: Session) -> list[str]:
    """The names of every outlet the archive has met (configured now or before)."""
    return list(session.scalars(select(OutletRow.name)))


def settled_urls(
    session: Session, urls: Collection[str], *, max_attempts: int, reconsider: Reconsider | None = None
) -> set[str]:
    """The URLs among `urls` that must not be fetched again: final, or failed too often.

    With `reconsider`, an off-topic page judged under another topic profile is not settled
    while it is recent: the changed profile may keep it now.
    """
    settled: set[str] = set()
    final = or_(SeenUrlRow.status != UrlStatus.FAILED, SeenUrlRow.attempts >= max_attempts)
    if reconsider is not None:
        when = func.coalesce(SeenUrlRow.published_at, SeenUrlRow.first_seen)
        judged_before = and_(
            SeenUrlRow.status == UrlStatus.OFF_TOPIC,
            or_(SeenUrlRow.topic_version.is_(None), SeenUrlRow.topic_version != reconsider.topic_version),
            *([when >= reconsider.since] if reconsider.since else []),
        )
        final = and_(final, ~judged_before)
    for chunk in _chunks(urls):
        rows = session.execute(select(SeenUrlRow.url).where(SeenUrlRow.url.in_(chunk), final))
        settled.update(rows.scalars())
    return settled


# What a URL recorded again takes from the new record (`attempts` counts up, `first_seen` stays).
UPDATED_ON_RECORD = ("status", "reason", "http_status", "article_id", "relevance", "topic_version", "published_at",
                     "last_seen")  # fmt: skip


def record_urls(session: Session, records: Iterable[UrlRecord]) -> None:
    """Record what became of each URL. A stored URL stays stored; a failure counts an attempt."""
    now = utcnow()
    table = SeenUrlRow.__table__
    insert = dialect_insert(session, table)
    # One statement, its values as parameters (compiled once, not per URL); a known URL takes
    # the new values (`excluded`: those it would have been inserted with).
    statement = insert.on_conflict_do_update(
        index_elements=["url"],
        set_={**{name: insert.excluded[name] for name in UPDATED_ON_RECORD}, "attempts": table.c.attempts + 1},
        where=table.c.status != UrlStatus.STORED,
    )
    for record in records:  # one at a time: a URL twice in one multi-row upsert is an error on PostgreSQL
        session.execute(
            statement,
            {
                "url": record.url,
                "outlet_id": record.outlet_id,
                "attempts": 1,
                "first_seen": now,
                "status": record.status,
                "reason": record.reason,
                "http_status": record.http_status,
                "article_id": record.article_id,
                "relevance": record.relevance,
                "topic_version": record.topic_version,
                "published_at": record.published_at,
                "last_seen": now,
            },
        )


def record_new_urls(session: Session, records: Iterable[UrlRecord]) -> None:
    """Record URLs met but not fetched (e.g. too old), leaving known ones as they are."""
    now = utcnow()
    rows = [
        {
            "url": r.url,
            "outlet_id": r.outlet_id,
            "status": r.status,
            "reason": r.reason,
            "attempts": 0,
            "first_seen": now,
            "last_seen": now,
        }
        for r in records
    ]
    if rows:
        session.execute(dialect_insert(session, SeenUrlRow).values(rows).on_conflict_do_nothing(index_elements=["url"]))


def source_states(session: Session, outlet_ids: Collection[int]) -> dict[str, SourceState]:
    """The stored validators of the outlets' sources, by URL."""
    rows = session.scalars(select(SourceStateRow).where(SourceStateRow.outlet_id.in_(list(outlet_ids))))
    return {
        row.url: SourceState(row.url, row.outlet_id, row.etag, row.last_modified, row.body_hash, row.judged_by)
        for row in rows
    }


def save_source_states(session: Session, states: Iterable[SourceState]) -> None:
    """Insert or replace the validators of sources read in full (one statement)."""
    now = utcnow()
    rows = [{**asdict(state), "checked_at": now} for state in states]
    if not rows:
        return
    statement = dialect_insert(session, SourceStateRow).values(rows)
    replaced = {name: statement.excluded[name] for name in rows[0] if name != "url"}
    session.execute(statement.on_conflict_do_update(index_elements=["url"], set_=replaced))


def start_run(session: Session, *, trigger: str, pid: int | None, host: str | None = None) -> int:
    run = CrawlRunRow(trigger=trigger, pid=pid, host=host, status=RunStatus.RUNNING, started_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


def close_dead_runs(session: Session, host: str, is_alive: Callable[[int], bool]) -> list[int]:
    """Runs left `running` on this machine by a process that no longer exists (killed with -9,
    the machine rebooted) are failed runs: close them, and say which."""
    dead = [
        run
        for run in session.scalars(
            select(CrawlRunRow).where(CrawlRunRow.status == RunStatus.RUNNING, CrawlRunRow.host == host)
        )
        if run.pid is None or not is_alive(run.pid)
    ]
    for run in dead:
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"process died (pid {run.pid})", utcnow()
    return [run.id for run in dead]


def finish_run(session: Session, run_id: int, *, status: str, error: str | None = None) -> None:
    session.execute(
        update(CrawlRunRow).where(CrawlRunRow.id == run_id).values(status=status, error=error, finished_at=utcnow())
    )


def record_outlet_run(
    session: Session, run_id: int, outlet_id: int, figures: dict[str, Any], tally: dict[str, Any] | None = None
) -> None:
    """The outlet's figures in the run, replacing what an earlier report of it said (a
    distributed crawl reports progress, and a redelivered outlet reports again)."""
    session.execute(delete(OutletRunRow).where(OutletRunRow.run_id == run_id, OutletRunRow.outlet_id == outlet_id))
    session.add(OutletRunRow(run_id=run_id, outlet_id=outlet_id, tally=tally, **figures))


def record_outlet_progress(
    session: Session, run_id: int, outlet_id: int, figures: dict[str, Any], tally: dict[str, Any]
) -> None:
    """The outlet's figures so far, on its `running` row: one statement, so that it can never
    overwrite the final figures its crawl process may be writing at the same moment."""
    session.execute(
        update(OutletRunRow)
        .where(
            OutletRunRow.run_id == run_id,
            OutletRunRow.outlet_id == outlet_id,
            OutletRunRow.status == RunStatus.RUNNING,
        )
        .values(**{key: value for key, value in figures.items() if key != "status"}, tally=tally)
    )


def outlet_runs(session: Session, run_id: int) -> list[tuple[OutletRunRow, str]]:
    rows = session.execute(
        select(OutletRunRow, OutletRow.name)
        .join(OutletRow, OutletRow.id == OutletRunRow.outlet_id)
        .where(OutletRunRow.run_id == run_id)
        .order_by(OutletRow.name)
    )
    return [(row, name) for row, name in rows]


def recent_runs(session: Session, limit: int = 5) -> list[CrawlRunRow]:
    return list(session.scalars(select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(limit)))


def latest_run(session: Session) -> CrawlRunRow | None:
    return session.scalar(select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(1))


def ran_since(session: Session, moment: datetime, triggers: Collection[str]) -> bool:
    """Whether a run of one of these triggers started at `moment` or later."""
    return (
        session.scalar(
            select(CrawlRunRow.id)
            .where(CrawlRunRow.trigger.in_(list(triggers)), CrawlRunRow.started_at >= moment)
            .limit(1)
        )
        is not None
    )


def record_digest_figures(session: Session, run_id: int, *, sent: int, failed: int) -> None:
    """The daily job's delivery step, on its crawl run."""
    session.execute(
        update(CrawlRunRow).where(CrawlRunRow.id == run_id).values(digests_sent=sent, digests_failed=failed)
    )
