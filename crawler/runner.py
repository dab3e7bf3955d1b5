"""Running a crawl: in a child process, recorded as a crawl run, with progress reports.

Twisted's reactor cannot restart within a process, and a crash of the crawl must not take
down its caller (the command line, the scheduler), so every crawl runs in a fresh process.
The database is the hand-off: the parent records the run, the child its outcome.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue as queue_module
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from newsalert.domain import OutletTally, RunStatus

if TYPE_CHECKING:
    from newsalert.config.loader import Config
    from newsalert.config.models import Outlet

# Imported where used: the crawl process imports this module before anything else, and should
# start its fork server (crawler/forking.py) before it spends time importing the database layer.

log = logging.getLogger(__name__)

HOST = socket.gethostname()
PROGRESS_SECONDS = 0.5
STOP_GRACE_SECONDS = 30  # a crawl asked to stop gets this long to record what it has
FORCED_STOP_SECONDS = 15  # after a stop signal, the crawl stops waiting for requests in flight

_running: set[multiprocessing.process.BaseProcess] = set()
_asked_to_stop: set[int] = set()  # pids of crawl processes this process stopped on purpose
_started_early: list[_CrawlProcess] = []  # by early_start, for the run_crawl that follows


def stop_running_crawls(*, force: bool = False) -> int:
    """Ask every crawl process this process started to stop, or kill them; returns how many.

    SIGTERM makes Scrapy stop cleanly, and the run is recorded as interrupted.
    """
    children = [child for child in _running if child.is_alive()]
    for child in children:
        _asked_to_stop.add(child.pid or 0)
        if force:
            child.kill()
        else:
            child.terminate()
    return len(children)


@dataclass
class CrawlResult:
    run_id: int | None
    status: str  # ok, partial, failed, interrupted
    outlets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> tally snapshot
    error: str | None = None

    @property
    def failed_outlets(self) -> list[str]:
        return [name for name, tally in self.outlets.items() if tally["status"] == RunStatus.FAILED]


ProgressCallback = Callable[[dict[str, dict[str, Any]]], None]


def run_crawl(
    config: Config,
    outlets: list[Outlet],
    *,
    trigger: str = "manual",
    discover_only: bool = False,
    log_level: str = "WARNING",
    on_progress: ProgressCallback | None = None,
    part_of: int | None = None,
) -> CrawlResult:
    """Crawl `outlets` in a child process, recorded as a new run; or, with `part_of`, as
    these outlets' share of that run, which someone else started and closes (a worker's task
    in a distributed crawl: its crawl process dies with it).

    The child starts first (or was started by early_start), and starts its fork server, which
    loads the analysis while this process migrates the archive and records the run: then the
    child is told what to crawl."""
    crawl = _take_early(_languages(config, outlets), part_of is not None)
    child, send_plan, messages = crawl.process, crawl.send_plan, crawl.messages
    try:
        run_id = _record_start(config, outlets, trigger, discover_only, part_of, child.pid)
    except BaseException:
        send_plan.close()  # the child finds the pipe closed and exits
        _reap(child)
        raise
    try:
        send_plan.send(CrawlPlan(config, [o.name for o in outlets], run_id, discover_only, log_level))
    except OSError:  # the crawl process is gone already: reported below as a crawl that did not finish
        log.warning("the crawl process ended before it was told what to crawl")
    finally:
        send_plan.close()
    final: dict[str, Any] | None = None
    interrupted = False
    while final is None:
        try:
            message = messages.get(timeout=PROGRESS_SECONDS)
        except queue_module.Empty:
            if not child.is_alive():
                break
            continue
        except KeyboardInterrupt:  # the child got the same SIGINT and is shutting down cleanly
            interrupted = True
            continue
        if message.get("final"):
            final = message
        elif on_progress:
            on_progress(message["tallies"])
    # The child has reported (or died): it only has to exit now. Never wait for it forever.
    _reap(child)

    if final is None:
        error = f"the crawl process ended without finishing (exit code {child.exitcode})"
        interrupted = interrupted or child.pid in _asked_to_stop  # stopped on purpose, not crashed
        status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
        if part_of is None:
            _close_run(config, run_id, status, error)
        return CrawlResult(run_id, status, error=error)
    if on_progress:
        on_progress(final["tallies"])
    return CrawlResult(run_id, final["status"], final["tallies"], final.get("error"))


@dataclass(frozen=True)
class _CrawlProcess:
    """A crawl process started and waiting for its plan."""

    process: multiprocessing.process.BaseProcess
    send_plan: Connection
    messages: multiprocessing.Queue[dict[str, Any]]
    languages: list[str | None] | None  # those of its fork server's preload
    share: bool  # dies with this process (a worker's share of a distributed crawl)


def _start_crawl_process(languages: list[str | None] | None, share: bool) -> _CrawlProcess:
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    receive_plan, send_plan = context.Pipe(duplex=False)
    child = context.Process(
        target=_crawl_in_child, name="newsalert-crawl", args=(languages, receive_plan, messages, share)
    )
    child.start()
    receive_plan.close()
    _running.add(child)
    return _CrawlProcess(child, send_plan, messages, languages, share)


def _languages(config: Config, outlets: list[Outlet]) -> list[str | None] | None:
    """The outlets' languages, for the fork server's preload; None: no worker processes."""
    return [outlet.language for outlet in outlets] if config.settings.crawl.extract_workers != 0 else None


def _abandon(crawl: _CrawlProcess) -> None:
    """End a crawl process that will not be told what to crawl: it finds its pipe closed."""
    crawl.send_plan.close()
    _reap(crawl.process)


def _take_early(languages: list[str | None] | None, share: bool) -> _CrawlProcess:
    """The crawl process early_start started for this crawl, else a new one."""
    while _started_early:
        crawl = _started_early.pop()
        if crawl.languages == languages and crawl.share == share and crawl.process.is_alive():
            return crawl
        _abandon(crawl)
    return _start_crawl_process(languages, share)


@contextmanager
def early_start(config: Config, outlets: list[Outlet]) -> Iterator[int | None]:
    """Start the crawl process of a run_crawl(config, outlets) to come, now: its fork server
    loads the analysis and it imports Scrapy while this process is still loading the database
    layer that run_crawl needs to record the run (the command line's `crawl`: its first
    request came 0.07-0.25 s sooner, in alternated runs). Yields the process id. A process not
    taken by then ends on leaving."""
    crawl = _start_crawl_process(_languages(config, outlets), share=False)
    _started_early.append(crawl)
    try:
        yield crawl.process.pid
    finally:
        if crawl in _started_early:
            _started_early.remove(crawl)
            _abandon(crawl)


class CrawlPlan(NamedTuple):
    """What the crawl process is told once the run is recorded."""

    config: Config
    outlet_names: list[str]
    run_id: int | None
    discover_only: bool
    log_level: str


def _record_start(
    config: Config, outlets: list[Outlet], trigger: str, discover_only: bool, part_of: int | None, pid: int | None
) -> int | None:
    """Migrate the archive, close the runs of processes that died, register the outlets and
    start the run (watched through the crawl process, `pid`, which records its end)."""
    from newsalert.storage import articles as article_store
    from newsalert.storage import ledger
    from newsalert.storage.db import open_database

    engine, sessions = open_database(config.database_url)
    try:
        with sessions.begin() as session:
            if part_of is None:
                for dead in ledger.close_dead_runs(session, HOST, process_alive):
                    log.warning("crawl run %d was left running by a process that died; recorded as failed", dead)
            ledger.sync_outlets(session, outlets)
            if config.topics is not None:
                labels = {topic.name: topic.label or topic.name for topic in config.topics.topics}
                article_store.sync_topic_labels(session, labels)
            if part_of is None and not discover_only:
                return ledger.start_run(session, trigger=trigger, pid=pid, host=HOST)
            return part_of
    finally:
        engine.dispose()


def _reap(child: multiprocessing.process.BaseProcess) -> None:
    """Wait for the crawl process to exit, but never forever."""
    child.join(STOP_GRACE_SECONDS)
    if child.is_alive():
        log.warning("the crawl process did not exit after reporting; killing it")
        child.kill()
        child.join()
    _running.discard(child)


def _without_traceback(record: logging.LogRecord) -> bool:
    record.exc_info, record.exc_text = None, None
    return True


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a zombie, killed but not yet
    reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or it just ended
        return Path("/proc").is_dir() is False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")  # the state follows the command name


def _close_run(config: Config, run_id: int | None, status: str, error: str | None) -> None:
    if run_id is None:
        return
    from newsalert.storage import ledger
    from newsalert.storage.db import open_database

    engine, sessions = open_database(config.database_url)
    try:
        with sessions.begin() as session:
            ledger.finish_run(session, run_id, status=status, error=error)
    finally:
        engine.dispose()


def _crawl_in_child(
    languages: list[str | None] | None,
    plan_pipe: Connection,
    messages: multiprocessing.Queue[dict[str, Any]],
    share: bool = False,
) -> None:
    """The crawl process. `languages`: those of the outlets to crawl, for the fork server's
    preload (None: no worker processes)."""
    # No cyclic collection while Scrapy, Twisted and the crawl's parts load: it would scan their
    # young objects again and again for cycles that imports do not make. On again (sparing
    # those objects) before the crawl starts.
    gc.disable()
    if share:
        _die_with_parent()
    if languages is not None:
        # First of all: the fork server loads the analysis while the parent records the run and
        # this process imports Scrapy.
        from newsalert.crawler.forking import start_fork_server

        start_fork_server(languages)
    # A stop asked for before the crawl can stop cleanly is kept, and honoured once it can
    # (below). Meanwhile a Ctrl-C is also the parent's: if it has not sent the plan yet, it
    # closes the pipe, and this process ends quietly.
    early: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: early.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, _frame: early.append(signum))
    # Imported here, while the parent records the run: the parent never loads Scrapy or Twisted.
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import task

    from newsalert.crawler import figures
    from newsalert.crawler.settings import crawl_settings
    from newsalert.crawler.spider import OutletsSpider
    from newsalert.crawler.workers import Workers

    try:
        plan: CrawlPlan = plan_pipe.recv()
    except EOFError:  # the parent could not record the run, and says why itself
        return
    finally:
        plan_pipe.close()
    config, outlet_names, run_id, discover_only, log_level = plan
    outlets = config.select_outlets(outlet_names)
    process = CrawlerProcess(crawl_settings(config, outlets, log_level=log_level, discover_only=discover_only))
    if log_level != "DEBUG":
        # An unreachable site is reported once per source by the spider; Scrapy's robots.txt
        # middleware would add a full traceback for every one of them.
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_without_traceback)
    crawler = process.create_crawler(OutletsSpider)
    close_reason: list[str] = []

    def spider_closed(reason: str) -> None:  # a named local: Scrapy holds receivers weakly
        close_reason.append(reason)

    crawler.signals.connect(spider_closed, signals.spider_closed)

    def tallies() -> dict[str, OutletTally]:
        try:
            return figures.tallies(crawler.stats, outlet_names)
        except RuntimeError:  # the crawl did not get as far as making its stats
            return {name: OutletTally() for name in outlet_names}

    def report() -> None:
        messages.put({"tallies": {name: t.snapshot() for name, t in tallies().items()}})

    reporters: list[task.LoopingCall] = []  # made once the crawl has installed its reactor

    def start_reporting() -> None:
        reporters.append(task.LoopingCall(report))
        reporters[0].start(PROGRESS_SECONDS, now=False)

    def stop_reporting() -> None:
        if reporters and reporters[0].running:
            reporters[0].stop()

    crawler.signals.connect(start_reporting, signals.engine_started)
    crawler.signals.connect(stop_reporting, signals.engine_stopped)
    process.crawl(crawler)
    shutdown_requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        # Scrapy's own handlers wait for every request already queued to finish, which on a
        # slow site outlasts a service's stop budget: stop cleanly, but force it after a while.
        from twisted.internet import reactor as installed

        reactor: Any = installed

        if shutdown_requested:
            reactor.callFromThread(reactor.stop)  # a second signal: stop now
            return
        shutdown_requested.append(signum)
        log.warning("%s received: stopping the crawl", signal.Signals(signum).name)
        reactor.callFromThread(process.stop)
        reactor.callFromThread(reactor.callLater, FORCED_STOP_SECONDS, lambda: reactor.running and reactor.stop())

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    gc.freeze()
    gc.enable()
    error = None
    if early:  # asked to stop before the crawl began: it does not begin
        shutdown_requested.append(early[0])
        log.warning("%s received: the crawl does not start", signal.Signals(early[0]).name)
    try:
        if not early:
            process.start(install_signal_handlers=False)
    except Exception as exc:  # recorded below; the parent sees status "failed"
        log.exception("the crawl failed")
        error = f"{type(exc).__name__}: {exc}"
    finally:
        _close_workers(crawler, Workers)  # also when the crawl ends abnormally
    final = tallies()
    storage_errors = figures.storage_errors(crawler.stats) if close_reason else []
    if storage_errors and not error:
        error = f"could not write to the archive: {storage_errors[0]}"

    reason = close_reason[0] if close_reason else None
    if shutdown_requested and not error:
        status, error = RunStatus.INTERRUPTED, "the crawl was asked to stop"
    elif error or reason is None or storage_errors:
        status, error = RunStatus.FAILED, error or "the crawl did not start (see the log above)"
    elif reason != "finished":
        status, error = RunStatus.INTERRUPTED, f"the crawl stopped early ({reason})"
    elif any(t.status == RunStatus.FAILED for t in final.values()):
        status = RunStatus.PARTIAL
    else:
        status = RunStatus.OK
    if run_id is not None:
        from newsalert.storage import ledger
        from newsalert.storage.db import open_database

        engine, sessions = open_database(config.database_url)
        try:
            with sessions.begin() as session:
                outlet_ids = ledger.outlet_ids(session, outlets)
                for name, tally in final.items():
                    snapshot = dict(tally.snapshot())
                    ledger.record_outlet_run(session, run_id, outlet_ids[name], tally.figures(), snapshot)
                if not share:
                    ledger.finish_run(session, run_id, status=status, error=error)
        finally:
            engine.dispose()
    messages.put(
        {"final": True, "status": status, "error": error, "tallies": {n: t.snapshot() for n, t in final.items()}}
    )
    # The parent waits for this process to exit: spare the interpreter's final collection
    # the objects Scrapy and the crawl made (they go with the process).
    gc.freeze()


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that started it dies (a worker killed
    with -9), instead of crawling on as an orphan while its outlet is redelivered elsewhere."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: an orphan finishes its outlet, the ledger dedupes
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def _close_workers(crawler: Any, extension: type[Any]) -> None:
    """Stop the crawl's worker processes, or the process would wait for them."""
    try:
        workers = crawler.get_extension(extension)
    except RuntimeError:  # the crawl never got as far as making them
        return
    if workers is not None:
        workers.pool.close()
