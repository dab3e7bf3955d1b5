"""Engine and session set-up, and bringing the schema up to date with Alembic.

Alembic is loaded only when the schema is behind: every command opens the database, and a
query should not pay a tenth of a second to learn that nothing needs migrating.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.dialects import postgresql, sqlite

# The newest revision in migrations/versions; test_storage checks it against Alembic's head.
HEAD_REVISION = "0014"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # a second writer waits this long for the lock instead of failing


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says which and why. `bad_url`
    says the address itself is wrong (an unknown kind, a missing driver, a path that cannot
    be a file), as opposed to a database that does not answer."""

    def __init__(self, message: str, *, bad_url: bool = False) -> None:
        super().__init__(message)
        self.bad_url = bad_url


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the crawl's writes
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster than FULL
    cursor.close()


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    # Imported here: a query on SQLite never loads the PostgreSQL dialect (40 ms of a search).
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# Full-text search objects are created by raw SQL in the revisions, not by the models.
FULLTEXT_OBJECTS = {"search_vector", "ix_articles_search_vector"}


def managed_by_models(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object: leave the full-text index objects out of model comparisons."""
    return not (name in FULLTEXT_OBJECTS or (type_ == "table" and name is not None and name.startswith("articles_fts")))


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(resources.files("newsalert.storage") / "migrations"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema's revision as Alembic recorded it; None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return revision


def head_revision() -> str | None:
    """The newest revision, as Alembic reads it from migrations/versions."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine) -> bool:
    """Upgrade the schema to the head revision; True when anything was applied. Processes that
    start together on one PostgreSQL archive (workers on several machines) migrate one at a
    time: the others wait, then find the schema current."""
    if current_revision(engine) == HEAD_REVISION:
        return False
    from alembic import command

    with _migration_lock(engine):
        if current_revision(engine) == HEAD_REVISION:
            return False
        command.upgrade(alembic_config(engine), "head")
    return True


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """PostgreSQL: a session-level advisory lock for this archive (its URL: one per schema)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    url = engine.url.render_as_string(hide_password=True).encode()
    key = int.from_bytes(hashlib.blake2b(b"newsalert-migrate:" + url, digest_size=8).digest(), "big", signed=True)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """Connect, migrate when needed, and return the engine and a session factory."""
    try:
        shown = make_url(url).render_as_string()  # the password hidden
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r} ({EXAMPLES})", bad_url=True) from None
    try:
        engine = make_engine(url)
    except NoSuchModuleError:
        raise DatabaseError(f"unknown kind of database in {shown} ({EXAMPLES})", bad_url=True) from None
    except ImportError as exc:
        raise DatabaseError(f"the driver for {shown} is not installed ({exc}); {EXAMPLES}", bad_url=True) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise DatabaseError(
            f"cannot create the folder of {shown}: {where}{exc.strerror or exc}", bad_url=True
        ) from None
    try:
        migrate(engine)
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(
            f"cannot open the database {shown}: {_first_line(exc)}", bad_url=_is_path_problem(exc)
        ) from exc
    return engine, session_factory(engine)


EXAMPLES = "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname"


def _is_path_problem(exc: BaseException) -> bool:
    """SQLite cannot open the file: a path that is no place for a database."""
    message = str(getattr(exc, "orig", None) or exc).lower()
    return "unable to open database file" in message


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def backup_sqlite(url: str, target: Path) -> int:
    """A consistent copy of the SQLite archive at `url` into the new file `target`, through
    SQLite's online backup API: it reads what is committed, the write-ahead log included, while
    crawls go on writing. The copy is written beside `target` and renamed into place when
    complete, so a failed backup leaves no half file. Returns the copy's size in bytes."""
    import sqlite3

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise DatabaseError("backup copies a SQLite archive file; for PostgreSQL use pg_dump", bad_url=True)
    source_path = Path(parsed.database)
    if not source_path.is_file():
        raise DatabaseError(f"no archive at {source_path}")
    if target.exists():
        raise DatabaseError(f"{target} exists: give the backup a new path", bad_url=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        partial.replace(target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"cannot back up {source_path} to {target}: {_first_line(exc)}") from None
    return target.stat().st_size
