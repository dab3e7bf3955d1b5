"""`newsalert demo`: the bundled sample outlets, served locally and crawled into ./data/demo."""

from __future__ import annotations

from pathlib import Path

import yaml

from newsalert.config.loader import packaged_config_dir
from newsalert.crawler.demo.site import DemoSite

DEMO_DIR = Path("data") / "demo"


def write_demo_config(sites: list[DemoSite], directory: Path = DEMO_DIR) -> Path:
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
        "digest": {"archive_dir": "../digests"},
    }
    path = directory / "newsalert.yaml"
    path.write_text(
        "# Settings of `newsalert demo`; written anew by every demo run.\n" + yaml.safe_dump(settings, sort_keys=False),
        encoding="utf-8",
    )
    return path
