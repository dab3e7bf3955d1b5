"""The command line's parts: the context every command gets, one-line errors, and the option
bundles (shared ones, and each command's own, so that cli.py reads as the list of commands)."""

from __future__ import annotations

import functools
import gc
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # the archive's modules load when a command needs them, not for --help
    from newsalert.config import Config
    from newsalert.service.api import Archive

F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**63 - 1  # the databases' largest integer
MAX_OFFSET = 10**9
EXIT_USAGE = 2


class BadUsage(click.ClickException):
    """Bad usage or configuration: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE


class Context:
    """What every command gets: the archive of the --config/--db given, opened on first use."""

    def __init__(self, config_path: str | None, database: str | None, verbosity: int) -> None:
        self.config_path, self.database, self.verbosity = config_path, database, verbosity
        self._config: Config | None = None
        self._archive: Archive | None = None

    @property
    def config(self) -> Config:
        """The settings (the outlets and topics files read when first used), without loading
        the archive's modules."""
        if self._config is None:
            from newsalert.config import load_config

            self._config = load_config(self.config_path, database=self.database, eager=False)
        return self._config

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            try:
                from newsalert.service.api import Archive

                self._archive = Archive(self.config)
            finally:
                collect_from_now_on()
        return self._archive

    @property
    def log_level(self) -> str:
        return {-1: "ERROR", 0: "WARNING", 1: "INFO"}.get(self.verbosity, "DEBUG")

    @property
    def table_log_level(self) -> str:
        """For a crawl whose table reports every outlet's errors: its warnings only with -v."""
        return "ERROR" if self.verbosity <= 0 else self.log_level

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


# The console script pauses the cyclic garbage collector while it starts: it would scan the
# young objects of half a second of imports again and again for cycles that imports do not
# make (a tenth of a `search` on the demo archive).
_collector = {"paused": False}


def pause_collection() -> None:
    gc.disable()
    _collector["paused"] = True


def collect_from_now_on() -> None:
    """Turn the collector back on if the console script paused it, sparing it the objects made
    so far: the imports' modules, classes and tables, which live as long as the process.

    Every command reaches here as it opens the archive, before it does any work, so a command
    that runs for months (run, serve, worker) collects as usual, and one that ends before
    (--help, a usage error) never needed it. The CLI called in-process (tests, CliRunner)
    leaves the collector as it found it."""
    if _collector["paused"]:
        _collector["paused"] = False
        gc.freeze()
        gc.enable()


def command(group: click.Group, *args: Any, **kwargs: Any) -> Callable[[F], F]:
    """A subcommand that gets the archive, and whose API errors are one-line messages."""

    def decorate(function: F) -> F:
        @functools.wraps(function)  # keeps the options click attached to it
        def run(ctx: click.Context, /, *a: Any, verbose_here: int, quiet_here: bool, **kw: Any) -> Any:
            if verbose_here or quiet_here:  # -v/-q after the command, as before it
                ctx.obj.verbosity = -1 if quiet_here else max(ctx.obj.verbosity, 0) + verbose_here
                logging.getLogger().setLevel(ctx.obj.log_level)
            with api_errors():
                return function(ctx.obj, *a, **kw)

        return group.command(*args, **kwargs)(click.pass_context(verbosity_options("verbose_here", "quiet_here")(run)))

    return decorate


@contextmanager
def api_errors() -> Iterator[None]:
    """The API's errors as one-line messages; any other exception goes on as it is."""
    try:
        yield
    except Exception as exc:
        message = _one_line(exc)
        if message is None:
            raise
        raise message from None


def _one_line(exc: Exception) -> click.ClickException | None:
    # The error classes are imported as an error arrives, not before every command: `crawl`
    # starts its crawl process before it loads the archive's modules (runner.early_start).
    from newsalert.config import ConfigError
    from newsalert.service.api import Unavailable, UsageError
    from newsalert.storage.db import DatabaseError

    if isinstance(exc, UsageError | ConfigError):
        return BadUsage(str(exc))
    if isinstance(exc, DatabaseError):
        return BadUsage(str(exc)) if exc.bad_url else click.ClickException(str(exc))
    if isinstance(exc, LookupError):
        return click.ClickException(str(exc.args[0]))
    if isinstance(exc, Unavailable):  # exit 1: nothing was done, nothing lost; try again later
        return click.ClickException(str(exc))
    return None


def stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click decorators as one, applied in the order written."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def format_option(*choices: str, help: str | None = None) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True,
                        help=help)  # fmt: skip


def multiple(name: str, dest: str, metavar: str, help: str) -> Callable[[F], F]:
    return click.option(name, dest, multiple=True, metavar=metavar, help=help)


search_filters = stack(
    click.argument("query", required=False),
    click.option("--since", metavar="WHEN", help="Published since: a date (2026-06-01) or an age (7d, 24h, 2w)."),
    click.option("--until", metavar="WHEN", help="Published before: a date or an age."),
    multiple("--outlet", "outlets", "NAME", "Only this outlet (repeatable)."),
    multiple("--lang", "languages", "CODE", "Only this language, e.g. fr (repeatable)."),
    multiple("--country", "countries", "CODE", "Only stories about this country, e.g. KE (repeatable: any of them)."),
    multiple("--region", "regions", "KEY",
             "Only stories about this region: africa, asia, latin-america-caribbean, middle-east, ..."),
    multiple("--tag", "tags", "TAG",
             "Only articles with this tag: a theme (trade), an initiative (BRI), or kind:code (repeatable: all)."),
    click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
                 help="With a query, best matches first, or newest first."),
    click.option("--collapse", is_flag=True, help="One row per story (its best-ranked article), not per article."),
    click.option("--include-off-topic", is_flag=True,
                 help="Also articles that `rescore` found off topic under the current topic profile."),
    click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000)),
    click.option("--offset", default=0, type=click.IntRange(0, MAX_OFFSET), help="Skip the first N results."),
    format_option("table", "json", "ndjson", "csv", help="ndjson: one JSON object a line, for piping."),
)  # fmt: skip


def verbosity_options(verbose: str, quiet: str) -> Callable[[F], F]:
    """-v/--verbose and -q/--quiet, into the parameters named `verbose` and `quiet`: the group
    takes them before the command, and every command after it."""
    return stack(
        click.option("-v", "--verbose", verbose, count=True, help="More log output (-vv for debugging)."),
        click.option("-q", "--quiet", quiet, is_flag=True, help="Only errors."),
    )


# Options of one command each, kept here so that cli.py reads as the list of commands.
global_options = stack(
    click.option(
        "--config",
        "config_path",
        metavar="PATH",
        help="Settings file [default: $NEWSALERT_CONFIG, else ./config/newsalert.yaml, else the packaged default].",
    ),
    click.option(
        "--db", "database", metavar="URL", help="Database URL, overriding the settings' `database` [env: NEWSALERT_DB]."
    ),
    verbosity_options("verbose", "quiet"),
)

crawl = stack(
    click.option(
        "--outlet",
        "outlet_names",
        multiple=True,
        metavar="NAME",
        help="Crawl only this outlet (repeatable); disabled outlets may be named.",
    ),
    click.option(
        "--max-articles",
        type=click.IntRange(min=1),
        metavar="N",
        help="Fetch at most N new articles per outlet (overrides crawl.max_articles_per_outlet).",
    ),
)

show = stack(
    click.argument("article_id", type=click.IntRange(1, MAX_ID)),
    format_option("text", "json"),
)

stats = stack(
    click.option(
        "--since",
        default="30d",
        show_default=True,
        metavar="WHEN",
        help="The window of the figures per day, outlet, country and theme: a date or an age.",
    ),
    format_option("table", "json"),
)

explain = stack(
    click.argument("target", metavar="URL|FILE"),
    click.option("--url", metavar="URL", help="The address to judge a saved page under (its site, its links)."),
    format_option("text", "json"),
)

rescore = stack(
    click.option("--since", metavar="WHEN", help="Only articles published since: a date or an age (default: all)."),
)

digest = stack(
    click.option("--send", is_flag=True, help="Deliver over SMTP and record it; without it, only build previews."),
    click.option(
        "--preview",
        "preview_file",
        type=click.Path(dir_okay=False, writable=True),
        metavar="FILE",
        help="Also write the (first) digest's HTML to FILE.",
    ),
    click.option("--subscriber", metavar="EMAIL", help="Only this subscriber's digest."),
    click.option(
        "--resend-unknown",
        is_flag=True,
        help="With --send: digests whose delivery is unknown (the SMTP "
        "transaction was cut short) were not delivered after all: send their stories again.",
    ),
)

# An alert's filters: those of `search` that say what a story is about (not when or how many).
alert_filters = stack(
    multiple("--outlet", "outlets", "NAME", "Only this outlet (repeatable)."),
    multiple("--lang", "languages", "CODE", "Only this language, e.g. fr (repeatable)."),
    multiple("--country", "countries", "CODE", "Only stories about this country, e.g. KE (repeatable: any of them)."),
    multiple("--region", "regions", "KEY", "Only stories about this region: africa, asia, ... (repeatable: any)."),
    multiple("--tag", "tags", "TAG", "Only stories with this tag: trade, BRI, or kind:code (repeatable: all)."),
)  # fmt: skip

subscribers_add = stack(
    click.argument("email"),
    click.argument("query", required=False),
    click.option("--alert", "alert", metavar="NAME",
                 help="The alert's name; an existing alert of that name is changed. Default: the query and filters."),
    alert_filters,
)  # fmt: skip

subscribers_remove = stack(
    click.argument("email"),
    click.option("--alert", "alert", metavar="NAME", help="Remove only this alert, not the subscriber."),
)

worker = stack(
    click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True,
                 help="Outlets crawled at once (each in a process of its own)."),
)  # fmt: skip

web = stack(
    click.option("--host", metavar="HOST", help="Listen on this address (default: web.host, 127.0.0.1)."),
    click.option("--port", type=click.IntRange(1, 65535), help="Listen on this port (default: web.port, 8080)."),
)

outlets_check = stack(
    click.option("--outlet", "outlet_names", multiple=True, metavar="NAME", help="Check only this outlet."),
)

demo = stack(
    click.option("--keep-serving", is_flag=True, help="Keep the sample sites up after the crawl (Ctrl-C stops)."),
)


def entry_point(group: click.Group) -> Callable[[], None]:
    """The console script around `group`: every error a user can cause is one line on stderr,
    exit status 2 for bad usage or configuration (click's own usage errors included)."""

    def main() -> None:
        pause_collection()  # until the command opens the archive: see collect_from_now_on
        from newsalert.service.terminal import err_console, plain

        try:
            status = group.main(prog_name="newsalert", standalone_mode=False)
        except click.UsageError as exc:  # a bad option or value: click would print four lines
            where = exc.ctx.command_path if exc.ctx else "newsalert"
            err_console.print(plain(f"{where}: {' '.join(exc.format_message().split())}"), soft_wrap=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            err_console.print(plain(f"Error: {' '.join(exc.format_message().split())}"), soft_wrap=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            err_console.print("Aborted.")
            sys.exit(1)
        finally:
            # The command is done, however it ended: spare the interpreter's final collection
            # the tens of thousands of objects the imports made (a fifth of a second, measured
            # on a search); they go with the process.
            gc.freeze()
        sys.exit(status if isinstance(status, int) else 0)

    return main
