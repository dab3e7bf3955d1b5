"""A small threaded HTTP server that serves fixed routes from 127.0.0.1.

It serves the bundled demo outlets (`newsalert demo`) and the sites the tests crawl,
so both exercise the real Scrapy engine over real HTTP without any network.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """One response: raw body bytes, status and headers, served as they are."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering, to play a slow site

    @classmethod
    def redirect(cls, location: str, status: int = 301) -> Route:
        return cls(status=status, content_type=None, headers={"Location": location})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (a crawl refusing an oversized page) is normal; anything
        else is logged, never printed to a stderr that may belong to someone else."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            log.warning("site server: %s while answering %s", error, client_address)


class SiteServer:
    """Serves `routes` (path, with its query string, to Route) on a background thread.

    Unknown paths get a 404. Every request path is appended to `requests` (and, with the time
    it arrived, to `times`), so a test can tell which pages a crawl fetched, how often and when.
    A route with an ETag or Last-Modified header answers a matching conditional GET with 304.
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[str] = []
        self.times: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request
        self.not_modified: list[str] = []  # the paths answered 304 to a conditional request
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), self._make_handler())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def hits(self, path: str) -> int:
        """How many times `path` (with its query string) was requested."""
        with self._lock:
            return self.requests.count(path)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _lookup(self, path: str) -> Route | None:
        route = self.routes.get(path)
        if route is None and "?" in path:
            route = self.routes.get(path.split("?", 1)[0])
        return route

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._respond(send_body=True)

            def do_HEAD(self) -> None:
                self._respond(send_body=False)

            def _respond(self, *, send_body: bool) -> None:
                with server._lock:
                    server.requests.append(self.path)
                    server.times.append((time.monotonic(), self.path))
                route = server._lookup(self.path) or Route(b"<h1>Not found</h1>", status=404)
                if route.delay:
                    time.sleep(route.delay)
                if route.status == 200 and self._not_modified(route):
                    with server._lock:
                        server.not_modified.append(self.path)
                    self.send_response(304)
                    for name in ("ETag", "Last-Modified"):
                        if name in route.headers:
                            self.send_header(name, route.headers[name])
                    self.end_headers()
                    return
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if send_body and route.body:
                    self.wfile.write(route.body)

            def _not_modified(self, route: Route) -> bool:
                """A conditional GET that the route's own validators answer (RFC 9110 13.2.2:
                If-None-Match, when sent, decides alone). Dates are compared as sent back."""
                etag, modified = route.headers.get("ETag"), route.headers.get("Last-Modified")
                if (asked := self.headers.get("If-None-Match")) is not None:
                    return etag is not None and etag in (tag.strip() for tag in asked.split(","))
                asked = self.headers.get("If-Modified-Since")
                return asked is not None and modified is not None and asked == modified

            def log_message(self, format: str, *args: object) -> None:
                pass  # the crawl's own log says what was fetched

        return Handler
