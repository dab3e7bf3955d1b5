"""Crawling on several machines: Celery workers take one task per outlet from a broker.

The process that starts a crawl (`crawl`, `run`, the scheduler of `serve`) records the run,
sends a task per outlet and waits, reading the run's progress from the database: every task
writes its outlet's tally there as it goes, and its final figures at the end. It then closes
the run, and the daily job sends the digests once, under the database lock, after every
outlet is done. Nothing passes between machines but the broker's messages and the database:

- politeness: an outlet is one task, crawled by one process, so no two machines hit an
  outlet at once;
- a worker that dies: tasks are acknowledged late and rejected when their worker is lost, so
  the broker gives the outlet to another worker; the URL ledger makes that crawl fetch only
  what the dead one had not stored, and the crawl process of the dead worker dies with it;
- duplicates and stories: unique constraints and the advisory locks of storage/articles.py.

Workers run a task per thread (Celery's threads pool): each task's crawl is a process of its
own anyway (Twisted's reactor cannot restart), and a thread costs nothing while it waits.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from newsalert.config.loader import Config, ConfigError
from newsalert.config.models import Outlet
from newsalert.crawler.runner import HOST, CrawlResult, ProgressCallback, run_crawl
from newsalert.domain import OutletTally, RunStatus
from newsalert.storage import ledger
from newsalert.storage.db import open_database

log = logging.getLogger(__name__)

TASK = "newsalert.crawl_outlet"
POLL_SECONDS = 0.5
PROGRESS_WRITE_SECONDS = 1.0  # how often a task writes its outlet's progress
FINAL = (RunStatus.OK, RunStatus.PARTIAL, RunStatus.FAILED)


class BrokerError(Exception):
    """The broker cannot be reached: nothing was sent, nothing was recorded."""


def celery_app(config: Config) -> Any:
    """The Celery application of these settings (broker, queue, task options); ConfigError
    when Celery is not installed (it comes with the `distributed` extra)."""
    try:
        from celery import Celery
    except ImportError:
        raise ConfigError(
            config.path,
            "a broker is configured but Celery is not installed: pip install 'newsalert[distributed]'",
            field="queue.broker_url",
        ) from None

    queue = config.settings.queue
    app = Celery("newsalert", broker=queue.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue.name,
        task_acks_late=True,  # acknowledged when done: a worker that dies gives its outlet back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker takes an outlet only when it has a free slot
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results are in the database
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_heartbeat=30,
        broker_transport_options={"confirm_publish": True},  # a lost publish is an error, not silence
        task_time_limit=queue.task_timeout_minutes * 60,  # see README about RabbitMQ's consumer_timeout
    )
    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(_crawl_outlet)
    app.newsalert_config = config
    return app


def check_broker(app: Any, url: str, timeout: float = 5.0) -> None:
    """BrokerError when the broker does not answer."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises many kinds, all meaning "not reachable"
        raise BrokerError(f"the broker at {_safe(url)} is not reachable ({type(exc).__name__}: {exc})") from None


def _safe(url: str) -> str:
    """The broker's address without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


# --- the worker side ----------------------------------------------------------------------------


def _crawl_outlet(task: Any, run_id: int, outlet_name: str, max_articles: int | None, log_level: str) -> str:
    """One outlet's share of run `run_id`, crawled by this worker with its own settings."""
    config: Config = task.app.newsalert_config
    try:
        (outlet,) = config.select_outlets([outlet_name])
    except Exception as exc:  # this worker's outlets.yaml does not have it
        engine, sessions = open_database(config.database_url)
        try:
            _record(sessions, run_id, outlet_name, None, f"this worker ({HOST}) has no such outlet: {exc}")
        finally:
            engine.dispose()
        return RunStatus.FAILED
    config = config.with_max_articles(max_articles)
    log.info("crawling %s for run %d", outlet.name, run_id)
    last_write = [0.0]
    engine, sessions = open_database(config.database_url)

    def progress(tallies: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last_write[0] >= PROGRESS_WRITE_SECONDS and outlet.name in tallies:
            last_write[0] = now
            _record(sessions, run_id, outlet.name, tallies[outlet.name], None, running=True)

    try:
        _record(sessions, run_id, outlet.name, None, None, running=True)
        result = run_crawl(
            config, [outlet], trigger="worker", log_level=log_level, on_progress=progress, part_of=run_id
        )
        if outlet.name not in result.outlets:  # the crawl process died before reporting
            _record(sessions, run_id, outlet.name, None, result.error or "the crawl process ended without reporting")
    finally:
        engine.dispose()
    log.info("%s for run %d: %s", outlet.name, run_id, result.status)
    return result.status


def _record(
    sessions: Any,
    run_id: int,
    outlet_name: str,
    tally: dict[str, Any] | None,
    error: str | None,
    *,
    running: bool = False,
) -> None:
    """The outlet's row in the run: progress (`running`), or a failure without figures."""
    counts = OutletTally.from_snapshot(tally) if tally else OutletTally(errors=[error] if error else [])
    snapshot: dict[str, Any] = dict(counts.snapshot())
    status = RunStatus.RUNNING if running else RunStatus.FAILED
    figures = counts.figures()
    snapshot["status"] = status
    with sessions.begin() as session:
        outlet_id = ledger.outlet_id_named(session, outlet_name)
        if outlet_id is None:
            log.error("run %d: no outlet %r in the archive", run_id, outlet_name)
            return
        figures |= {"status": status, "error": error}
        if running and tally:  # progress: only on the running row
            ledger.record_outlet_progress(session, run_id, outlet_id, figures, snapshot)
        else:  # the start of the outlet's crawl (again, if redelivered), or its failure
            ledger.record_outlet_run(session, run_id, outlet_id, figures, snapshot)


def run_worker(config: Config, *, concurrency: int, log_level: str = "INFO") -> None:
    """Take outlets from the broker until SIGTERM or SIGINT (Celery's warm shutdown: the
    running outlets finish; a second signal stops at once, and the broker redelivers them)."""
    app = celery_app(config)
    check_broker(app, config.settings.queue.broker_url or "")
    worker = app.Worker(
        pool="threads",
        concurrency=concurrency,
        hostname=f"newsalert-{os.getpid()}@{HOST}",
        loglevel=log_level,
        queues=[config.settings.queue.name],
        without_gossip=True,
        without_mingle=True,
        optimization="fair",
    )
    worker.start()


# --- the side that starts the crawl -------------------------------------------------------------


def dispatch(
    config: Config,
    outlets: list[Outlet],
    *,
    trigger: str,
    max_articles: int | None = None,
    log_level: str = "WARNING",
    on_progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CrawlResult:
    """Crawl `outlets` on the workers: a run, a task per outlet, and wait for every one of
    them. BrokerError (and nothing recorded) when the broker cannot be reached."""
    app = celery_app(config)
    check_broker(app, config.settings.queue.broker_url or "")
    engine, sessions = open_database(config.database_url)
    sent: dict[str, Any] = {}
    try:
        with sessions.begin() as session:
            ledger.sync_outlets(session, outlets)
            run_id = ledger.start_run(session, trigger=trigger, pid=os.getpid(), host=HOST)
        names = [o.name for o in outlets]
        try:
            for name in names:
                sent[name] = app.send_task(TASK, args=[run_id, name, max_articles, log_level])
        except Exception as exc:
            with sessions.begin() as session:
                ledger.finish_run(session, run_id, status=RunStatus.FAILED, error=f"could not queue the outlets: {exc}")
            where = _safe(config.settings.queue.broker_url or "")
            raise BrokerError(f"could not queue the outlets at {where}: {exc}") from None
        log.info("run %d: %d outlets queued on %s", run_id, len(names), config.settings.queue.name)
        tallies = _wait(sessions, run_id, names, config.settings.queue.task_timeout_minutes * 60, on_progress, clock)
        waiting = [name for name in names if tallies[name]["status"] not in FINAL]
        _revoke(app, [sent[name].id for name in waiting])
        error = None
        if waiting:
            error = f"no worker finished {', '.join(waiting)} in {config.settings.queue.task_timeout_minutes} min"
            for name in waiting:
                tallies[name]["status"] = RunStatus.FAILED
                tallies[name]["errors"] = [*tallies[name]["errors"], "no worker finished it in time"]
        statuses = [tallies[name]["status"] for name in names]
        status = (
            RunStatus.FAILED
            if statuses and all(s == RunStatus.FAILED for s in statuses)
            else RunStatus.PARTIAL
            if RunStatus.FAILED in statuses or RunStatus.PARTIAL in statuses
            else RunStatus.OK
        )
        with sessions.begin() as session:
            ledger.finish_run(session, run_id, status=status, error=error)
        return CrawlResult(run_id, status, tallies, error)
    except KeyboardInterrupt:
        with sessions.begin() as session:
            ledger.finish_run(session, run_id, status=RunStatus.INTERRUPTED, error="the crawl was asked to stop")
        _revoke(app, [task.id for task in sent.values()])
        raise
    finally:
        engine.dispose()


def _revoke(app: Any, task_ids: list[str]) -> None:
    """Tell the workers to drop these outlets (best effort: the run is closed either way)."""
    if task_ids:
        try:
            app.control.revoke(task_ids, terminate=False)
        except Exception as exc:  # the broker went away meanwhile
            log.warning("could not withdraw %d queued outlets: %s", len(task_ids), exc)


def _wait(
    sessions: Any,
    run_id: int,
    names: list[str],
    timeout: float,
    on_progress: ProgressCallback | None,
    clock: Callable[[], float],
) -> dict[str, Any]:
    """The outlets' tallies once each is final (or the timeout passed), reporting progress."""
    empty = {name: dict(OutletTally().snapshot()) | {"status": "queued"} for name in names}
    started = clock()
    while True:
        with sessions() as session:
            rows = ledger.outlet_runs(session, run_id)
        tallies = dict(empty)
        for row, name in rows:
            if name in tallies:
                tallies[name] = dict(row.tally or {}) | {"status": row.status}
                tallies[name].setdefault("errors", [row.error] if row.error else [])
        if on_progress:
            on_progress(tallies)
        if all(tallies[name]["status"] in FINAL for name in names) or clock() - started > timeout:
            return tallies
        time.sleep(POLL_SECONDS)
