"""Whole saved pages through the real pipeline (extraction, relevance, tags), compared with the
outputs recorded in tests/golden/pages/<name>.json: a regression set, reviewed by hand.

The JSON holds what the pipeline said when it was last regenerated, including the values
tests/golden/README.md lists as known wrong. When a change alters an output on purpose, run
`.venv/bin/python -m tests.golden.update`, review the diff of the JSON against the pages, and
update the README's list.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from newsalert.pipelines.analyze import Analyzer
from tests.golden.update import PAGES, build_analyzer, load_golden, outputs, page_names

MAX_DIFF_LINES = 40


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return build_analyzer()


@pytest.mark.parametrize("name", page_names())
def test_page_gives_its_recorded_outputs(analyzer: Analyzer, name: str) -> None:
    for suffix in ("html", "json"):
        assert (PAGES / f"{name}.{suffix}").exists(), f"pages/{name}.{suffix} is missing"
    golden = load_golden(name)
    assert "expected" in golden, f"{name}: no recorded outputs; run .venv/bin/python -m tests.golden.update {name}"
    problems = differences(golden["expected"], outputs(analyzer, name, golden["url"]))
    if problems:
        pytest.fail(
            f"{name} ({golden['url']}) no longer gives its recorded outputs:\n"
            + "\n".join(problems)
            + "\nIf the change is intended: run .venv/bin/python -m tests.golden.update, review the JSON"
            " against the page and update tests/golden/README.md.",
            pytrace=False,
        )


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """One line per field that differs ("relevance.score: expected 14.0, got 8.0"); the text
    as a diff of its paragraphs."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in [*expected, *(key for key in actual if key not in expected)]:
            where = f"{path}.{key}" if path else key
            if key not in actual:
                found.append(f"{where}: expected {expected[key]!r}, missing from the output")
            elif key not in expected:
                found.append(f"{where}: not recorded, got {actual[key]!r}")
            else:
                found += differences(expected[key], actual[key], where)
        return found
    if expected == actual:
        return []
    if path == "text" and isinstance(expected, list) and isinstance(actual, list):
        diff = list(difflib.unified_diff(expected, actual, "recorded", "now", n=0, lineterm=""))
        shown = diff[:MAX_DIFF_LINES]
        if len(diff) > MAX_DIFF_LINES:
            shown.append(f"... {len(diff) - MAX_DIFF_LINES} more lines")
        return ["text: the paragraphs differ (one paragraph a line):", *(f"    {line}" for line in shown)]
    return [f"{path}: expected {expected!r}, got {actual!r}"]


def golden_pages() -> list[tuple[str, str, str]]:
    """Every golden page: its name, its URL and its decoded HTML."""
    from tests.golden.update import decode

    pages = []
    for name in page_names():
        url = load_golden(name)["url"]
        pages.append((name, url, decode((PAGES / f"{name}.html").read_bytes(), url)))
    return pages


@pytest.mark.slow
def test_a_worker_forked_from_the_warm_fork_server_judges_as_one_built_from_scratch(analyzer: Analyzer) -> None:
    """The crawl's workers fork from a server that loaded the shared data once (crawler/preload.py);
    what they make of every golden page must be what a fresh analyzer makes of it. The
    collector, off while the server loaded, is on in the workers."""
    import asyncio
    import dataclasses
    import gc

    from newsalert.config.loader import load_topics
    from newsalert.crawler.workers import WorkerPool, WorkerSettings, article_task
    from newsalert.domain import Hints
    from newsalert.pipelines.extract import PageLimits
    from tests.golden.update import MIN_TEXT_CHARS, TOPICS

    pages = golden_pages()
    pool = WorkerPool(
        2, WorkerSettings(load_topics(TOPICS), MIN_TEXT_CHARS, PageLimits().max_elements, 1536), timeout=60
    )

    async def in_workers() -> list[Any]:
        return await asyncio.gather(*(pool.run(article_task, html, url, Hints(), None) for _, url, html in pages))

    async def collecting() -> list[bool]:
        return await asyncio.gather(*(pool.run(gc.isenabled) for _ in range(4)))

    try:
        forked = asyncio.run(in_workers())
        assert asyncio.run(collecting()) == [True] * 4
    finally:
        pool.close()
    for (name, url, html), result in zip(pages, forked, strict=True):
        fresh = analyzer.analyze(html, url, hints=Hints())
        assert dataclasses.asdict(result) == dataclasses.asdict(fresh), f"{name}: the worker judged differently"


def test_an_analyzer_built_from_the_compiled_cache_judges_as_one_built_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gazetteer and the organizations are read from a pickle when the cache holds them
    (pipelines/compiled.py); what the analyzer then makes of every golden page must be what
    one built from the YAML files makes of it."""
    import dataclasses

    from newsalert.domain import Hints
    from newsalert.pipelines import actors, compiled, tagging

    def fresh_tables() -> None:
        tagging.load_gazetteer.cache_clear()
        actors.load_actors.cache_clear()

    try:
        monkeypatch.setenv(compiled.CACHE_DIR_ENV, "")
        fresh_tables()
        scratch = build_analyzer()
        monkeypatch.setenv(compiled.CACHE_DIR_ENV, str(tmp_path))
        fresh_tables()
        build_analyzer()  # builds the tables and caches them
        assert sorted(path.name.split("-")[0] for path in tmp_path.glob("*.pickle")) == ["actors", "gazetteer"]
        fresh_tables()
        monkeypatch.setattr(tagging, "_build_gazetteer", _not_built)
        monkeypatch.setattr(actors, "_build_actors", _not_built)
        cached = build_analyzer()
        for name, url, html in golden_pages():
            from_cache, from_scratch = (
                cached.analyze(html, url, hints=Hints()),
                scratch.analyze(html, url, hints=Hints()),
            )
            assert dataclasses.asdict(from_cache) == dataclasses.asdict(from_scratch), f"{name}: judged differently"
    finally:
        fresh_tables()


def _not_built() -> None:
    raise AssertionError("built again although the cache holds it")


def test_the_search_forms_the_analysis_hands_the_store_are_those_the_index_would_make(analyzer: Analyzer) -> None:
    """The store indexes an article with the folded title and text the analysis made while
    tokenizing them (Analysis.search_forms); they must be what fulltext.search_form makes."""
    from newsalert.domain import Analysis, Hints
    from newsalert.storage.fulltext import search_form

    checked = 0
    for name, url, html in golden_pages():
        result = analyzer.analyze(html, url, hints=Hints())
        if isinstance(result, Analysis) and result.kept:
            assert result.search_forms == (search_form(result.article.title), search_form(result.article.text)), name
            checked += 1
    assert checked >= 5


PRELOADED_FOR = """
import sys
from newsalert.crawler import preload  # what the fork server imports
chinese_loaded = "rjieba" in sys.modules
from pathlib import Path
from newsalert.config.loader import load_topics
from newsalert.pipelines.analyze import Analyzer
text = "肯尼亚和中国签署农业技术合作协议，中国专家将在内罗毕培训二百名肯尼亚农业技术人员。" * 3
relevance, tags, _ = Analyzer(load_topics(Path(sys.argv[1]))).judge("中国专家赴肯尼亚培训农业技术人员", text, "zh")
print(chinese_loaded, relevance.kept, sorted(t.code for t in tags if t.kind == "country"))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("languages", "preloaded"), [("en,es", False), ("*", True)])
def test_the_fork_server_loads_the_chinese_dictionary_only_for_outlets_that_may_need_it(
    languages: str, preloaded: bool
) -> None:
    """Outlets that all declare English or Spanish spare the fork server 33 MB; a worker that
    meets Chinese all the same loads the dictionary then, and judges as ever."""
    import os
    import subprocess
    import sys

    from newsalert.crawler.forking import PRELOAD_LANGUAGES
    from tests.golden.update import TOPICS

    result = subprocess.run(
        [sys.executable, "-c", PRELOADED_FOR, str(TOPICS)],
        env={**os.environ, PRELOAD_LANGUAGES: languages},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = result.stdout.strip().split(maxsplit=2)
    assert printed == [str(preloaded), "True", "['CN', 'KE']"], result.stdout + result.stderr
