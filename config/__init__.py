"""Configuration: YAML files validated with pydantic, with env overrides."""

from __future__ import annotations

from newsalert.config.loader import (
    CONFIG_ENV,
    DATABASE_ENV,
    Config,
    ConfigError,
    find_config_path,
    load_config,
)
from newsalert.config.models import CrawlSettings, Outlet, Settings, TopicsFile

__all__ = [
    "CONFIG_ENV",
    "DATABASE_ENV",
    "Config",
    "ConfigError",
    "CrawlSettings",
    "Outlet",
    "Settings",
    "TopicsFile",
    "find_config_path",
    "load_config",
]

if not __name__.startswith("newsalert."):  # the folder is also reachable from the repository root
    raise ImportError(f"import newsalert.{__name__}, not {__name__}: one module must not load twice")
