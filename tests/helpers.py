"""Helpers the tests share: configuration files, the CLI, databases, a mailbox."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from newsalert.config import Config, load_config
from newsalert.crawler.demo.server import SiteServer
from newsalert.domain import Extracted
from newsalert.service.cli import cli

BACKENDS = ["sqlite", "postgres"]  # the parameters of every fixture that gives a database
POSTGRES_URL = os.environ.get("NEWSALERT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("NEWSALERT_REQUIRE_POSTGRES") == "1"
# Local sites answer at once; Scrapy's AutoThrottle would otherwise start at one second a page.
# Small crawls parse in a thread: worker processes cost two seconds to start, and the tests that
# hold them to account (the main crawl of test_crawl.py, test_hostile.py) ask for them.
FAST_CRAWL = {"scrapy_settings": {"AUTOTHROTTLE_START_DELAY": 0.0}, "extract_workers": 0}
Serve = Callable[..., SiteServer]  # the `serve` fixture: serve(routes) -> a started SiteServer
TOPICS_FILE = Path(__file__).parents[1] / "config" / "topics.yaml"


def postgres_problem() -> str | None:
    """Why the test PostgreSQL cannot be used, or None when it can."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        return str(exc.orig).splitlines()[0]
    finally:
        engine.dispose()


def postgres_schema(server: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def backend_url(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A fresh database on the backend named by the fixture's parameter."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / 'archive.db'}"
    else:
        yield from postgres_schema(request.getfixturevalue("postgres_server"))


def write_config(
    directory: Path, outlets: list[dict[str, Any]], *, database: str, topics: bool = False, **crawl: Any
) -> Path:
    """Write newsalert.yaml and outlets.yaml into `directory`; returns the settings file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outlets.yaml").write_text(yaml.safe_dump(outlets, allow_unicode=True), encoding="utf-8")
    settings: dict[str, Any] = {
        "database": database,
        "outlets_file": "outlets.yaml",
        "topics_file": str(TOPICS_FILE) if topics else None,
        "crawl": {**FAST_CRAWL, **crawl},
    }
    path = directory / "newsalert.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def make_config(directory: Path, outlets: list[dict[str, Any]], *, database: str, **crawl: Any) -> Config:
    return load_config(write_config(directory, outlets, database=database, **crawl))


def make_extracted(title: str, text: str, **fields: Any) -> Extracted:
    """An extracted article: the fields not given are None, its hash is that of `text`."""
    from newsalert.pipelines.extract import content_hash  # here: trafilatura only where used

    unset = ("author", "published_at", "description", "site_name", "language", "declared_canonical")
    return Extracted(title=title, text=text, **{**dict.fromkeys(unset), "content_hash": content_hash(text), **fields})


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)


REFUSED = "gone@example.org"


@dataclass
class Mailbox:
    """An SMTP server that keeps what it receives and refuses one recipient for good."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_sites(*servers: SiteServer) -> None:
    """Stop local sites, together and at once. A server's loop notices that it is asked to stop
    only when its poll ends, every half second, or when a connection comes in: one does."""
    stopping = [threading.Thread(target=server.stop, name="stop-site") for server in servers]
    for thread in stopping:
        thread.start()
    for server, thread in zip(servers, stopping, strict=True):
        address = urlsplit(server.base_url)
        while thread.is_alive():
            with contextlib.suppress(OSError):  # refused once the server is closed
                socket.create_connection((address.hostname, address.port), timeout=1).close()
            thread.join(0.01)
