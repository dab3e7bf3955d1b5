"""Per-outlet figures of a run, kept in Scrapy's stats collector.

Every component counts what it sees under `newsalert/<outlet>/<field>` (the fields of
`OutletTally`), so the figures show up in Scrapy's own stats dump, and the run's tally is
read back from the stats rather than from shared objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from scrapy.statscollectors import StatsCollector

from newsalert.domain import OutletTally

PREFIX = "newsalert"
COUNTED = tuple(f.name for f in fields(OutletTally) if f.name != "errors")
MAX_ERRORS = 20  # per outlet: enough to say what went wrong, bounded for a hostile site
STORAGE_ERRORS = f"{PREFIX}/storage_errors"


def stat_key(outlet: str, name: str) -> str:
    return f"{PREFIX}/{outlet}/{name}"


def count(stats: StatsCollector, outlet: str, name: str, amount: int = 1) -> None:
    if name not in COUNTED:
        raise ValueError(f"not an outlet figure: {name}")
    if amount:
        stats.inc_value(stat_key(outlet, name), amount)


def note_error(stats: StatsCollector, outlet: str, message: str) -> None:
    """Keep one of the outlet's error messages (the first MAX_ERRORS of them)."""
    errors: list[str] = stats.get_value(stat_key(outlet, "errors"), [])
    if len(errors) < MAX_ERRORS:
        stats.set_value(stat_key(outlet, "errors"), [*errors, message])


def note_storage_error(stats: StatsCollector, message: str) -> None:
    errors: list[str] = stats.get_value(STORAGE_ERRORS, [])
    if len(errors) < MAX_ERRORS:
        stats.set_value(STORAGE_ERRORS, [*errors, message])


def storage_errors(stats: StatsCollector) -> list[str]:
    return list(stats.get_value(STORAGE_ERRORS, []))


def tally(stats: StatsCollector, outlet: str) -> OutletTally:
    figures = {name: int(stats.get_value(stat_key(outlet, name), 0)) for name in COUNTED}
    return OutletTally(**figures, errors=list(stats.get_value(stat_key(outlet, "errors"), [])))


def tallies(stats: StatsCollector, outlets: Iterable[str]) -> dict[str, OutletTally]:
    return {outlet: tally(stats, outlet) for outlet in outlets}
