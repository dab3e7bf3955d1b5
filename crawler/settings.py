"""Scrapy settings for a crawl, derived from newsalert.yaml.

Besides Scrapy's own settings, the crawl's components read theirs from `NEWSALERT_*` keys
in their `from_crawler`:

- NEWSALERT_DATABASE_URL: the archive (ledger, store); without it they are not configured;
- NEWSALERT_OUTLETS: the outlets crawled (`config.models.Outlet`);
- NEWSALERT_CRAWL: the `crawl` section (`config.models.CrawlSettings`);
- NEWSALERT_TOPICS: the topic profile (`config.models.TopicsFile`), None to keep everything;
- NEWSALERT_DISCOVER_ONLY: count the article links, fetch and store nothing;
- NEWSALERT_ADDRESS_POLICY: where outlets may connect beyond public addresses.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from newsalert.config.loader import Config
from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler.addresses import AddressPolicy

# Components of Scrapy's defaults a crawl service must not run: the remote control (Scrapy
# 2.19: an HTTP server that runs the code sent to it, loading aiohttp for 0.2 s of the start)
# and the telnet console; and the cookie middleware (COOKIES_ENABLED is off). They are taken
# out of the *_BASE lists themselves: naming them None in EXTENSIONS would still import them.
UNWANTED = {
    "EXTENSIONS_BASE": {"scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole"},
    "DOWNLOADER_MIDDLEWARES_BASE": {"scrapy.downloadermiddlewares.cookies.CookiesMiddleware"},
}
# Scrapy 2.14 renamed DNS_RESOLVER (still read, with a deprecation warning); older ones know only it.
RESOLVER_SETTING = "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"


def crawl_settings(
    config: Config, outlets: list[Outlet], *, log_level: str = "WARNING", discover_only: bool = False
) -> dict[str, Any]:
    """Everything a crawl of `outlets` needs, as Scrapy settings."""
    settings = scrapy_settings(
        config.settings.crawl, log_level=log_level, address_policy=AddressPolicy.for_outlets(list(config.outlets))
    )
    settings.update(
        NEWSALERT_DATABASE_URL=config.database_url,
        NEWSALERT_OUTLETS=outlets,
        NEWSALERT_TOPICS=config.topics,
        NEWSALERT_DISCOVER_ONLY=discover_only,
    )
    return settings


def scrapy_settings(
    crawl: CrawlSettings, *, log_level: str = "WARNING", address_policy: AddressPolicy | None = None
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "BOT_NAME": "newsalert",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        # Politeness: a few requests per site at a time, slowed further when it answers slowly.
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        # Checked against the decompressed body too (HttpCompressionMiddleware): bombs are dropped.
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        # What one response yields goes through the spider middleware and the item pipelines
        # this many at a time. Scrapy starts that many asyncio tasks for every response, whatever
        # it yields: its default (100) made 25,000 tasks for a crawl of 240 pages, a tenth of the
        # crawl process's CPU. A page yields one item; a sitemap's links need no parallelism.
        "CONCURRENT_ITEMS": 8,
        "RETRY_TIMES": 1,  # within a run; later runs retry up to crawl.max_attempts
        "RETRY_GIVE_UP_LOG_LEVEL": "WARNING",  # the run records and reports every failure itself
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Admission deduplicates by canonical URL against the archive; Scrapy's own
        # fingerprint filter would silently drop redirects to pages already requested.
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        # Only http and https: pages must never make the crawl read files, data: URLs, FTP or S3.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        # Every name is resolved here and refused when it leads to a non-public address.
        RESOLVER_SETTING: "newsalert.crawler.middlewares.GuardedResolver",
        "NEWSALERT_ADDRESS_POLICY": address_policy or AddressPolicy(),
        "NEWSALERT_CRAWL": crawl,
        "EXTENSIONS": {"newsalert.crawler.workers.Workers": 0},
        **{
            name: {path: order for path, order in getattr(default_settings, name, {}).items() if path not in paths}
            for name, paths in UNWANTED.items()
        },
        "REMOTE_CONTROL_ENABLED": False,
        "SPIDER_MIDDLEWARES": {"newsalert.crawler.admission.ArticleAdmission": 950},
        "DOWNLOADER_MIDDLEWARES": {
            "newsalert.crawler.middlewares.AddressGuard": 50,
            "newsalert.crawler.admission.RedirectCheck": 60,
            # The same robots.txt rules, refusing with an exception of their own type.
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "newsalert.crawler.middlewares.RobotsTxt": 100,
            # After decompression (590) on the way back: validators and hashes of the real body.
            "newsalert.crawler.conditional.SourceValidators": 120,
        },
        "ITEM_PIPELINES": {
            "newsalert.crawler.pipelines.AnalyzePipeline": 100,
            "newsalert.crawler.pipelines.StorePipeline": 900,
        },
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        "LOG_DATEFORMAT": "%Y-%m-%d %H:%M:%S",
        "LOGSTATS_INTERVAL": 60.0,
    }
    settings.update(crawl.scrapy_settings)
    return settings
