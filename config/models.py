"""Typed, validated configuration: the settings file, the outlet list and the topic profiles."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)


class StrictModel(BaseModel):
    """Unknown fields are errors: a misspelt key must not be silently ignored.

    Each model builds its validator when it first validates, not when this module is
    imported: a query command reads newsalert.yaml and never the outlet or topic files, so
    their models are never built there."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
    return value.strip()


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


def _language(value: str) -> str:
    import pycountry  # here: only the outlet and topic files name languages and countries

    code = value.strip().lower()
    if pycountry.languages.get(alpha_2=code) is None:
        raise ValueError(f"expected an ISO 639-1 language code such as 'en' or 'zh', got {value!r}")
    return code


def _country(value: str) -> str:
    import pycountry

    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"expected an ISO 3166 alpha-2 country code such as 'NG', got {value!r}")
    return code


def _domain(value: str) -> str:
    host = value.strip().lower().removeprefix("www.")
    if not host or "/" in host or (":" in host.strip("[]") and not host.startswith("[")):
        raise ValueError(f"expected a host name such as 'cdn.example.org', got {value!r}")
    return host


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Regex = Annotated[str, AfterValidator(_regex)]
LanguageCode = Annotated[str, AfterValidator(_language)]
CountryCode = Annotated[str, AfterValidator(_country)]


class CrawlSettings(StrictModel):
    user_agent: str = "newsalert/0.1 (news monitoring; +https://github.com/newsalert)"
    obey_robots: bool = True
    max_articles_per_outlet: PositiveInt = 200
    # None keeps articles of any age (for archiving and evaluation).
    max_age_days: PositiveInt | None = 7
    concurrency_per_domain: PositiveInt = 2
    concurrency: PositiveInt = 16
    download_timeout: PositiveFloat = 30
    # Enforced on the decompressed body, so a compression bomb is dropped.
    max_page_bytes: PositiveInt = 5_000_000
    # Extracted text shorter than this is not an article (a teaser, a paywall stub).
    min_text_chars: PositiveInt = 250
    # How many crawls may try a URL that failed transiently (5xx, timeout) before it is given up.
    max_attempts: PositiveInt = 3
    # Worker processes for parsing and extraction; None: one per core; 0: a thread of the crawl
    # process (no time or memory limit can then stop a runaway page).
    extract_workers: NonNegativeInt | None = None
    # Seconds a feed, sitemap, listing or article page may take to parse and extract; a worker
    # still busy after that is killed and replaced, and the page recorded as failed.
    work_timeout: PositiveFloat = 30
    # A page with more HTML elements than this is refused before extraction (real news pages
    # have a few thousand); the address space of a worker process is capped at worker_memory_mb.
    max_page_elements: PositiveInt = 30_000
    worker_memory_mb: PositiveInt | None = 1536
    # Raw Scrapy settings applied last, for what the fields above do not cover.
    scrapy_settings: dict[str, Any] = Field(default_factory=dict)

    def age_cutoff(self, now: datetime | None = None) -> datetime | None:
        """The oldest publication time a crawl keeps (max_age_days before now); None: any."""
        if not self.max_age_days:
            return None
        return (now or datetime.now().astimezone()) - timedelta(days=self.max_age_days)


class ScheduleSettings(StrictModel):
    cron: str = "0 6 * * *"
    timezone: str = "UTC"
    misfire_grace_hours: PositiveFloat = 6

    @field_validator("cron")
    @classmethod
    def _cron_fields(cls, value: str) -> str:
        if len(value.split()) not in (5, 6):
            raise ValueError(f"expected a crontab line of 5 fields (or 6 with seconds), got {value!r}")
        from newsalert.config.schedule import cron_trigger

        try:
            cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"invalid crontab line {value!r}: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Africa/Lagos')") from None
        return value


DigestSection = Literal["hot", "top", "recent", "categories"]
DIGEST_SECTIONS: tuple[DigestSection, ...] = ("hot", "top", "recent", "categories")


class DigestSettings(StrictModel):
    title: str = "Daily News Alert"
    sections: list[DigestSection] = Field(default_factory=lambda: list(DIGEST_SECTIONS))
    max_per_section: PositiveInt = 10
    archive_dir: Path = Path("data/digests")
    first_window_hours: PositiveInt = 24

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "unsubscribe_url" in data:
            raise ValueError(
                "unsubscribe_url has moved: set web.base_url to the address of `newsalert web`, "
                "which serves the signed unsubscribe links"
            )
        return data


class SmtpSettings(StrictModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str = "NEWSALERT_SMTP_PASSWORD"
    from_address: str = Field(default="News Alert <alerts@example.org>", alias="from")
    timeout: PositiveFloat = 30
    # With security: none the password would cross the network in clear text: refused unless
    # the operator says so (a relay on the same machine, say).
    allow_plaintext_auth: bool = False
    # A temporary refusal (4xx) is tried again this many times within the run, waiting
    # retry_delay seconds, then twice as long each time.
    retries: NonNegativeInt = 3
    retry_delay: PositiveFloat = 2.0

    @model_validator(mode="after")
    def _no_clear_text_password(self) -> SmtpSettings:
        if self.security == "none" and self.username and not self.allow_plaintext_auth:
            raise ValueError(
                "security: none would send the password in clear text; use starttls or ssl, "
                "or set allow_plaintext_auth: true for a relay on a trusted network"
            )
        return self


class WebSettings(StrictModel):
    """`newsalert web`, and the links the emails carry to it."""

    # Where subscribers reach `newsalert web` (https://news.example.org, or a path under a
    # reverse proxy); None: the digests carry no web links, only the mailto to unsubscribe.
    base_url: HttpUrl | None = None
    host: str = "127.0.0.1"  # the web app listens on the loopback unless told otherwise
    port: int = Field(default=8080, ge=1, le=65535)
    # The environment variable holding the secret that signs unsubscribe, manage and
    # confirmation links (at least 16 characters): it never sits in a settings file.
    secret_env: str = Field(default="NEWSALERT_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @field_validator("base_url")
    @classmethod
    def _no_query(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and (urlsplit(value).query or urlsplit(value).fragment):
            raise ValueError("a base address without ?query or #fragment, e.g. https://news.example.org/alerts")
        return value


class QueueSettings(StrictModel):
    """Crawling on several machines: Celery workers take one task per outlet from a broker."""

    # amqp://user:password@host:5672/vhost (RabbitMQ) or redis://host:6379/0; None (the
    # default, or $NEWSALERT_BROKER_URL unset): everything runs on this machine.
    broker_url: str | None = Field(default=None, pattern=r"^(amqps?|redis|rediss)://")
    name: str = Field(default="newsalert", pattern=r"^[A-Za-z0-9_.-]{1,100}$")  # the broker's queue
    # An outlet's task that no worker has finished after this long is recorded as failed.
    task_timeout_minutes: PositiveInt = 120


class Settings(StrictModel):
    """The contents of newsalert.yaml, with relative paths already resolved."""

    database: str = "sqlite:///data/newsalert.db"
    outlets_file: Path = Path("outlets.yaml")
    # None keeps every article (no relevance filter).
    topics_file: Path | None = Path("topics.yaml")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)


class Outlet(StrictModel):
    """One news outlet and where its articles are announced."""

    name: str = Field(min_length=1)
    url: HttpUrl
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    listings: list[HttpUrl] = Field(default_factory=list)
    article_url_pattern: Regex | None = None
    max_listing_pages: PositiveInt = 3
    language: LanguageCode | None = None
    country: CountryCode | None = None
    # Other hosts the outlet's feeds and sitemaps may send the crawl to even when they are not
    # public addresses (an intranet CDN); public hosts need no listing.
    allowed_domains: list[Annotated[str, AfterValidator(lambda v: _domain(v))]] = Field(default_factory=list)
    enabled: bool = True
    # Why an outlet is switched off, shown by `outlets check` (e.g. "no public source confirms the feed").
    disabled_reason: str | None = None

    @model_validator(mode="after")
    def _has_a_source(self) -> Outlet:
        if not (self.feeds or self.sitemaps or self.listings):
            raise ValueError("an outlet needs at least one of feeds, sitemaps or listings")
        return self

    @property
    def domain(self) -> str:
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.")


LanguageKey = Annotated[str, AfterValidator(lambda v: v if v == "any" else _language(v))]


class Partnership(StrictModel):
    """Cooperation between partners of the South, however it is phrased.

    Counts when the article names enough distinct Southern partners (countries of the
    `southern` groups, Southern organizations, or a region of `regions` none of whose
    countries is named) and at least `min_terms` distinct cooperation terms occur. A
    Northern donor (a country of the `northern` groups or a Northern agency) that leads the
    story makes it North-South aid, unless the story is triangular.
    """

    southern: list[str] = Field(default_factory=lambda: ["g77"])  # country groups (pipelines/organizations.yaml)
    northern: list[str] = Field(default_factory=lambda: ["oecd_dac"])
    regions: list[str] = Field(min_length=1)  # gazetteer region keys that can stand for a partner
    min_partners: PositiveInt = 2
    min_terms: PositiveInt = 2
    weight: float  # added when the rule holds
    term_weight: float = 1.0  # added per distinct term beyond min_terms
    max_terms: PositiveInt = 4
    terms: dict[LanguageKey, list[str]]
    # Terms too common outside development cooperation to count twice: of these, one counts
    # towards min_terms, a second only with a third.
    weak_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)
    # Loans, credit lines, grants: cooperation terms when a Southern lender gives them.
    finance_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)
    # Plain words for loans ("loan", "préstamo", "贷款"), as common in commercial news as in
    # development finance: cooperation terms only when a Southern lender is named.
    loan_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)
    # Words that make a story with a Northern funder triangular (a third party backing a
    # Southern provider) rather than North-South aid.
    triangular_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)
    # Words that show who gives when they stand next to a country: "Brazilian agronomists",
    # "Japan-backed", "expertos chilenos". A Southern provider beside a Northern funder makes
    # the story triangular; a Northern country next to them makes it a Northern donor.
    provider_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)
    # People a country sends: "Vietnamese agronomists", "médicos cubanos", "中国医疗队". They
    # show who gives as provider_terms do; and a Southern country next to one, in a story that
    # names another Southern partner, is itself a cooperation term.
    envoy_terms: dict[LanguageKey, list[str]] = Field(default_factory=dict)


class PhraseSpec(StrictModel):
    """A phrase with options: `cross_border` phrases (a flagship initiative's name) count only
    when the article also names another country, a region or an international body."""

    weight: float
    cross_border: bool = False


class TopicProfile(StrictModel):
    name: str = Field(min_length=1)
    label: str | None = None
    threshold: float
    title_weight: PositiveFloat = 2.0
    max_hits_per_phrase: PositiveInt = 3
    phrases: dict[LanguageKey, dict[str, float | PhraseSpec]]
    exclusions: dict[LanguageKey, dict[str, float]] = Field(default_factory=dict)
    # Exclusions that count only when prominent: in the title or the lead, or more than once.
    context_exclusions: dict[LanguageKey, dict[str, float]] = Field(default_factory=dict)
    partnership: Partnership | None = None


class TaxonomyEntry(StrictModel):
    label: str
    aliases: dict[LanguageKey, list[str]]


class Taxonomy(StrictModel):
    themes: dict[str, TaxonomyEntry] = Field(default_factory=dict)
    initiatives: dict[str, TaxonomyEntry] = Field(default_factory=dict)


class TopicsFile(StrictModel):
    topics: list[TopicProfile] = Field(min_length=1)
    taxonomy: Taxonomy = Field(default_factory=Taxonomy)
