"""Figures about the archive and the health of the crawl, for `newsalert stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsalert.domain import RunStatus
from newsalert.storage.models import (
    ArticleRow,
    ArticleTagRow,
    OutletRow,
    OutletRunRow,
    SeenUrlRow,
    TagRow,
)


@dataclass(frozen=True)
class OutletHealth:
    name: str
    enabled: bool
    articles: int
    last_article_at: datetime | None
    last_run_status: str | None
    last_error: str | None
    failed_runs_in_a_row: int


def outlet_health(session: Session) -> list[OutletHealth]:
    """Per outlet: articles stored, when the last new one arrived, and how its runs went."""
    counts = dict(session.execute(select(ArticleRow.outlet_id, func.count()).group_by(ArticleRow.outlet_id)).all())
    last_new = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.max(ArticleRow.fetched_at)).group_by(ArticleRow.outlet_id)
        ).all()
    )
    health = []
    for outlet in session.scalars(select(OutletRow).order_by(OutletRow.name)):
        runs = session.execute(
            select(OutletRunRow.status, OutletRunRow.error)
            .where(OutletRunRow.outlet_id == outlet.id)
            .order_by(OutletRunRow.id.desc())
            .limit(30)
        ).all()
        failed_in_a_row = 0
        for status, _error in runs:
            if status != RunStatus.FAILED:
                break
            failed_in_a_row += 1
        last_error = next((error for _status, error in runs if error), None)
        health.append(
            OutletHealth(
                name=outlet.name,
                enabled=outlet.enabled,
                articles=counts.get(outlet.id, 0),
                last_article_at=last_new.get(outlet.id),
                last_run_status=runs[0][0] if runs else None,
                last_error=last_error,
                failed_runs_in_a_row=failed_in_a_row,
            )
        )
    return health


def seen_status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(SeenUrlRow.status, func.count()).group_by(SeenUrlRow.status)).all())


def archive_totals(session: Session) -> dict[str, Any]:
    first, last, count = session.execute(
        select(func.min(ArticleRow.fetched_at), func.max(ArticleRow.fetched_at), func.count())
    ).one()
    return {
        "articles": count,
        "outlets": session.scalar(select(func.count()).select_from(OutletRow)),
        "first_fetched": first,
        "last_fetched": last,
    }


def articles_per_day(session: Session, since: datetime) -> list[tuple[str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    day = func.date(when)
    rows = session.execute(select(day, func.count()).where(when >= since).group_by(day).order_by(day)).all()
    return [(str(d), n) for d, n in rows]


def articles_per_outlet(session: Session, since: datetime) -> list[tuple[str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    return [
        (name, n)
        for name, n in session.execute(
            select(OutletRow.name, func.count())
            .join(ArticleRow, ArticleRow.outlet_id == OutletRow.id)
            .where(when >= since)
            .group_by(OutletRow.name)
            .order_by(func.count().desc(), OutletRow.name)
        ).all()
    ]


def articles_per_tag(session: Session, kind: str, since: datetime, *, limit: int = 20) -> list[tuple[str, str, int]]:
    when = func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
    return [
        (code, label, n)
        for code, label, n in session.execute(
            select(TagRow.code, TagRow.label, func.count())
            .join(ArticleTagRow, ArticleTagRow.tag_id == TagRow.id)
            .join(ArticleRow, ArticleRow.id == ArticleTagRow.article_id)
            .where(TagRow.kind == kind, when >= since)
            .group_by(TagRow.code, TagRow.label)
            .order_by(func.count().desc(), TagRow.code)
            .limit(limit)
        ).all()
    ]


@dataclass(frozen=True)
class OutletYield:
    name: str
    last_week: int
    weekly_average: float  # over the four weeks before

    @property
    def dropped(self) -> bool:
        """Fewer than half its usual articles in the last seven days (and it usually has some)."""
        return self.weekly_average >= 2 and self.last_week < self.weekly_average / 2


def outlet_yields(session: Session, now: datetime) -> list[OutletYield]:
    week_ago, five_weeks_ago = now - timedelta(days=7), now - timedelta(days=35)
    recent = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.count())
            .where(ArticleRow.fetched_at >= week_ago)
            .group_by(ArticleRow.outlet_id)
        ).all()
    )
    before = dict(
        session.execute(
            select(ArticleRow.outlet_id, func.count())
            .where(ArticleRow.fetched_at >= five_weeks_ago, ArticleRow.fetched_at < week_ago)
            .group_by(ArticleRow.outlet_id)
        ).all()
    )
    return [
        OutletYield(outlet.name, recent.get(outlet.id, 0), before.get(outlet.id, 0) / 4)
        for outlet in session.scalars(select(OutletRow).order_by(OutletRow.name))
    ]
