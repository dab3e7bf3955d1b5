"""The Python API under the command line: the same verbs, on an archive.

    >>> from newsalert import Archive
    >>> archive = Archive.open("config/newsalert.yaml")
    >>> [a["title"] for a in archive.search("belt road", since="30d", countries=["KE"])]

The command line and the web app are thin layers over this class. Errors are exceptions with
a one-line message: `UsageError` for what the caller got wrong (a bad query, an unknown
outlet, an invalid address), `ConfigError` and `DatabaseError` from opening the archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newsalert.config import Config, ConfigError, load_config
from newsalert.digest.links import BadToken, Links, Purpose, Signer, fingerprint, require_secret
from newsalert.service import formats
from newsalert.storage import articles as article_store
from newsalert.storage import ledger, subscriptions
from newsalert.storage import search as search_store
from newsalert.storage import stats as archive_stats
from newsalert.storage.db import open_database
from newsalert.storage.fulltext import QueryError, parse_query
from newsalert.storage.models import ArticleRow, SubscriberRow
from newsalert.storage.search import Facets
from newsalert.storage.subscriptions import AlertSpec

RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
When = datetime | str | None


class UsageError(ValueError):
    """What the caller asked for cannot be done as asked; the message says why, in one line."""


class Unavailable(RuntimeError):
    """A service the work needs (the broker) cannot be reached; nothing was done or lost."""


def parse_when(value: When, option: str = "date", *, now: datetime | None = None) -> datetime | None:
    """A datetime, or '2026-06-01', '2026-06-01T08:00+02:00' or an age such as '7d', '24h', '2w'."""
    if value is None or isinstance(value, datetime):
        return value
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


@dataclass
class Found:
    """A search's articles, with the other articles of each one's story."""

    articles: list[ArticleRow]
    copies: dict[int, list[article_store.StoryCopy]]
    terms: tuple[tuple[str, ...], ...] = ()  # the query's words, for highlighting
    offset: int = 0  # how many matches come before these
    matches: int = 0  # how many articles match: exactly, or at least this many when `more`
    more: bool = False
    collapse: bool = False  # one article per story
    limit: int = 0  # the most a page holds

    def summary(self) -> str:
        """Which matches these are, of how many: "Showing 1-20 of 57 matches"."""
        total = f"more than {self.matches}" if self.more else str(self.matches)
        if not self.articles:
            return f"No more matches: {total} in all." if self.matches else "No articles match."
        first, last = self.offset + 1, self.offset + len(self.articles)
        shown = f"stories {first}-{last} (one article each) of {total} matching articles"
        line = f"Showing {shown if self.collapse else f'{first}-{last} of {total} matches'}"
        full_page = self.collapse and len(self.articles) == self.limit  # stories are not counted
        if self.more or full_page or (not self.collapse and last < self.matches):
            line += f"; --offset {last} shows the next ones"
        return line + "."

    def json(self) -> list[dict[str, Any]]:
        return [formats.article_json(a, self.copies.get(a.id)) for a in self.articles]

    def __iter__(self) -> Any:
        return iter(self.json())


@dataclass
class Archive:
    """A configured archive: its settings, outlets, topic profile and database."""

    config: Config
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def open(cls, config_path: str | None = None, *, database: str | None = None) -> Archive:
        """The archive of a settings file (default: $NEWSALERT_CONFIG, ./config/newsalert.yaml,
        the packaged default); `database` overrides its `database`."""
        return cls(load_config(config_path, database=database, eager=False))

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The database, migrated to the current schema on first use."""
        self._engine, factory = open_database(self.config.database_url)
        return factory

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- reading ---------------------------------------------------------------------------

    def search(self, query: str | None = None, *, since: When = None, until: When = None, **filters: Any) -> Found:
        """Articles matching the full-text `query` and the filters of storage.search.SearchFilters
        (outlets, languages, countries, regions, tags, sort, collapse, include_off_topic, limit,
        offset), best matches first."""
        wanted = self._filters(query, since, until, filters)
        with self.sessions() as session:
            self._check_filters(session, wanted.outlets, wanted.countries, wanted.tags)
            try:
                results = search_store.search(session, wanted)
            except QueryError as exc:
                raise UsageError(str(exc)) from None
            terms = tuple(parse_query(query).terms) if query else ()
            found = results.articles
            copies = article_store.story_copies(session, found)
            return Found(
                found, copies, terms, wanted.offset, results.matches, results.more, wanted.collapse, wanted.limit
            )

    @staticmethod
    def _filters(query: str | None, since: When, until: When, filters: dict[str, Any]) -> search_store.SearchFilters:
        try:
            options: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in filters.items()}
            return search_store.SearchFilters(
                query=query, since=parse_when(since, "--since"), until=parse_when(until, "--until"), **options
            )
        except TypeError as exc:
            raise UsageError(str(exc)) from None

    def _check_filters(
        self,
        session: Session,
        outlets: Collection[str] = (),
        countries: Collection[str] = (),
        tags: Collection[str] = (),
        *,
        tag_option: str = "--tag",
    ) -> None:
        """Refuse a filter value that can match nothing, saying what was probably meant."""
        from newsalert.service import filters as checks

        try:
            if outlets:
                known = {*ledger.outlet_names(session), *(o.name for o in self.config.outlets)}
                checks.check_outlets(outlets, known)
            checks.check_countries(countries)
            if tags:
                checks.check_tags(tag_option, tags, self._known_tags(session), self._tag_aliases())
        except checks.FilterError as exc:
            raise UsageError(str(exc)) from None

    def _known_tags(self, session: Session) -> set[tuple[str, str]]:
        """What a tag filter can name: the archive's tags, the taxonomy's, the gazetteer's regions
        and every country code."""
        import pycountry

        from newsalert.service.filters import gazetteer_regions

        known = article_store.known_tags(session)
        taxonomy = self.config.topics.taxonomy if self.config.topics else None
        if taxonomy is not None:
            known |= {("theme", code) for code in taxonomy.themes} | {("initiative", c) for c in taxonomy.initiatives}
        known |= {("region", key) for key in gazetteer_regions()}
        return known | {("country", country.alpha_2) for country in pycountry.countries}

    def _tag_aliases(self) -> dict[str, str]:
        """Every word of the taxonomy (in every language) -> its theme's or initiative's code."""
        taxonomy = self.config.topics.taxonomy if self.config.topics else None
        if taxonomy is None:
            return {}
        words: dict[str, str] = {}
        for code, entry in (*taxonomy.themes.items(), *taxonomy.initiatives.items()):
            for alias in (entry.label, *(a for names in entry.aliases.values() for a in names)):
                words.setdefault(alias.casefold(), code)
        return words

    def show(self, article_id: int) -> dict[str, Any]:
        """One article as JSON, with its text, the other articles of its story and every other
        address that led to it."""
        with self.sessions() as session:
            article = article_store.get_article(session, article_id)
            if article is None:
                raise LookupError(f"no article with id {article_id}")
            copies = article_store.story_copies(session, [article]).get(article.id, [])
            data = formats.article_json(article, copies, with_text=True)
            data["also_reached_as"] = [
                url for url in article_store.article_urls(session, article.id) if url != article.canonical_url
            ]
            data["on_topic"] = article.on_topic
            data["copies"] = [formats.copy_json(copy) for copy in copies]
            return data

    def stats(self, since: When = "30d") -> dict[str, Any]:
        """Archive figures and crawl health over a window (as `stats --format json`)."""
        now = datetime.now(UTC)
        window = parse_when(since, "--since", now=now)
        assert window is not None
        with self.sessions() as session:
            return formats.stats_json(
                now=now,
                window=window,
                totals=archive_stats.archive_totals(session),
                health=archive_stats.outlet_health(session),
                yields={y.name: y for y in archive_stats.outlet_yields(session, now)},
                runs=ledger.recent_runs(session),
                seen=archive_stats.seen_status_counts(session),
                per_day=archive_stats.articles_per_day(session, window),
                per_outlet=archive_stats.articles_per_outlet(session, window),
                per_country=archive_stats.articles_per_tag(session, "country", window),
                per_theme=archive_stats.articles_per_tag(session, "theme", window),
                unknown=subscriptions.unknown_digests(session),
            )

    # --- subscribers ------------------------------------------------------------------------

    def subscribers(self, *, links: Links | None = None) -> list[dict[str, Any]]:
        """Every subscriber with their status, alerts and last delivered digest; with `links`,
        each alert's feed address too."""
        with self.sessions() as session:
            return [
                subscriber_json(s, subscriptions.last_delivery_end(session, s.id), links)
                for s in subscriptions.subscribers(session)
            ]

    def subscribe(
        self, email: str, query: str | None = None, *, alert: str | None = None, pending: bool = False, **filters: Any
    ) -> Subscribed:
        """Add a subscriber (active; `pending` until confirmed, for the web form) with the alert
        `query` + `filters` (outlets, languages, countries, regions, tags), or add or change
        that alert of an existing subscriber. A subscriber is never left without an alert: with
        no query and no filters the alert is every story."""
        address = valid_email(email)
        spec = self.alert_spec(alert, query, **filters)
        with self.sessions.begin() as session:
            self._check_filters(session, spec.outlets, spec.countries, spec.tags)
            status = subscriptions.PENDING if pending else subscriptions.ACTIVE
            existing = subscriptions.subscriber(session, address)
            if pending and existing is not None and existing.status == subscriptions.ACTIVE:
                # a stranger can type anyone's address: an active subscription changes only
                # through its own manage link, which is mailed to its owner
                return Subscribed(existing.id, address, False, False, existing.status, "")
            row, new = subscriptions.add_subscriber(session, address, status=status)
            added, alert_new = subscriptions.put_alert(session, row, spec)
            return Subscribed(row.id, address, new, alert_new, row.status, added.name)

    @staticmethod
    def alert_spec(name: str | None, query: str | None, **filters: Any) -> AlertSpec:
        """An alert from what a user typed: trimmed, empty values dropped, a name of one line."""
        unknown = set(filters) - set(subscriptions.FILTERS)
        if unknown:
            raise UsageError(f"an alert has no filter {sorted(unknown)[0]!r}")
        cleaned = {
            key: tuple(dict.fromkeys(v.strip() for v in values if v and v.strip())) for key, values in filters.items()
        }
        text = " ".join((query or "").split()) or None
        if text:
            try:
                parse_query(text)
            except QueryError as exc:
                raise UsageError(str(exc)) from None
        label = " ".join((name or "").split())
        if len(label) > subscriptions.NAME_CHARS:
            raise UsageError(f"an alert's name has at most {subscriptions.NAME_CHARS} characters")
        return AlertSpec(name=label, query=text, **cleaned)

    def remove_subscriber(self, email: str, *, alert: str | None = None) -> None:
        """Remove a subscriber, or only their alert named `alert` (not their last one)."""
        address = email.strip().lower()
        with self.sessions.begin() as session:
            row = subscriptions.subscriber(session, address)
            if row is None:
                raise LookupError(f"no subscriber {address!r}")
            if alert is None:
                session.delete(row)
                return
            chosen = [a for a in row.alerts if a.name == alert]
            if not chosen:
                names = ", ".join(repr(a.name) for a in row.alerts)
                raise LookupError(f"{address} has no alert {alert!r} (their alerts: {names})")
            if len(row.alerts) == 1:
                raise UsageError(f"{alert!r} is the last alert of {address}: remove the subscriber instead")
            subscriptions.remove_alert(session, row, chosen[0].id)

    # --- the web app's signed links ----------------------------------------------------------

    @cached_property
    def signer(self) -> Signer:
        """Signs and reads the links of the emails; ConfigError without the secret."""
        return Signer(require_secret(self.config.settings.web))

    def holder(self, purpose: Purpose, token: str, *, links: Links | None = None) -> dict[str, Any]:
        """The subscriber a signed link names, with their alerts (and with `links`, each one's
        feed); BadToken when the link was tampered with, has expired, or names no subscriber
        (any longer)."""
        with self.sessions() as session:
            row = self._holder(session, purpose, token)
            return subscriber_json(row, subscriptions.last_delivery_end(session, row.id), links) | {"id": row.id}

    def _holder(self, session: Session, purpose: Purpose, token: str) -> SubscriberRow:
        subscriber_id, address = self.signer.subscriber(purpose, token)
        row = session.get(SubscriberRow, subscriber_id)
        if row is None or fingerprint(row.email) != address:
            raise BadToken(f"this {purpose} link names no subscriber")
        return row

    def confirm(self, token: str) -> tuple[int, str]:
        """Activate the subscription a confirmation link names; its id and address."""
        with self.sessions.begin() as session:
            row = self._holder(session, "confirm", token)
            subscriptions.confirm(session, row)
            return row.id, row.email

    def unsubscribe(self, token: str) -> str:
        """Remove the subscriber an unsubscribe link names (their alerts with them); their address."""
        with self.sessions.begin() as session:
            row = self._holder(session, "unsubscribe", token)
            session.delete(row)
            return row.email

    def add_alert(self, token: str, query: str | None = None, *, alert: str | None = None, **filters: Any) -> str:
        """Add (or change) an alert of the subscriber a manage link names; the alert's name."""
        spec = self.alert_spec(alert, query, **filters)
        with self.sessions.begin() as session:
            row = self._holder(session, "manage", token)
            self._check_filters(session, spec.outlets, spec.countries, spec.tags)
            return subscriptions.put_alert(session, row, spec)[0].name

    def remove_alert(self, token: str, alert_id: int) -> None:
        with self.sessions.begin() as session:
            row = self._holder(session, "manage", token)
            if len(row.alerts) <= 1 and any(a.id == alert_id for a in row.alerts):
                raise UsageError("this is your last alert: unsubscribe instead")
            if not subscriptions.remove_alert(session, row, alert_id):
                raise LookupError(f"no alert {alert_id}")

    def feed(self, feed_key: str, *, limit: int = 50) -> tuple[dict[str, Any], Found]:
        """An alert's newest stories (one article each), for its Atom feed; LookupError when no
        active subscriber's alert has this key."""
        with self.sessions() as session:
            alert = subscriptions.alert_by_feed_key(session, feed_key)
            if alert is None:
                raise LookupError("no such feed")
            spec = AlertSpec.of(alert)
            about = {"id": alert.id, "name": alert.name, "about": spec.describe(), "created_at": alert.created_at}
        filters = {name: getattr(spec, name) for name in subscriptions.FILTERS}
        return about, self.search(spec.query, sort="date", collapse=True, limit=limit, **filters)

    def facets(self, query: str | None = None, *, since: When = None, until: When = None, **filters: Any) -> Facets:
        """How the matches of a search spread over countries, themes, outlets and days."""
        wanted = self._filters(query, since, until, filters)
        with self.sessions() as session:
            try:
                return search_store.facets(session, wanted)
            except QueryError as exc:
                raise UsageError(str(exc)) from None

    def backup(self, target: str | Path) -> int:
        """A consistent copy of the SQLite archive into the new file `target` (its size in bytes),
        safe while a crawl writes."""
        from newsalert.storage.db import backup_sqlite

        return backup_sqlite(self.config.database_url, Path(target))

    # --- work -------------------------------------------------------------------------------

    def crawl(
        self,
        outlets: list[str] | tuple[str, ...] = (),
        *,
        max_articles: int | None = None,
        trigger: str = "manual",
        discover_only: bool = False,
        log_level: str = "WARNING",
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        """Crawl the enabled outlets, or the named ones, now (in a child process)."""
        from newsalert.crawler.runner import run_crawl

        try:
            chosen = self.config.select_outlets(outlets)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        if not chosen:
            raise UsageError(f"{self.config.settings.outlets_file}: no enabled outlets to crawl")
        config = self.config
        if config.settings.queue.broker_url and not discover_only:
            from newsalert.crawler.distributed import BrokerError, dispatch

            self.sessions  # noqa: B018 - migrate before dispatching (run_crawl migrates itself)

            try:
                return dispatch(
                    config, chosen, trigger=trigger, max_articles=max_articles, log_level=log_level,
                    on_progress=on_progress,
                )  # fmt: skip
            except BrokerError as exc:
                raise Unavailable(str(exc)) from None
        return run_crawl(
            config.with_max_articles(max_articles),
            chosen,
            trigger=trigger,
            discover_only=discover_only,
            log_level=log_level,
            on_progress=on_progress,
        )

    def worker(self, *, concurrency: int = 2, log_level: str = "INFO") -> None:
        """A distributed crawl worker: take outlets from the broker until SIGTERM or SIGINT."""
        if not self.config.settings.queue.broker_url:
            raise UsageError(f"{self.config.path}: no queue.broker_url (or $NEWSALERT_BROKER_URL): nothing to work for")
        from newsalert.crawler.distributed import BrokerError, run_worker

        self.sessions  # noqa: B018 - migrate before taking work
        try:
            run_worker(self.config.validated(), concurrency=concurrency, log_level=log_level)
        except BrokerError as exc:
            raise Unavailable(str(exc)) from None

    def run(self, *, trigger: str = "run", log_level: str = "WARNING") -> Any:
        """The daily job once: crawl, then build and send the digests."""
        from newsalert.service.job import daily_job

        return daily_job(self.config, self.sessions, trigger=trigger, log_level=log_level)

    def digest(self, *, send: bool = False, subscriber: str | None = None, resend_unknown: bool = False) -> Any:
        """Build each subscriber's digest from what they have not been sent; `send` mails it."""
        from newsalert.digest.service import UnknownSubscriber, run_digests

        if resend_unknown and not send:
            raise UsageError("--resend-unknown needs --send")
        try:
            return run_digests(
                self.config, self.sessions, send=send, subscriber=subscriber, resend_unknown=resend_unknown
            )
        except UnknownSubscriber as exc:
            raise UsageError(str(exc)) from None

    def explain(self, target: str, *, url: str | None = None) -> Any:
        """What the pipeline makes of one page (a URL or a saved file), storing nothing."""
        from newsalert.service.explain import ExplainError, explain

        try:
            return explain(self.config, target, url=url)
        except ExplainError as exc:
            raise UsageError(str(exc)) from None

    def rescore(self, *, since: When = None, on_change: Callable[[Any], None] | None = None) -> Any:
        """Judge the stored articles again under the current topic profile."""
        from newsalert.service.rescore import rescore

        return rescore(self.config, self.sessions, since=parse_when(since, "--since"), on_change=on_change)


@dataclass(frozen=True)
class Subscribed:
    """What `subscribe` did."""

    id: int
    email: str
    new: bool  # a new subscriber
    alert_new: bool  # a new alert (else one of that name was changed, or nothing was: see status)
    status: str  # active or pending
    alert: str  # the alert's name; empty when nothing changed (an active subscriber, by web form)


def subscriber_json(row: SubscriberRow, last_delivery: datetime | None, links: Links | None) -> dict[str, Any]:
    alerts = []
    for alert in row.alerts:
        spec = AlertSpec.of(alert)
        entry: dict[str, Any] = {"id": alert.id, "name": alert.name, "query": spec.query, **spec.filters()}
        entry["about"] = spec.describe()
        if links is not None:
            entry["feed"] = links.feed(alert.feed_key)
        alerts.append(entry)
    return {"email": row.email, "status": row.status, "alerts": alerts, "last_delivery": formats.iso(last_delivery)}


def valid_email(value: str) -> str:
    """The address, lower-cased, or UsageError."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    address = value.strip().lower()
    try:
        parsed: Address | None = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.domain or "." not in parsed.domain or any(c in address for c in "\r\n<>,"):
        raise UsageError(f"not an e-mail address: {value!r}")
    return address
