"""Configuration: the shipped files, env overrides, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsalert.config import load_config
from newsalert.config.loader import ConfigError, packaged_config_dir
from tests.helpers import run_cli

CONFIG_DIR = Path(__file__).parents[1] / "config"
GOOD_OUTLET = {
    "name": "Harbour Herald",
    "url": "https://harbour.example/",
    "feeds": ["https://harbour.example/rss.xml"],
}


def test_shipped_configuration_is_valid_and_covers_the_world() -> None:
    config = load_config(CONFIG_DIR / "newsalert.yaml")
    assert len(config.enabled_outlets) >= 15
    assert {"en", "fr", "es", "pt", "zh"} <= {o.language for o in config.outlets}
    names = {o.name for o in config.outlets}
    assert {"UN News", "UN Office for South-South Cooperation"} <= names
    countries = {o.country for o in config.outlets if o.country}
    assert {"NG", "KE", "CN", "BR", "IN", "QA"} <= countries  # Africa, Asia, Latin America, Middle East
    assert config.topics is not None and config.topics.topics[0].phrases["zh"]


def test_packaged_default_keeps_data_out_of_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSALERT_CONFIG", raising=False)
    monkeypatch.delenv("NEWSALERT_DB", raising=False)
    config = load_config()
    assert config.path.parent.resolve() == packaged_config_dir().resolve()
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'newsalert.db'}"
    assert config.settings.digest.archive_dir == tmp_path / "data" / "digests"


def test_relative_paths_resolve_from_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "mine.yaml").write_text(yaml.safe_dump([GOOD_OUTLET]))
    (folder / "newsalert.yaml").write_text(
        yaml.safe_dump({"database": "sqlite:///state/news.db", "outlets_file": "mine.yaml", "topics_file": None})
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(folder / "newsalert.yaml")
    assert config.database_url == f"sqlite:///{folder / 'state' / 'news.db'}"
    assert [o.name for o in config.outlets] == ["Harbour Herald"] and config.topics is None


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "outlets.yaml").write_text(yaml.safe_dump([GOOD_OUTLET]))
    (tmp_path / "custom.yaml").write_text(yaml.safe_dump({"topics_file": None}))
    monkeypatch.setenv("NEWSALERT_CONFIG", str(tmp_path / "custom.yaml"))
    monkeypatch.setenv("NEWSALERT_DB", "postgresql+psycopg://news@db.internal/archive")
    config = load_config()
    assert config.path == tmp_path / "custom.yaml"
    assert config.database_url == "postgresql+psycopg://news@db.internal/archive"
    assert load_config(database="sqlite:///x.db").database_url.endswith("/x.db")  # --db wins


def _broken(tmp_path: Path, outlets: object = None, settings: dict | None = None) -> Path:
    (tmp_path / "outlets.yaml").write_text(yaml.safe_dump(outlets if outlets is not None else [GOOD_OUTLET]))
    path = tmp_path / "newsalert.yaml"
    path.write_text(yaml.safe_dump({"topics_file": None, **(settings or {})}))
    return path


INVALID = [
    pytest.param(
        {"outlets": [GOOD_OUTLET, {**GOOD_OUTLET, "name": "Second", "feedz": []}]},
        ["outlets.yaml", "outlet #2 ('Second')", "field 'feedz'", "did you mean 'feeds'"],
        id="unknown-field",
    ),
    pytest.param(
        {"outlets": [{**GOOD_OUTLET, "feeds": ["ftp://harbour.example/rss"]}]},
        ["outlets.yaml", "outlet #1 ('Harbour Herald')", "field 'feeds[0]'", "http(s) URL"],
        id="bad-url",
    ),
    pytest.param(
        {"outlets": [{**GOOD_OUTLET, "listings": ["https://h.example/w/"], "article_url_pattern": "/(\\d{4}/"}]},
        ["outlets.yaml", "outlet #1", "field 'article_url_pattern'", "invalid regular expression"],
        id="bad-regex",
    ),
    pytest.param(
        {"outlets": [GOOD_OUTLET, {**GOOD_OUTLET, "url": "https://other.example/"}]},
        ["outlets.yaml", "outlet #2 ('Harbour Herald')", "field 'name'", "duplicate outlet name"],
        id="duplicate-name",
    ),
    pytest.param(
        {"outlets": [{**GOOD_OUTLET, "country": "XX"}]},
        ["outlets.yaml", "field 'country'", "ISO 3166"],
        id="bad-country",
    ),
    pytest.param(
        {"outlets": [{"name": "No Sources", "url": "https://n.example/"}]},
        ["outlets.yaml", "outlet #1 ('No Sources')", "at least one of feeds"],
        id="no-source",
    ),
    pytest.param(
        {"settings": {"outlets_file": "missing.yaml"}},
        ["missing.yaml", "file not found", "outlets_file"],
        id="missing-file",
    ),
    pytest.param(
        {"settings": {"crawl": {"max_age_dayz": 3}}},
        ["newsalert.yaml", "entry 'crawl'", "field 'max_age_dayz'", "did you mean 'max_age_days'"],
        id="unknown-setting",
    ),
    pytest.param(
        {"settings": {"schedule": {"cron": "every morning"}}},
        ["newsalert.yaml", "entry 'schedule'", "field 'cron'", "crontab"],
        id="bad-cron",
    ),
    pytest.param({"outlets": {"name": "not a list"}}, ["outlets.yaml", "expected a list of outlets"], id="not-a-list"),
]


@pytest.mark.parametrize(("broken", "expected"), INVALID)
def test_invalid_configuration_exits_2_with_one_line(tmp_path: Path, broken: dict, expected: list[str]) -> None:
    path = _broken(tmp_path, broken.get("outlets"), broken.get("settings"))
    result = run_cli("--config", str(path), "crawl")
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, f"expected one line, got:\n{message}"
    assert "Traceback" not in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "outlets.yaml").write_text("- name: A\n  url: [unclosed\n")
    path = tmp_path / "newsalert.yaml"
    path.write_text("topics_file: null\n")
    with pytest.raises(ConfigError, match=r"outlets.yaml: line \d+, column \d+: invalid YAML"):
        load_config(path)


def test_unknown_outlet_name_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("--config", str(_broken(tmp_path)), "crawl", "--outlet", "Harbor Herald")
    assert result.exit_code == 2
    assert "no outlet named 'Harbor Herald' (did you mean 'Harbour Herald'?)" in result.output


def test_a_query_reads_neither_the_outlets_nor_the_topics_but_the_service_checks_both(tmp_path: Path) -> None:
    """Searching the archive does not depend on files only a crawl reads; the service, which
    will crawl, refuses to start with a bad one instead of failing at its first run."""
    path = _broken(tmp_path, outlets={"name": "not a list"}, settings={"database": "sqlite:///archive.db"})
    result = run_cli("--config", str(path), "stats")
    assert result.exit_code == 0, result.output
    result = run_cli("--config", str(path), "serve")
    assert result.exit_code == 2, result.output
    assert "outlets.yaml" in result.output and "expected a list of outlets" in result.output
