"""The Scrapy pipeline stages around the pure functions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from newsalert.crawler.pipelines import StorePipeline
from newsalert.domain import OutletTally, PageItem, Rejection


class BrokenSessions:
    """A session factory whose database has gone away."""

    def begin(self) -> object:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))


def test_a_failed_batch_is_reported_not_raised() -> None:
    frontier = SimpleNamespace(
        sessions=BrokenSessions(), outlet_ids={"O": 1}, cutoff=None, tallies={"O": OutletTally()}, storage_errors=[]
    )
    pipeline = StorePipeline(SimpleNamespace(spider=SimpleNamespace(frontier=frontier)))
    item = PageItem(
        outlet="O",
        url="https://o.example/a",
        aliases=["https://o.example/a"],
        outcome=Rejection("not_article", "empty page"),
    )
    assert pipeline.process_item(item) is item
    pipeline.flush()
    assert frontier.storage_errors and "disk I/O error" in frontier.storage_errors[0]
    assert frontier.tallies["O"].rejected == 0, "nothing was recorded, so nothing may be counted"
    assert pipeline.pending == []


@pytest.mark.parametrize(
    ("html", "status"), [("", "not_article"), ("<html><body><p>Subscribe now.</p></body></html>", "too_short")]
)
def test_extraction_rejections_carry_a_reason(html: str, status: str) -> None:
    from newsalert.pipelines.extract import extract_article

    outcome = extract_article(html, "https://o.example/a")
    assert isinstance(outcome, Rejection) and outcome.status == status and outcome.reason
