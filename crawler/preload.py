"""Imported once by the crawl's fork server (crawler/workers.py), before any worker forks
from it: what every analysis loads whatever the topic profile is loaded here, once, and the
workers share it instead of each spending a second or more loading it again."""

import gc
import logging

# No cyclic collection while the analysis loads (it took a fifth of the preload's time):
# imports make no cycles to find. On again below, sparing what was loaded.
gc.disable()
try:
    from newsalert.crawler.forking import preload_languages
    from newsalert.pipelines.analyze import warm_up

    warm_up(preload_languages())
    # The module of the workers' tasks, and what parsing sources takes from Scrapy (22 MB):
    # each worker would import it when handed its first task.
    import newsalert.crawler.workers  # noqa: F401
except Exception as exc:  # a fork server that dies would take every worker with it
    logging.getLogger(__name__).warning("warming up the workers failed (%s); each loads its own data", exc)
# What is loaded now lives as long as the workers: out of the collector's sight, its pages are
# never written by a collection in a worker, and stay shared with the fork server.
gc.freeze()
gc.enable()
