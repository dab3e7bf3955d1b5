"""Scrapy settings for a crawl, derived from the `crawl` section of newsalert.yaml."""

from __future__ import annotations

from typing import Any

from newsalert.config.models import CrawlSettings
from newsalert.crawler.addresses import AddressPolicy


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
        "RETRY_TIMES": 1,  # within a run; later runs retry up to crawl.max_attempts
        "RETRY_GIVE_UP_LOG_LEVEL": "WARNING",  # the run records and reports every failure itself
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # The frontier deduplicates by canonical URL against the archive; Scrapy's own
        # fingerprint filter would silently drop redirects to pages already requested.
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        # Only http and https: pages must never make the crawl read files, data: URLs, FTP or S3.
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        # Every name is resolved here and refused when it leads to a non-public address.
        "DNS_RESOLVER": "newsalert.crawler.middlewares.GuardedResolver",
        "NEWSALERT_ADDRESS_POLICY": address_policy or AddressPolicy(),
        "DOWNLOADER_MIDDLEWARES": {
            "newsalert.crawler.middlewares.AddressGuard": 50,
            "newsalert.crawler.middlewares.SeenUrlMiddleware": 60,
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
