"""Building, archiving and delivering the digests, with the ledger of what was sent.

For each subscriber a digest covers the articles stored since their last delivered digest
(the first one: digest.first_window_hours), minus the stories already mailed to them. It is
recorded with its items before anything is sent, marked `sending` just before SMTP DATA, and
`sent` when the server accepts it. A digest that could not be delivered stays unsent and the
next run's digest covers its stories again, so nothing is lost. A digest whose DATA may have
completed without a recorded outcome (the process died, the session broke) is `unknown`: its
stories count as delivered and it is never sent again unless the operator says so
(`digest --send --resend-unknown`), so nothing is mailed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from newsalert.config import ConfigError
from newsalert.config.loader import Config
from newsalert.digest import selection
from newsalert.digest.links import CONFIRM_DAYS, Links
from newsalert.digest.mail import DeliveryError, Outcome, SmtpSender, build_message, smtp_password
from newsalert.digest.render import DigestView, oneline, render_html, render_text
from newsalert.domain import DigestStatus
from newsalert.storage import subscriptions
from newsalert.storage.models import DigestItemRow, DigestRow, SubscriberRow, utcnow
from newsalert.storage.subscriptions import AlertSpec

log = logging.getLogger(__name__)

PREVIEW, PENDING, SENT, FAILED, REFUSED, SUPERSEDED, SENDING, UNKNOWN = (
    DigestStatus.PREVIEW,
    DigestStatus.PENDING,
    DigestStatus.SENT,
    DigestStatus.FAILED,
    DigestStatus.REFUSED,
    DigestStatus.SUPERSEDED,
    DigestStatus.SENDING,
    DigestStatus.UNKNOWN,
)


@dataclass
class BuiltDigest:
    digest_id: int
    recipient: str | None
    stories: int
    html_path: Path
    status: str
    error: str | None = None
    lead: str = ""  # the top story's headline
    unsubscribe_url: str | None = None  # the signed one-click link, when web.base_url is set


@dataclass
class DigestRun:
    digests: list[BuiltDigest] = field(default_factory=list)
    error: str | None = None  # the SMTP server could not be used

    unknown: list[str] = field(default_factory=list)  # "digest 12 to a@b.org", outcome unknown
    recipients: int = 0  # the subscribers it was built for

    @property
    def problems(self) -> list[BuiltDigest]:
        return [d for d in self.digests if d.status in (FAILED, REFUSED, UNKNOWN)]


class UnknownSubscriber(ValueError):
    pass


def run_digests(
    config: Config,
    sessions: sessionmaker[Session],
    *,
    send: bool,
    subscriber: str | None = None,
    now: datetime | None = None,
    resend_unknown: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> DigestRun:
    """Build (and with `send`, deliver) each subscriber's digest. `resend_unknown`: the operator
    decided that digests whose delivery is unknown were not delivered: their stories go again."""
    now = now or utcnow()
    run = DigestRun()
    links = _links(config, send=send)
    with sessions.begin() as session:
        recipients = _recipients(session, subscriber)
        run.recipients = len(recipients)
        if send:
            subscriptions.remove_pending_before(session, now - timedelta(days=CONFIRM_DAYS))
            subscriptions.settle_interrupted(session)
            if resend_unknown:
                subscriptions.release_unknown(session, [r.id for r in recipients])
        run.unknown = subscriptions.unknown_digests(session)
    for line in run.unknown:
        log.warning(
            "%s may have been delivered (the SMTP transaction was cut short); it is not sent again. "
            "If it was not delivered: newsalert digest --send --resend-unknown",
            line,
        )
    targets: list[SubscriberRow | None] = list(recipients) or ([] if send else [None])
    for target in targets:
        built = _build(config, sessions, target, status=PENDING if send else PREVIEW, now=now, links=links)
        if built is not None:
            run.digests.append(built)
    if send:
        _deliver(config, sessions, run, sleep=sleep)
    return run


def _recipients(session: Session, email: str | None) -> list[SubscriberRow]:
    rows = subscriptions.subscribers(session, email)
    if email and not rows:
        raise UnknownSubscriber(f"no subscriber {email!r} (add one with: newsalert subscribers add {email})")
    if email and rows[0].status != subscriptions.ACTIVE:
        raise UnknownSubscriber(f"{email!r} has not confirmed the subscription yet: no digest goes to them")
    return [row for row in rows if row.status == subscriptions.ACTIVE]


def _links(config: Config, *, send: bool) -> Links | None:
    """The web links the digests carry; when sending, a base address without a secret is an
    error (the unsubscribe link would not work), a preview goes without them."""
    try:
        return Links.from_settings(config.settings.web)
    except ConfigError:
        if send:
            raise
        return None


def _build(
    config: Config,
    sessions: sessionmaker[Session],
    subscriber: SubscriberRow | None,
    *,
    status: str,
    now: datetime,
    links: Links | None = None,
) -> BuiltDigest | None:
    """The subscriber's digest (or the preview of everything): a group of sections per alert,
    each story once, in the first alert that matches it."""
    settings = config.settings.digest
    with sessions.begin() as session:
        subscriber_id = subscriber.id if subscriber else None
        since = (subscriptions.last_delivery_end(session, subscriber_id) if subscriber_id else None) or (
            now - timedelta(hours=settings.first_window_hours)
        )
        claimed = subscriptions.sent_clusters(session, subscriber_id) if subscriber_id else set()
        alerts: list[tuple[AlertSpec | None, int | None]] = (
            [(AlertSpec.of(alert), alert.id) for alert in subscriber.alerts] if subscriber else [(None, None)]
        )
        groups = []
        for spec, alert_id in alerts:
            stories = selection.candidate_stories(session, since=since, until=now, alert=spec, exclude_clusters=claimed)
            sections = selection.arrange(stories, list(settings.sections), settings.max_per_section)
            if sections:
                group = selection.AlertGroup(
                    spec.name if spec else None, spec.describe() if spec else "", alert_id, sections
                )
                groups.append(group)
                claimed |= {story.cluster_id for story in group.stories}
        if not groups:
            return None  # an empty digest is not built, archived or sent
        if status == PENDING and subscriber_id:
            subscriptions.supersede_undelivered(session, subscriber_id)
        digest = DigestRow(
            subscriber_id=subscriber_id,
            email=subscriber.email if subscriber else None,
            created_at=now,
            period_start=since,
            period_end=now,
            status=status,
        )
        session.add(digest)
        session.flush()
        position = 0
        for group in groups:
            for section in group.sections:
                for story in section.all_stories:
                    position += 1
                    session.add(
                        DigestItemRow(
                            digest_id=digest.id,
                            article_id=story.article.id,
                            cluster_id=story.cluster_id,
                            section=section.key,
                            position=position,
                            alert_id=group.alert_id,
                        )
                    )
        unsubscribe = links.unsubscribe(subscriber.id, subscriber.email) if links and subscriber else None
        manage = links.manage(subscriber.id, subscriber.email) if links and subscriber else None
        view = _view(config, groups, since, now, subscriber, unsubscribe_url=unsubscribe, manage_url=manage)
        path = _write_new(
            Path(settings.archive_dir) / f"{now:%Y-%m-%d}" / f"digest-{digest.id}", render_html(view), render_text(view)
        )
        digest.html_path = str(path)
        count = position
        log.info("built digest %s for %s: %d stories, %s", digest.id, digest.email or "preview", count, path)
        lead = view.stories[0].article.title if view.stories else ""
        return BuiltDigest(digest.id, digest.email, count, path, status, lead=lead, unsubscribe_url=unsubscribe)


def _write_new(stem: Path, html: str, text: str) -> Path:
    """Write the digest's HTML and text under `stem` (.html, .txt), never over an existing one:
    an archive started afresh counts its digests from 1 again, so a name can come back."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = stem.with_name(stem.name + (f"-{number}" if number > 1 else "") + ".html")
        try:
            with path.open("x", encoding="utf-8") as file:
                file.write(html)
        except FileExistsError:
            number += 1
            continue
        path.with_suffix(".txt").write_text(text, encoding="utf-8")
        return path


def _view(
    config: Config,
    groups: list[selection.AlertGroup],
    since: datetime,
    now: datetime,
    subscriber: SubscriberRow | None,
    *,
    unsubscribe_url: str | None,
    manage_url: str | None,
) -> DigestView:
    settings = config.settings
    topics = config.topics.topics if config.topics else []
    return DigestView(
        title=oneline(settings.digest.title),
        date=now,
        groups=groups,
        period_start=since,
        period_end=now,
        recipient=subscriber.email if subscriber else None,
        unsubscribe_url=unsubscribe_url,
        manage_url=manage_url,
        unsubscribe_mailto=_address(settings.smtp.from_address),
        topic_label=(topics[0].label or topics[0].name) if len(topics) == 1 else None,
    )


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1]


def _deliver(
    config: Config, sessions: sessionmaker[Session], run: DigestRun, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    pending = [d for d in run.digests if d.status == PENDING]
    if not pending:
        return
    smtp = config.settings.smtp
    try:
        with SmtpSender(smtp, smtp_password(smtp), sleep=sleep) as sender:
            for built in pending:
                message = _message(config, built)
                message_id = message["Message-ID"]

                def sending(built: BuiltDigest = built, message_id: str = message_id) -> None:
                    _record(sessions, built, Outcome(built.recipient or "", SENDING), message_id=message_id)

                _record(sessions, built, sender.send(message, before_data=sending), message_id=message_id)
    except DeliveryError as exc:
        run.error = str(exc)
        log.error("%s", exc)
        for built in pending:
            if built.status == PENDING:
                _record(sessions, built, Outcome(built.recipient or "", FAILED, str(exc)))
            elif built.status == SENDING:  # cannot happen: DATA failures are outcomes, not errors
                _record(sessions, built, Outcome(built.recipient or "", UNKNOWN, str(exc)))


def _message(config: Config, built: BuiltDigest) -> EmailMessage:
    settings = config.settings
    with (
        open(built.html_path, encoding="utf-8") as html,
        open(built.html_path.with_suffix(".txt"), encoding="utf-8") as text,
    ):
        return build_message(
            subject=subject(settings.digest.title, built.lead, built.stories),
            sender=settings.smtp.from_address,
            recipient=built.recipient or "",
            text=text.read(),
            html=html.read(),
            date=utcnow(),
            unsubscribe_url=built.unsubscribe_url,
        )


SUBJECT_HEADLINE_CHARS = 90


def subject(title: str, lead: str, stories: int) -> str:
    """The subject: 'Daily News Alert: <the top story's headline> and 13 more', on one line."""
    headline = oneline(lead)
    if not headline:
        return f"{oneline(title)} — {utcnow():%d %B %Y}"
    if len(headline) > SUBJECT_HEADLINE_CHARS:
        headline = headline[:SUBJECT_HEADLINE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    more = f" and {stories - 1} more" if stories > 1 else ""
    return f"{oneline(title)}: {headline}{more}"


def _record(
    sessions: sessionmaker[Session], built: BuiltDigest, outcome: Outcome, *, message_id: str | None = None
) -> None:
    built.status, built.error = outcome.status, outcome.error
    with sessions.begin() as session:
        subscriptions.record_outcome(session, built.digest_id, outcome.status, outcome.error, message_id)
    if outcome.status == SENT:
        log.info("sent digest %s to %s", built.digest_id, built.recipient)
    elif outcome.status == SENDING:
        log.debug("sending digest %s to %s", built.digest_id, built.recipient)
    else:
        log.warning("digest %s to %s %s: %s", built.digest_id, built.recipient, outcome.status, outcome.error)
