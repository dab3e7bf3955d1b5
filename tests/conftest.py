"""Shared fixtures: database backends, local sites, an SMTP server, the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newsalert.crawler.demo.server import Route, SiteServer
from tests.helpers import POSTGRES_URL, REQUIRE_POSTGRES, Mailbox, backend_url, free_port, postgres_problem, run_cli


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"PostgreSQL is required here (NEWSALERT_REQUIRE_POSTGRES=1) but {POSTGRES_URL} "
                f"is not reachable: {problem}"
            )
        pytest.skip(f"no PostgreSQL reachable at {POSTGRES_URL} ({problem})")
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    yield from backend_url(request, tmp_path)


@pytest.fixture
def serve() -> Iterator[Callable[..., SiteServer]]:
    """`serve(routes)` starts a local site (path -> Route); every one is stopped after the test."""
    servers: list[SiteServer] = []

    def start(routes: Mapping[str, Route] | None = None) -> SiteServer:
        server = SiteServer(routes).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def cli_run() -> Any:
    return run_cli


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()
