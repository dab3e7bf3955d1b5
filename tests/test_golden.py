"""Whole saved pages through the real pipeline (extraction, relevance, tags), compared with the
outputs recorded in tests/golden/pages/<name>.json: a regression set, reviewed by hand.

The JSON holds what the pipeline said when it was last regenerated, including the values
tests/golden/README.md lists as known wrong. When a change alters an output on purpose, run
`.venv/bin/python -m tests.golden.update`, review the diff of the JSON against the pages, and
update the README's list.
"""

from __future__ import annotations

import difflib
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
