"""Finding, reading and validating the configuration files.

Every problem becomes a `ConfigError` whose message names the file, the entry and the
field, so the command line can print one line and exit 2 instead of a traceback.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from newsalert.config import yamlio
from newsalert.config.models import Outlet, QueueSettings, Settings, TopicsFile

CONFIG_ENV = "NEWSALERT_CONFIG"
DATABASE_ENV = "NEWSALERT_DB"
BROKER_ENV = "NEWSALERT_BROKER_URL"
LOCAL_CONFIG = Path("config") / "newsalert.yaml"

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """Invalid or missing configuration, with where it was found."""

    def __init__(self, file: Path | str, message: str, *, entry: str | None = None, field: str | None = None) -> None:
        self.file, self.entry, self.field, self.message = str(file), entry, field, message
        where = [self.file]
        if entry:
            where.append(entry)
        if field:
            where.append(f"field '{field}'")
        super().__init__(": ".join([*where, message]))


@dataclass(frozen=True)
class DatabaseSetting:
    """The database URL as given, where it was given, and the folder a relative SQLite path
    is relative to."""

    url: str
    base: Path
    source: str


@dataclass(frozen=True)
class Config:
    """Everything a command needs to know, validated and with paths resolved.

    The outlets and topic files are read when first used (`load_config` reads them at once
    unless told `eager=False`): a query of the archive needs neither, and a search answers
    sooner without validating 800 lines of topic profile it never reads.
    """

    path: Path
    settings: Settings
    database: DatabaseSetting

    @cached_property
    def database_url(self) -> str:
        """The database's URL, a relative SQLite path made absolute. Parsed when first used
        (a ConfigError if it is no URL): parsing loads SQLAlchemy, which `crawl` loads only
        after it has started its crawl process."""
        setting = self.database
        return resolve_database_url(setting.url, setting.base, source=setting.source)

    @cached_property
    def outlets(self) -> tuple[Outlet, ...]:
        return load_outlets(self.settings.outlets_file, named_by=self.path)

    @cached_property
    def topics(self) -> TopicsFile | None:
        topics_file = self.settings.topics_file
        return load_topics(topics_file, named_by=self.path) if topics_file else None

    def validated(self) -> Config:
        """This configuration, its database URL parsed and its outlets and topic files read (a
        ConfigError if any is bad)."""
        self.database_url  # noqa: B018 - read now, to fail now
        self.outlets  # noqa: B018
        self.topics  # noqa: B018
        return self

    def with_max_articles(self, max_articles: int | None) -> Config:
        """These settings with crawl.max_articles_per_outlet overridden (`crawl --max-articles`,
        a distributed crawl's tasks); the same settings when None."""
        if max_articles is None:
            return self
        crawl = self.settings.crawl.model_copy(update={"max_articles_per_outlet": max_articles})
        changed = replace(self, settings=self.settings.model_copy(update={"crawl": crawl}))
        cached = ("database_url", "outlets", "topics")
        changed.__dict__.update({name: self.__dict__[name] for name in cached if name in self.__dict__})
        return changed

    @property
    def enabled_outlets(self) -> list[Outlet]:
        return [outlet for outlet in self.outlets if outlet.enabled]

    def select_outlets(self, names: list[str] | tuple[str, ...]) -> list[Outlet]:
        """The enabled outlets, or the named ones (enabled or not); unknown names are errors."""
        if not names:
            return self.enabled_outlets
        by_name = {outlet.name.casefold(): outlet for outlet in self.outlets}
        chosen = []
        for name in names:
            outlet = by_name.get(name.casefold())
            if outlet is None:
                hint = difflib.get_close_matches(name, [o.name for o in self.outlets], n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(self.settings.outlets_file, f"no outlet named {name!r}{suggestion}")
            chosen.append(outlet)
        return chosen


def packaged_config_dir() -> Path:
    return Path(str(resources.files("newsalert.config")))


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $NEWSALERT_CONFIG, else ./config/newsalert.yaml, else the packaged default."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    if LOCAL_CONFIG.is_file():
        return LOCAL_CONFIG
    return packaged_config_dir() / "newsalert.yaml"


def load_config(
    path: str | os.PathLike[str] | None = None, *, database: str | None = None, eager: bool = True
) -> Config:
    """Read newsalert.yaml and the outlet and topic files it names (with `eager=False`, these
    two when first used).

    Relative paths resolve from the config file's folder. The packaged default is the
    exception for data paths: its database and digest folder resolve as if it were
    ./config/newsalert.yaml, so that data never lands inside the installed package.
    """
    config_path = find_config_path(path)
    raw = _read_yaml(config_path, expect=dict, allow_empty=True) or {}
    settings = _validate(Settings, raw, config_path)

    config_dir = config_path.resolve().parent
    data_dir = config_dir
    if config_dir == packaged_config_dir().resolve():
        data_dir = Path.cwd() / "config"

    outlets_file = _resolve(config_dir, settings.outlets_file)
    topics_file = _resolve(config_dir, settings.topics_file) if settings.topics_file else None
    settings = settings.model_copy(
        update={
            "outlets_file": outlets_file,
            "topics_file": topics_file,
            "digest": settings.digest.model_copy(
                update={"archive_dir": _resolve(data_dir, settings.digest.archive_dir)}
            ),
        }
    )

    given = database or os.environ.get(DATABASE_ENV)
    if given:
        database_setting = DatabaseSetting(given, Path.cwd(), "--db / $NEWSALERT_DB")
    else:
        database_setting = DatabaseSetting(settings.database, data_dir, str(config_path))

    if broker := os.environ.get(BROKER_ENV, "").strip():
        queue = _validate(QueueSettings, {**settings.queue.model_dump(), "broker_url": broker}, Path(f"${BROKER_ENV}"))
        settings = settings.model_copy(update={"queue": queue})
    # The scheme as given: resolving a URL changes only a relative SQLite path.
    if settings.queue.broker_url and not database_setting.url.startswith("postgresql"):
        raise ConfigError(
            config_path,
            "a broker needs a PostgreSQL database, which every worker can reach; this one is SQLite "
            "(set database to postgresql+psycopg://..., or remove queue.broker_url to crawl on this machine)",
            field="queue.broker_url",
        )

    config = Config(path=config_path, settings=settings, database=database_setting)
    return config.validated() if eager else config


def load_outlets(path: Path, *, named_by: Path | None = None) -> tuple[Outlet, ...]:
    raw = _read_yaml(path, expect=list, named_by=named_by, field="outlets_file")
    outlets: list[Outlet] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        label = _outlet_label(index, entry)
        if not isinstance(entry, dict):
            raise ConfigError(path, f"expected a mapping of outlet fields, got {_kind(entry)}", entry=label)
        outlet = _validate(Outlet, entry, path, entry=label)
        key = outlet.name.casefold()
        if key in seen:
            raise ConfigError(
                path,
                f"duplicate outlet name {outlet.name!r} (also outlet #{seen[key] + 1}); names must be unique",
                entry=label,
                field="name",
            )
        seen[key] = index
        outlets.append(outlet)
    return tuple(outlets)


def load_topics(path: Path, *, named_by: Path | None = None) -> TopicsFile:
    raw = _read_yaml(path, expect=dict, named_by=named_by, field="topics_file")
    return _validate(TopicsFile, raw, path)


def resolve_database_url(url: str, base: Path, *, source: str) -> str:
    """Make a relative SQLite path absolute against `base`; other URLs pass unchanged."""
    from sqlalchemy.engine import make_url  # loaded here: the command line's --help needs none of it
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            source,
            f"not a database URL: {url!r} (expected e.g. "
            "sqlite:///data/newsalert.db or postgresql+psycopg://user@host/db)",
            field="database",
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    if not Path(database).is_absolute():
        parsed = parsed.set(database=str((base / database).resolve()))
    return parsed.render_as_string(hide_password=False)


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def _read_yaml(
    path: Path, *, expect: type, allow_empty: bool = False, named_by: Path | None = None, field: str | None = None
) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        origin = f" (named by {field} in {named_by})" if named_by else ""
        raise ConfigError(path, f"file not found{origin}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    try:
        data = yamlio.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(path, f"invalid YAML: {problem}", entry=where) from None
    if data is None and allow_empty:
        return None
    if not isinstance(data, expect):
        wanted = "a list of outlets" if expect is list else "a mapping of settings"
        raise ConfigError(path, f"expected {wanted} at the top level, got {_kind(data)}")
    return data


def _validate(model: type[M], data: Any, path: Path, *, entry: str | None = None) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = _unknown_field_message(model, loc)
        elif error["type"] == "missing":
            message = "required field is missing"
        if entry is None and len(loc) > 1:
            entry, loc = f"entry '{loc[0]}'", loc[1:]
        field = _field_path(loc) if loc else None
        if len(exc.errors()) > 1:
            message += f" (and {len(exc.errors()) - 1} more problem(s) in this file)"
        raise ConfigError(path, message, entry=entry, field=field) from None


def _unknown_field_message(model: type[BaseModel], loc: list[str]) -> str:
    allowed = _fields_at(model, loc[:-1])
    if not allowed:
        return "unknown field"
    close = difflib.get_close_matches(loc[-1], allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown field ({hint}allowed: {', '.join(sorted(allowed))})"


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    """The field names allowed at `loc` inside `model`, following nested models."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return [f.alias or name for name, f in current.model_fields.items()]


def _field_path(loc: list[str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


def _outlet_label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"outlet #{index + 1} ({name!r})" if isinstance(name, str) and name else f"outlet #{index + 1}"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
