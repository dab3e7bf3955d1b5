"""`newsalert demo`: the bundled sample outlets, served locally and crawled into ./data/demo."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from rich.markup import escape

from newsalert.config.loader import packaged_config_dir
from newsalert.crawler.demo.builder import Site

DEMO_DIR = Path("data") / "demo"


def write_demo_config(sites: list[Site], directory: Path = DEMO_DIR) -> Path:
    """Write a settings file and an outlet list for the running sample sites; returns the
    settings file. The previous demo database is removed so every demo starts fresh."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("newsalert.db*"):
        leftover.unlink()
    (directory / "outlets.yaml").write_text(
        "# The bundled sample outlets, served on 127.0.0.1 by `newsalert demo`.\n"
        + yaml.safe_dump([site.outlet_entry() for site in sites], allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    settings = {
        "database": "sqlite:///newsalert.db",
        "outlets_file": "outlets.yaml",
        "topics_file": str(packaged_config_dir() / "topics.yaml"),
        "crawl": {
            "max_age_days": 7,
            # The sample sites are local: no need to start slowly.
            "scrapy_settings": {"AUTOTHROTTLE_START_DELAY": 0.0},
        },
        # Its own folder: the demo starts a fresh archive each run, and must never write
        # over the digests of the archive the real settings use (data/digests).
        "digest": {"archive_dir": "digests"},
    }
    path = directory / "newsalert.yaml"
    path.write_text(
        "# Settings of `newsalert demo`; written anew by every demo run.\n" + yaml.safe_dump(settings, sort_keys=False),
        encoding="utf-8",
    )
    return path


def run_demo(crawl: Callable[[Path], int], *, keep_serving: bool = False) -> int:
    """Serve the sample outlets, crawl them with `crawl` (given the demo's settings file; it
    returns the crawl's exit status), show the newest articles, write the digest, and say
    what to try next. Returns the exit status."""
    from newsalert.crawler.demo.site import start_demo_sites, stop_demo_sites
    from newsalert.service.api import Archive
    from newsalert.service.terminal import articles_table, console

    sites = start_demo_sites()
    try:
        config = write_demo_config(sites)
        servers = ", ".join(f"{site.name} ({site.server.base_url})" for site in sites)
        console.print(f"Serving {len(sites)} sample outlets on 127.0.0.1: {servers}")
        status = crawl(config)
        archive = Archive.open(str(config))
        try:
            latest = archive.search(limit=10)
            total = archive.stats()["articles"]
            console.print(
                articles_table(latest.articles, latest.copies, title=f"Newest of the {total} articles archived")
            )
            built = archive.digest(send=False).digests
            if built:
                console.print(
                    f"[bold]Daily News Alert written to:[/] {built[0].html_path} ({built[0].stories} stories)"
                )
            database = archive.config.database_url.removeprefix("sqlite:///")
        finally:
            archive.close()
        if keep_serving:
            console.print("The sample sites stay up; press Ctrl-C to stop.")
            _wait_forever()
    finally:
        stop_demo_sites(sites)
    option = f"--config {shlex.quote(str(config))}"
    first = latest.articles[0].id if latest.articles else 1
    program = escape(command_name())
    console.print(f"""
[bold]Archive:[/] {escape(database)}
[bold]Try next:[/]
  {program} {escape(option)} search cooperation
  {program} {escape(option)} search "Sur-Sur" --lang es --format json
  {program} {escape(option)} show {first}
  {program} {escape(option)} stats
  {program} {escape(option)} digest --preview alert.html
  NEWSALERT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))') {program} {escape(option)} web
      (then open http://127.0.0.1:8080/; Ctrl-C stops it)""")
    return status


def command_name() -> str:
    """How to run this command again from here: `newsalert` when that is what the shell finds,
    else the path it was started by (`.venv/bin/newsalert` after `make demo`)."""
    started = Path(sys.argv[0]).resolve()
    found = shutil.which("newsalert")
    if found and Path(found).resolve() == started:
        return "newsalert"
    if started.name != "newsalert" or not started.is_file():  # run as python -m, or embedded
        return "newsalert"
    relative = os.path.relpath(started)
    return shlex.quote(relative if not relative.startswith("..") else str(started))


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
