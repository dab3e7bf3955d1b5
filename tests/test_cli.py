"""The command line on the demo archive: demo, search, show, stats, help."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from markupsafe import escape

from newsalert.crawler.demo.site import load_demo_data
from newsalert.service.api import parse_when
from newsalert.service.cli import cli
from tests.helpers import run_cli

README = Path(__file__).parents[1] / "README.md"
JSON_FIELDS = {
    "id",
    "url",
    "title",
    "outlet",
    "published_at",
    "fetched_at",
    "language",
    "author",
    "relevance",
    "matched_terms",
    "tags",
    "cluster_id",
    "cluster_size",
    "duplicates",
}


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Run `newsalert demo` in a fresh folder; yields its output and its --config path."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("NEWSALERT_CONFIG", raising=False)
        patch.delenv("NEWSALERT_DB", raising=False)
        result = run_cli("demo")
        assert result.exit_code == 0, result.output
        yield result.output, str(folder / "data" / "demo" / "newsalert.yaml")


def cli_json(config: str, *args: str) -> object:
    result = run_cli("--config", config, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.slow
def test_demo_keeps_the_current_on_topic_sample_articles(demo_archive: tuple[str, str]) -> None:
    output, config = demo_archive
    data = load_demo_data()
    current = [a for a in data["articles"] if a["days_ago"] <= 7]
    assert len(data["outlets"]) >= 3 and len(data["articles"]) >= 20
    articles = cli_json(config, "search", "--limit", "100", "--format", "json")
    assert {a["title"] for a in articles} == {a["title"] for a in current if a["on_topic"]}
    assert {a["outlet"] for a in articles} == {o["name"] for o in data["outlets"]}
    assert all(a["relevance"] >= 6 and a["matched_terms"] and a["tags"]["countries"] for a in articles)
    assert "Try next:" in output and "search" in output
    digest_path = output.split("Daily News Alert written to:")[1].split()[0]
    assert Path(digest_path).parent.parent == Path(config).parent / "digests", "the demo keeps to data/demo/"
    html = Path(digest_path).read_text(encoding="utf-8")
    assert "Hot Stories" in html
    shown = {a["cluster_id"] for a in articles if str(escape(a["title"])) in html}
    assert shown == {a["cluster_id"] for a in articles}, "every story once, by one of its articles"
    stats = cli_json(config, "stats", "--format", "json")
    assert stats["urls_by_status"]["off_topic"] == sum(1 for a in current if not a["on_topic"])


@pytest.mark.slow
def test_demo_folds_the_syndicated_copy_into_the_original_story(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    articles = cli_json(config, "search", "--limit", "100", "--format", "json")
    stories = [a for a in articles if a["cluster_size"] >= 2]
    assert len(stories) == 2 and len({a["cluster_id"] for a in stories}) == 1, stories
    assert {a["outlet"] for a in stories} == {"Lagos Ledger", "Mekong Monitor"}
    for article in stories:
        other = next(a for a in stories if a is not article)
        assert article["duplicates"] == [other["url"]]
    shown = run_cli("--config", config, "show", str(stories[0]["id"]))
    assert "also reported by" in shown.output and stories[1]["outlet"] in shown.output


@pytest.mark.slow
def test_search_json_has_the_design_fields(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    results = cli_json(config, "search", "cooperación", "--lang", "es", "--format", "json")
    assert results, "the Spanish sample articles mention cooperación"
    assert all("cooperación Sur-Sur" in a["matched_terms"] or a["relevance"] >= 6 for a in results)
    for article in results:
        assert set(article) == JSON_FIELDS
        assert article["language"] == "es" and article["outlet"] == "El Observador Andino"
        assert set(article["tags"]) == {"countries", "regions", "themes", "initiatives"}


@pytest.mark.slow
def test_search_filters_and_formats(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    recent = cli_json(config, "search", "--since", "2d", "--limit", "100", "--format", "json")
    everything = cli_json(config, "search", "--limit", "100", "--format", "json")
    assert 0 < len(recent) < len(everything)
    lagos = cli_json(config, "search", "--outlet", "lagos ledger", "--format", "json")
    assert lagos and {a["outlet"] for a in lagos} == {"Lagos Ledger"}
    page = cli_json(config, "search", "--limit", "2", "--offset", "2", "--format", "json")
    assert [a["id"] for a in page] == [a["id"] for a in everything[2:4]]

    result = run_cli("--config", config, "search", "Sud-Sud", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and all(row["outlet"] == "Sahel Hebdo" for row in rows)
    table = run_cli("--config", config, "search", "BRICS")
    assert table.exit_code == 0 and "BRICS" in table.output
    # The table says which matches it shows, of how many, and how to see the next ones.
    matching = cli_json(config, "search", "cooperation", "--limit", "100", "--format", "json")
    first = run_cli("--config", config, "search", "cooperation", "--limit", "2")
    assert f"Showing 1-2 of {len(matching)} matches; --offset 2 shows the next ones." in first.output
    beyond = run_cli("--config", config, "search", "cooperation", "--offset", str(len(matching)))
    assert f"No more matches: {len(matching)} in all." in beyond.output
    stories = run_cli("--config", config, "search", "cooperation", "--collapse", "--limit", "2")
    assert f"stories 1-2 (one article each) of {len(matching)} matching articles; --offset 2" in stories.output
    newest = run_cli("--config", config, "search", "--limit", "2")  # by date: counted as far as needed
    assert "Showing 1-2 of more than 2 matches; --offset 2 shows the next ones." in newest.output


@pytest.mark.slow
@pytest.mark.parametrize("query", ["'; DROP TABLE articles; --", '"unbalanced', "NEAR(", "*"])
def test_hostile_queries_are_harmless(demo_archive: tuple[str, str], query: str) -> None:
    _, config = demo_archive
    result = run_cli("--config", config, "search", query, "--format", "json")
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert len(cli_json(config, "search", "--limit", "100", "--format", "json")) == 15, "the archive must be intact"


@pytest.mark.slow
def test_search_by_tags(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    nigeria = cli_json(config, "search", "--country", "ng", "--format", "json")
    assert nigeria and all("NG" in a["tags"]["countries"] for a in nigeria)
    latam = cli_json(config, "search", "--region", "latin-america-caribbean", "--format", "json")
    assert latam and all("latin-america-caribbean" in a["tags"]["regions"] for a in latam)
    both = cli_json(config, "search", "--tag", "initiative:FOCAC", "--tag", "digital", "--format", "json")
    assert both and all("FOCAC" in a["tags"]["initiatives"] and "digital" in a["tags"]["themes"] for a in both)
    refused = run_cli("--config", config, "search", "--tag", "no-such-tag", "--format", "json")
    assert refused.exit_code == 2 and "no tag 'no-such-tag'" in refused.output


@pytest.mark.slow
def test_show_text_and_json(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    first = cli_json(config, "search", "FOCAC", "--format", "json")[0]
    shown = cli_json(config, "show", str(first["id"]), "--format", "json")
    assert set(shown) >= JSON_FIELDS | {"text"} and "FOCAC" in shown["text"]
    # The demo feed links carry utm parameters: the article is reached under one canonical URL.
    text = run_cli("--config", config, "show", str(first["id"]))
    assert text.exit_code == 0 and first["title"] in text.output
    missing = run_cli("--config", config, "show", "999999")
    assert missing.exit_code == 1 and "no article with id 999999" in missing.output


@pytest.mark.slow
def test_stats_reports_outlet_health(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    stats = cli_json(config, "stats", "--format", "json")
    assert stats["articles"] == sum(h["articles"] for h in stats["outlets_health"])
    assert stats["last_run"]["status"] == "ok"
    assert stats["urls_by_status"]["too_old"] == 1 and stats["urls_by_status"]["off_topic"] > 0
    assert all(h["last_run_status"] == "ok" and h["last_article_at"] for h in stats["outlets_health"])
    table = run_cli("--config", config, "stats")
    assert table.exit_code == 0 and "Lagos Ledger" in table.output


def test_bad_dates_are_usage_errors(tmp_path: Path) -> None:
    result = run_cli("--db", f"sqlite:///{tmp_path / 'a.db'}", "search", "--since", "last tuesday")
    assert result.exit_code == 2 and "--since: expected a date" in result.output
    assert parse_when("2026-06-01", "--since").isoformat() == "2026-06-01T00:00:00+00:00"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=lambda value: str(value))
def test_every_command_has_help_with_an_example_and_is_documented(name: str, command: click.Command) -> None:
    assert command.help, f"`newsalert {name}` has no help text"
    if not isinstance(command, click.Group):
        assert "Example:" in command.help, f"`newsalert {name}` help should end with an example"
    assert f"newsalert {name}" in README.read_text(encoding="utf-8"), f"README.md does not document `newsalert {name}`"


HEAVY = ("scrapy", "twisted", "trafilatura", "alembic", "newsalert.crawler.spider", "newsalert.pipelines.analyze")
PROBE = """
import sys
from click.testing import CliRunner
from newsalert.service.cli import cli
for args in (["--help"], ["--config", sys.argv[1], "search", "cooperation"], ["--config", sys.argv[1], "show", "1"]):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
print(" ".join(sorted({m for m in sys.modules if m.startswith(%r)})))
"""


@pytest.mark.slow
def test_answering_a_query_loads_no_crawler_extractor_or_migrations(demo_archive: tuple[str, str]) -> None:
    """Queries start fast because they import only what they use: the crawl, the extraction
    and Alembic (the schema is current) stay unloaded."""
    import subprocess
    import sys

    _, config = demo_archive
    probe = PROBE % (HEAVY,)
    loaded = subprocess.run([sys.executable, "-c", probe, config], capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == [], loaded.stdout


EARLY_PROBE = """
import os, sys, multiprocessing.process

watched = sys.argv[2:]

def start(self):  # the crawl process would start here: say what is loaded, and stop
    print(" ".join(m for m in watched if m in sys.modules), flush=True)
    os._exit(0)

multiprocessing.process.BaseProcess.start = start
from newsalert.service.cli import main
sys.argv = ["newsalert", "--config", sys.argv[1], "crawl"]
main()
"""
ARCHIVE_MODULES = (
    "sqlalchemy",
    "sqlalchemy.orm",
    "alembic",
    "newsalert.service.api",
    "newsalert.storage.models",
    "scrapy",
)


@pytest.mark.slow
def test_crawl_starts_its_crawl_process_before_loading_the_archive(demo_archive: tuple[str, str]) -> None:
    """The crawl process (its fork server, Scrapy) loads while the command loads the database
    layer it needs to record the run, not after."""
    import subprocess
    import sys

    _, config = demo_archive
    loaded = subprocess.run(
        [sys.executable, "-c", EARLY_PROBE, config, *ARCHIVE_MODULES], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == [], f"loaded before the crawl process started: {loaded.stdout}"


GC_PROBE = """
import gc, sys
from newsalert.service import api
from newsalert.service.cli import main

def seen(name, method):
    def wrapper(*args, **kwargs):
        print(name, gc.isenabled(), gc.get_freeze_count() > 0)
        return method(*args, **kwargs)
    return wrapper

api.Archive.__init__ = seen("opening", api.Archive.__init__)
api.Archive.stats = seen("working", api.Archive.stats)
sys.argv = ["newsalert", "--config", sys.argv[1], "stats"]
try:
    main()
except SystemExit:
    pass
"""


@pytest.mark.slow
def test_the_console_script_collects_garbage_again_once_the_archive_is_open(demo_archive: tuple[str, str]) -> None:
    """The collector, paused while the console script starts, runs for the command's work (a
    command such as `run` lasts months), sparing only what the start-up made."""
    import gc
    import subprocess
    import sys

    _, config = demo_archive
    probe = subprocess.run([sys.executable, "-c", GC_PROBE, config], capture_output=True, text=True, check=True)
    states = [line.split() for line in probe.stdout.splitlines() if line.startswith(("opening", "working"))]
    assert states == [["opening", "False", "False"], ["working", "True", "True"]], probe.stdout + probe.stderr
    # Called in-process (as the tests and CliRunner do), the CLI leaves the collector alone.
    frozen = gc.get_freeze_count()
    assert run_cli("--config", config, "stats").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.slow
def test_verbosity_options_work_after_the_command_too(demo_archive: tuple[str, str]) -> None:
    _, config = demo_archive
    result = run_cli("--config", config, "search", "cooperation", "--format", "json", "-vv")
    assert result.exit_code == 0 and json.loads(result.stdout), result.output
    assert logging.getLogger().level == logging.DEBUG
    result = run_cli("--config", config, "stats", "-q")
    assert result.exit_code == 0 and logging.getLogger().level == logging.ERROR


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--country", "Kenya"], "--country takes a two-letter code: did you mean KE (Kenya)?"),
        (["search", "--outlet", "lagos"], "--outlet: no outlet named 'lagos' (did you mean 'Lagos Ledger'?)"),
        (["search", "--tag", "renewable"], "--tag: no tag 'renewable' in the archive or the taxonomy"),
        (["subscribers", "add", "a@example.org", "--tag", "renewable"], "no tag 'renewable'"),
    ],
)
def test_filter_values_that_match_nothing_are_refused(
    demo_archive: tuple[str, str], args: list[str], message: str
) -> None:
    _, config = demo_archive
    result = run_cli("--config", config, *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_demo_prints_next_commands_that_run_as_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsalert.service.demo import command_name

    script = tmp_path / "venv" / "bin" / "newsalert"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert command_name() == "venv/bin/newsalert", "not on PATH: the path it was started by"
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin")
    assert command_name() == "newsalert"
