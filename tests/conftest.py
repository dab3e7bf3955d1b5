"""Shared fixtures: database backends, local sites, an SMTP server, the CLI; and how the
tests are shared out between xdist workers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newsalert.crawler.demo.server import Route, SiteServer
from tests.helpers import (
    BACKENDS,
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    Mailbox,
    backend_url,
    free_port,
    postgres_problem,
    run_cli,
    stop_sites,
)


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


@pytest.fixture(params=BACKENDS)
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
    stop_sites(*servers)


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


# --- sharing the tests out between workers (pytest -n, with --dist loadgroup) -----------------


def pytest_configure(config: pytest.Config) -> None:
    """The analysis' compiled tables (pipelines/compiled.py) are cached in a folder of the
    test run's, shared by the xdist workers and the processes they start, never in the user's
    own cache. Keyed by content, so a folder left by an earlier run is never stale."""
    folder = Path(tempfile.gettempdir()) / f"newsalert-tests-compiled-{os.getuid()}"
    os.environ.setdefault("NEWSALERT_CACHE_DIR", str(folder))


@pytest.hookimpl(trylast=True)  # after pytest's own ordering and xdist's reading of the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist's loadgroup, the tests that share a module-scoped fixture (a crawl, an
    archive, the corpus's extractions) form one group, which runs on one worker: the fixture is
    built once, not once per worker. And the slow tests are queued first, so that no worker is
    left with one at the end while the other has nothing to do."""
    if not getattr(config.option, "loadgroup", False):  # set on the workers of --dist loadgroup
        return  # one process: pytest's own order already builds each fixture once
    groups = _shared_setups(items)
    for item in items:
        if item.get_closest_marker("xdist_group") is None and item in groups:
            item.add_marker(pytest.mark.xdist_group(groups[item]))
        _name_group(item)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _shared_setups(items: list[pytest.Item]) -> dict[pytest.Item, str]:
    """A group name for each test that uses a module-scoped fixture: tests that share one (an
    instance: the fixture with its parameter), directly or through other tests, share a name."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    used: dict[pytest.Item, list[str]] = {}
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        params = getattr(getattr(item, "callspec", None), "params", {})
        keys = [
            # No "]" in a group name: xdist would not see the group.
            f"{item.path.name}:{name}" + (f"={params[name]}" if name in params else "")
            for name in (info.names_closure if info else ())
            if (definitions := info.name2fixturedefs.get(name)) and definitions[-1].scope == "module"
        ]
        for key in keys:
            parent.setdefault(key, key)
            parent[root(key)] = root(keys[0])
        if keys:
            used[item] = keys[0]
    return {item: root(key) for item, key in used.items()}


def _name_group(item: pytest.Item) -> None:
    """Give `item` the "@group" suffix by which xdist's scheduler reads its group, as xdist
    does; xdist 3.8 fails to under pytest 9.2, whose node ids are structured
    (pytest-dev/pytest-xdist#1386), so that every group would be silently scattered."""
    names = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    suffix = "@" + "_".join(names)
    if not names or item.nodeid.endswith(suffix):
        return
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(item.nodeid + suffix)
    else:
        item._nodeid = item.nodeid + suffix
