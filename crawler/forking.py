"""How the crawl's worker processes start (kept free of Scrapy and the analysis, so that the
crawl process can start the fork server before it imports either)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from multiprocessing.context import BaseContext

PRELOAD = "newsalert.crawler.preload"
# The languages the crawl's outlets publish in, for the fork server's preload: "*" when any
# outlet does not say (the fork server inherits the environment of the process starting it).
PRELOAD_LANGUAGES = "NEWSALERT_PRELOAD_LANGUAGES"


def worker_context() -> BaseContext:
    """How workers start. Never by forking the crawl process itself, which runs the reactor
    and its threads; from a fork server where there is one (Linux, macOS): a clean process
    that imports PRELOAD once, so every worker, and every replacement of a killed one, starts
    with the analysis' data loaded. Elsewhere each worker is spawned and loads it itself."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def preload_languages() -> set[str] | None:
    """In the fork server: the languages start_fork_server was told, None for any."""
    languages = os.environ.get(PRELOAD_LANGUAGES, "*")
    return None if languages == "*" else set(languages.split(","))


def start_fork_server(languages: Iterable[str | None] | None = None) -> None:
    """Start the fork server now, without waiting for it: it loads the analysis' data while
    the crawl process sets itself up and fetches the first sources. `languages`, those of the
    outlets to crawl (None for an outlet that does not say), spare it what no outlet needs."""
    if worker_context().get_start_method() == "forkserver":
        if languages is not None:
            declared = set(languages)
            os.environ[PRELOAD_LANGUAGES] = "*" if None in declared else ",".join(sorted(map(str, declared)))
        from multiprocessing import forkserver

        forkserver.ensure_running()
