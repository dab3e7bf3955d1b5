"""The service files we ship (deploy/) work as written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsalert.config.loader import load_config

DEPLOY = Path(__file__).parents[1] / "deploy"
UNITS = [DEPLOY / name for name in ("newsalert.service", "newsalert-web.service", "newsalert-worker.service")]


@pytest.mark.parametrize("unit_file", UNITS, ids=lambda path: path.name)
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path, unit_file: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    # The one line that names the installation: pointed at this one, which exists here.
    installed = Path(sys.executable).with_name("newsalert")
    text = unit_file.read_text(encoding="utf-8").replace("/srv/newsalert/.venv/bin/newsalert", str(installed))
    unit = tmp_path / unit_file.name
    unit.write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("unit_file", UNITS, ids=lambda path: path.name)
def test_no_unit_value_carries_a_comment(unit_file: Path) -> None:
    """systemd reads '# ...' after a value as part of it (a path would end in the comment)."""
    for line in unit_file.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" not in line.split("=", 1)[1], line


def test_the_service_settings_are_valid_and_absolute(tmp_path: Path) -> None:
    settings = (DEPLOY / "newsalert.yaml").read_text(encoding="utf-8")
    root = Path(__file__).parents[1] / "config"
    settings = settings.replace("/etc/newsalert/", f"{root}/").replace("/var/lib/newsalert", str(tmp_path))
    path = tmp_path / "newsalert.yaml"
    path.write_text(settings, encoding="utf-8")
    config = load_config(path)
    assert config.database_url == f"sqlite:///{tmp_path}/newsalert.db"
    assert config.settings.digest.archive_dir == tmp_path / "digests"
    assert config.outlets and config.topics is not None
    assert config.settings.web.host == "127.0.0.1" and str(config.settings.web.base_url).startswith("https://")


def test_the_datasette_recipe_searches_the_archive(tmp_path: Path) -> None:
    """README: `newsalert backup archive.db`, then `datasette archive.db --metadata deploy/datasette.json`."""
    import asyncio
    import json
    from datetime import UTC, datetime

    app = pytest.importorskip("datasette.app")
    from newsalert.config.models import Outlet
    from newsalert.storage import articles, ledger
    from newsalert.storage.db import backup_sqlite, open_database

    url = f"sqlite:///{tmp_path / 'newsalert.db'}"
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        outlet_id = ledger.sync_outlets(session, [Outlet(name="O", url="https://o.example/", feeds=["https://o/rss"])])
        for n, title in enumerate(["Coopération Sud-Sud au Sahel", "A football final"]):
            address = f"https://o.example/{n}"
            values = {"outlet_id": outlet_id["O"], "canonical_url": address, "url": address, "title": title,
                      "text": f"{title}. " * 30, "content_hash": f"h{n}", "fetched_at": datetime.now(UTC)}  # fmt: skip
            articles.insert_article(session, values)
    backup_sqlite(url, tmp_path / "archive.db")  # while the engine is open: the rows are in the WAL
    engine.dispose()
    metadata = json.loads((DEPLOY / "datasette.json").read_text(encoding="utf-8"))
    datasette = app.Datasette([str(tmp_path / "archive.db")], metadata=metadata)

    async def search(query: str) -> list[dict[str, object]]:
        response = await datasette.client.get(f"/archive/articles.json?_search={query}&_shape=array")
        assert response.status_code == 200, response.text
        rows: list[dict[str, object]] = response.json()
        return rows

    found = asyncio.run(search("cooperation"))
    assert [row["title"] for row in found] == ["Coopération Sud-Sud au Sahel"]
