"""Subscribers, their alerts, and the digest ledger: who receives the digest, what each of
them follows, what each digest covered and what became of it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from newsalert.domain import DigestStatus
from newsalert.storage.models import AlertRow, DigestItemRow, DigestRow, SubscriberRow
from newsalert.storage.search import SearchFilters

# Digests that reached the subscriber, or may have: an `unknown` one (the SMTP transaction
# may have completed) counts as delivered, so that nothing is ever mailed twice.
DELIVERED = (DigestStatus.SENT, DigestStatus.UNKNOWN)
ACTIVE, PENDING = "active", "pending"
EVERY_STORY = "All stories"
NAME_CHARS = 100


@dataclass(frozen=True)
class AlertSpec:
    """A saved search: a full-text query and the filters of `search` (all must hold; countries
    and regions match any of theirs)."""

    name: str = ""
    query: str | None = None
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, alert: AlertRow) -> AlertSpec:
        stored = alert.filters or {}
        lists = {f.name: tuple(str(v) for v in stored.get(f.name) or ()) for f in fields(cls) if f.name in FILTERS}
        return cls(name=alert.name, query=alert.query, **lists)

    def filters(self) -> dict[str, list[str]]:
        """The filters as stored: only those set."""
        return {name: list(getattr(self, name)) for name in FILTERS if getattr(self, name)}

    def search(self, **options: Any) -> SearchFilters:
        return SearchFilters(query=self.query or None, **{name: getattr(self, name) for name in FILTERS}, **options)

    def describe(self) -> str:
        """In a line: 'belt road · countries KE, NG · tag BRI', or 'every story'."""
        parts = [f'"{self.query}"'] if self.query else []
        for name, label in (("countries", "country"), ("regions", "region"), ("tags", "tag"),
                            ("outlets", "outlet"), ("languages", "language")):  # fmt: skip
            values = getattr(self, name)
            if values:
                parts.append(f"{label}{'' if len(values) == 1 else 's'} {', '.join(values)}")
        return " · ".join(parts) or "every story"

    def default_name(self) -> str:
        """A name for an alert given none: its query and filters, or 'All stories'."""
        words = [self.query or "", *self.countries, *self.regions, *self.tags, *self.outlets, *self.languages]
        name = " ".join(" ".join(w for w in words if w).split())
        return (name[: NAME_CHARS - 1] + "…" if len(name) > NAME_CHARS else name) or EVERY_STORY


FILTERS = ("outlets", "languages", "countries", "regions", "tags")


def subscribers(session: Session, email: str | None = None) -> list[SubscriberRow]:
    """Every subscriber, or the one with this address, by address, with their alerts."""
    statement = select(SubscriberRow).options(selectinload(SubscriberRow.alerts)).order_by(SubscriberRow.email)
    if email:
        statement = statement.where(SubscriberRow.email == email.strip().lower())
    return list(session.scalars(statement))


def subscriber(session: Session, email: str) -> SubscriberRow | None:
    return session.scalar(select(SubscriberRow).where(SubscriberRow.email == email.strip().lower()))


def add_subscriber(session: Session, email: str, *, status: str = ACTIVE) -> tuple[SubscriberRow, bool]:
    """The subscriber with this address, added if new (True). An operator's addition makes a
    pending subscriber active."""
    existing = subscriber(session, email)
    now = datetime.now(UTC)
    if existing is not None:
        if status == ACTIVE and existing.status != ACTIVE:
            existing.status, existing.confirmed_at = ACTIVE, now
        return existing, False
    row = SubscriberRow(email=email, status=status, created_at=now, confirmed_at=now if status == ACTIVE else None)
    session.add(row)
    session.flush()
    return row, True


def put_alert(session: Session, owner: SubscriberRow, spec: AlertSpec) -> tuple[AlertRow, bool]:
    """Add the alert, or replace the query and filters of the subscriber's alert of that name;
    True when it is new. Its feed keeps its address."""
    name = (spec.name or spec.default_name())[:NAME_CHARS]
    existing = session.scalar(select(AlertRow).where(AlertRow.subscriber_id == owner.id, AlertRow.name == name))
    if existing is not None:
        existing.query, existing.filters = spec.query or None, spec.filters()
        return existing, False
    alert = AlertRow(
        subscriber_id=owner.id,
        name=name,
        query=spec.query or None,
        filters=spec.filters(),
        feed_key=secrets.token_urlsafe(24),
        created_at=datetime.now(UTC),
    )
    session.add(alert)
    session.flush()
    session.refresh(owner, ["alerts"])
    return alert, True


def remove_alert(session: Session, owner: SubscriberRow, alert_id: int) -> bool:
    result = session.execute(delete(AlertRow).where(AlertRow.subscriber_id == owner.id, AlertRow.id == alert_id))
    session.expire(owner, ["alerts"])
    return bool(getattr(result, "rowcount", 0))


def alert_by_feed_key(session: Session, key: str) -> AlertRow | None:
    if not key or len(key) > 64:
        return None
    return session.scalar(
        select(AlertRow).join(SubscriberRow).where(AlertRow.feed_key == key, SubscriberRow.status == ACTIVE)
    )


def confirm(session: Session, row: SubscriberRow) -> bool:
    """Make a pending subscriber active; False when they already were."""
    if row.status == ACTIVE:
        return False
    row.status, row.confirmed_at = ACTIVE, datetime.now(UTC)
    return True


def remove_pending_before(session: Session, before: datetime) -> int:
    """Forget the subscriptions never confirmed since `before`: their links have expired."""
    stale = list(
        session.scalars(select(SubscriberRow).where(SubscriberRow.status == PENDING, SubscriberRow.created_at < before))
    )
    for row in stale:
        session.delete(row)
    return len(stale)


def sent_clusters(session: Session, subscriber_id: int) -> set[int]:
    """Stories already mailed to the subscriber: never mail the same story twice."""
    return set(
        session.scalars(
            select(DigestItemRow.cluster_id)
            .join(DigestRow)
            .where(DigestRow.subscriber_id == subscriber_id, DigestRow.status.in_(DELIVERED))
        )
    )


def last_delivery_end(session: Session, subscriber_id: int) -> datetime | None:
    return session.scalar(
        select(DigestRow.period_end)
        .where(DigestRow.subscriber_id == subscriber_id, DigestRow.status.in_(DELIVERED))
        .order_by(DigestRow.period_end.desc())
        .limit(1)
    )


def supersede_undelivered(session: Session, subscriber_id: int) -> None:
    """A new digest covers everything since the last delivery: older undelivered ones are moot."""
    session.execute(
        update(DigestRow)
        .where(
            DigestRow.subscriber_id == subscriber_id,
            DigestRow.status.in_([DigestStatus.PENDING, DigestStatus.FAILED]),
        )
        .values(status=DigestStatus.SUPERSEDED)
    )


def record_outcome(
    session: Session, digest_id: int, status: DigestStatus, error: str | None, message_id: str | None
) -> None:
    digest = session.get(DigestRow, digest_id)
    if digest is None:
        raise LookupError(f"no digest {digest_id}")
    digest.status, digest.error = status, error
    if message_id:
        digest.message_id = message_id
    if status == DigestStatus.SENT:
        digest.sent_at = datetime.now(UTC)


def settle_interrupted(session: Session) -> None:
    """A digest still `sending` was cut short during DATA by a crash: it may have arrived."""
    for digest in session.scalars(select(DigestRow).where(DigestRow.status == DigestStatus.SENDING)):
        digest.status = DigestStatus.UNKNOWN
        digest.error = "the process stopped during the SMTP transaction: it may have been delivered"


def release_unknown(session: Session, subscriber_ids: list[int]) -> None:
    """The operator says these digests of unknown outcome did not arrive: their stories go again."""
    session.execute(
        update(DigestRow)
        .where(DigestRow.status == DigestStatus.UNKNOWN, DigestRow.subscriber_id.in_(subscriber_ids))
        .values(status=DigestStatus.FAILED, error="delivery unknown; sent again at the operator's request")
    )


def unknown_digests(session: Session) -> list[str]:
    """Digests that may or may not have been delivered, for the operator to decide on."""
    return [
        f"digest {digest_id} to {email}"
        for digest_id, email in session.execute(
            select(DigestRow.id, DigestRow.email).where(DigestRow.status == DigestStatus.UNKNOWN).order_by(DigestRow.id)
        )
    ]
