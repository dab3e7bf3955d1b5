"""Imported once by the crawl's fork server (crawler/workers.py), before any worker forks
from it: what every analysis loads whatever the topic profile is loaded here, once, and the
workers share it instead of each spending a second or more loading it again."""

import logging

from newsalert.pipelines.analyze import warm_up

try:
    warm_up()
except Exception as exc:  # a fork server that dies would take every worker with it
    logging.getLogger(__name__).warning("warming up the workers failed (%s); each loads its own data", exc)
