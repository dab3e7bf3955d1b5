"""Subscribers and the digest ledger: who receives the digest, what each digest covered and
what became of it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsalert.domain import DigestStatus
from newsalert.storage.models import DigestItemRow, DigestRow, SubscriberRow

# Digests that reached the subscriber, or may have: an `unknown` one (the SMTP transaction
# may have completed) counts as delivered, so that nothing is ever mailed twice.
DELIVERED = (DigestStatus.SENT, DigestStatus.UNKNOWN)


def subscribers(session: Session, email: str | None = None) -> list[SubscriberRow]:
    """Every subscriber, or the one with this address, by address."""
    statement = select(SubscriberRow).order_by(SubscriberRow.email)
    if email:
        statement = statement.where(SubscriberRow.email == email.strip().lower())
    return list(session.scalars(statement))


def add_subscriber(session: Session, email: str, tags: list[str]) -> bool:
    """Add a subscriber, or set an existing one's tags; True when the subscriber is new."""
    existing = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email))
    if existing is not None:
        existing.tags = tags
        return False
    session.add(SubscriberRow(email=email, tags=tags, created_at=datetime.now(UTC)))
    return True


def remove_subscriber(session: Session, email: str) -> bool:
    """Remove a subscriber (their digests stay in the ledger); False when there was none."""
    existing = session.scalar(select(SubscriberRow).where(SubscriberRow.email == email))
    if existing is None:
        return False
    session.delete(existing)
    return True


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
