"""The sample outlets of `newsalert demo`: articles.yaml served as four little news sites.

The shared fake-site builder (builder.py) serves each outlet with the boilerplate real sites
have, so the demo shows extraction at work. Publication dates are relative to the moment the
demo runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from newsalert.config import yamlio
from newsalert.crawler.demo.builder import Site, build_site
from newsalert.crawler.demo.model import load_outlets


def load_demo_data() -> dict[str, Any]:
    """articles.yaml as plain data: `outlets` and their `articles`."""
    text = (resources.files("newsalert.crawler.demo") / "articles.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yamlio.safe_load(text)
    return data


def start_demo_sites(now: datetime | None = None) -> list[Site]:
    """Start one local server per sample outlet; stop them with `stop_demo_sites`."""
    now = now or datetime.now(UTC)
    return [build_site(outlet, now) for outlet in load_outlets(load_demo_data())]


def stop_demo_sites(sites: list[Site]) -> None:
    for site in sites:
        site.stop()
