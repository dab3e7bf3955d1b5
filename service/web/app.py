"""`newsalert web`: the archive and the subscriptions in a browser, over the Python API.

Pages: archive search with facets (/), a story with every outlet that carried it
(/story/ID), outlet health (/outlets), subscribe (/subscribe, confirmed by an emailed link),
manage one's alerts (/manage/TOKEN), unsubscribe (/unsubscribe/TOKEN, RFC 8058 one-click POST),
each alert's Atom feed (/feeds/KEY.atom) and a JSON API (/api/...) with the CLI's fields.

Everything shown was written by strangers: templates escape it all, links to other sites go
through safe_url, and no page runs a script. Every form that changes something carries a CSRF
token (the signed value of a per-browser cookie); the one exception is the one-click
unsubscribe POST of a mail client, which its signed link authorizes.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, Signer
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from newsalert.config import ConfigError
from newsalert.digest.links import BadToken, Links, require_secret
from newsalert.digest.mail import DeliveryError, send_notice
from newsalert.digest.render import oneline, safe_url
from newsalert.digest.selection import highlighted, snippet
from newsalert.domain import DigestStatus
from newsalert.service import formats
from newsalert.service.api import Archive, UsageError
from newsalert.storage.subscriptions import FILTERS, PENDING

log = logging.getLogger(__name__)

CSRF_COOKIE = "newsalert_csrf"
PAGE_SIZE = 20
MAX_PAGE = 200
MAX_QUERY_CHARS = 500
MAX_VALUES = 20  # values of one filter in a request
NOTICE_INTERVAL = 600  # seconds between two messages the subscribe form sends one address
FORM_LIMITS = {"max_files": 0, "max_fields": 60, "max_part_size": 64 * 1024}
SNIPPET_CHARS = 280
STALE_FORM = "This form has expired or did not come from this site: reload the page and try again."
# Query parameter -> the search filter it sets (repeatable parameters)
FILTER_PARAMS = {"outlet": "outlets", "lang": "languages", "country": "countries", "region": "regions", "tag": "tags"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the signed links never leave in a Referer
    "X-Frame-Options": "DENY",
}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def create_app(archive: Archive, *, base_url: str | None = None) -> Starlette:
    """The web app over `archive`. `base_url`: the address the emails' links point to, when
    web.base_url is unset (the address the server listens on). ConfigError without the
    link-signing secret."""
    settings = archive.config.settings
    archive.signer  # noqa: B018 - refuse to start without the secret, not at the first subscriber
    links = Links.from_settings(settings.web, base_url)
    if links is None:
        raise ConfigError("web.base_url", "unset, and no address to serve at was given")
    web = _Web(archive, links, Signer(require_secret(settings.web), salt="newsalert/csrf"))
    routes = [
        Route("/", web.search_page),
        Route("/story/{article_id:int}", web.story_page),
        Route("/outlets", web.outlets_page),
        Route("/subscribe", web.subscribe_page, methods=["GET", "POST"]),
        Route("/confirm/{token}", web.confirm_page),
        Route("/manage/{token}", web.manage_page),
        Route("/manage/{token}/alerts", web.add_alert, methods=["POST"]),
        Route("/manage/{token}/alerts/{alert_id:int}/delete", web.delete_alert, methods=["POST"]),
        Route("/unsubscribe/{token}", web.unsubscribe_page, methods=["GET", "POST"]),
        Route("/feeds/{key}.atom", web.feed),
        Route("/api/search", web.api_search),
        Route("/api/facets", web.api_facets),
        Route("/api/articles/{article_id:int}", web.api_article),
        Route("/api/outlets", web.api_outlets),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ]
    secure = links.base.startswith("https://")
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, secure=secure)],
        exception_handlers={HTTPException: web.error_page, UsageError: web.usage_error},
    )
    app.state.web = web
    return app


class _Guard(BaseHTTPMiddleware):
    """A CSRF cookie for every browser, and the security headers on every response."""

    def __init__(self, app: Any, *, secure: bool) -> None:
        super().__init__(app)
        self.secure = secure

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        fresh = not re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie)
        request.state.csrf_cookie = secrets.token_urlsafe(32) if fresh else cookie
        response = await call_next(request)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE, request.state.csrf_cookie, httponly=True, samesite="strict", secure=self.secure
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("newsalert.service.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_printable,  # every value a page shows, before it is escaped
    )
    env.filters["safe_url"] = safe_url
    env.filters["oneline"] = oneline
    env.filters["day"] = lambda value: (value or "")[:10]
    env.filters["when"] = lambda value: (value or "")[:16].replace("T", " ")
    return Jinja2Templates(env=env)


def _printable(value: Any) -> Any:
    """No control characters from a stranger's text reach a page (a terminal escape, a NUL)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return CONTROL.sub(" ", value)
    return value


class _Web:
    def __init__(self, archive: Archive, links: Links, csrf: Signer) -> None:
        self.archive = archive
        self.links = links
        self.csrf = csrf
        self.templates = _templates()
        self.title = oneline(archive.config.settings.digest.title)
        self._notices: dict[str, float] = {}  # address -> when the form last mailed it
        self._notices_lock = threading.Lock()

    # --- plumbing ---------------------------------------------------------------------------

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        token = self.csrf.sign(request.state.csrf_cookie).decode()
        context = {"title": self.title, "csrf": token, "request": request, **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """An API call (blocking, on the database) off the event loop."""
        return await run_in_threadpool(functools.partial(function, *args, **kwargs))

    async def form(self, request: Request, *, csrf: bool = True) -> FormData:
        """The posted form; 403 when its CSRF token is not this browser's."""
        form = await request.form(**FORM_LIMITS)
        if csrf and not self._csrf_ok(request, str(form.get("csrf", ""))):
            raise HTTPException(403, STALE_FORM)
        return form

    def _csrf_ok(self, request: Request, token: str) -> bool:
        try:
            return self.csrf.unsign(token).decode() == request.cookies.get(CSRF_COOKIE)
        except BadSignature:
            return False

    async def error_page(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return self.render(request, "error.html", exc.status_code, message=exc.detail)

    async def usage_error(self, request: Request, exc: Exception) -> Response:
        return await self.error_page(request, HTTPException(400, str(exc)))

    # --- the archive ------------------------------------------------------------------------

    async def search_page(self, request: Request) -> Response:
        wanted = _search_params(request.query_params)
        page = _int(request.query_params.get("page"), 1, 1, MAX_PAGE)
        try:
            found = await self.call(
                self.archive.search, **wanted, collapse=True, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
            facets = await self.call(self.archive.facets, **wanted)
        except UsageError as exc:
            return self.render(request, "search.html", 400, **(_search_context(request, wanted) | {"error": str(exc)}))
        words = [" ".join(term) for term in found.terms]
        results = [
            {
                **data,
                "snippet": highlighted(snippet(article.description or article.text, SNIPPET_CHARS), words),
                "when": data["published_at"] or data["fetched_at"],
            }
            for article, data in zip(found.articles, found.json(), strict=True)
        ]
        more = found.more or (page * PAGE_SIZE < found.matches) or len(found.articles) == PAGE_SIZE
        context = _search_context(request, wanted) | {
            "results": results,
            "facets": facets,
            "summary": found.summary().split(";")[0].rstrip(".") + ".",
            "page": page,
            "next_url": _with(request.query_params, page=str(page + 1)) if more else None,
            "previous_url": _with(request.query_params, page=str(page - 1)) if page > 1 else None,
        }
        return self.render(request, "search.html", **context)

    async def story_page(self, request: Request) -> Response:
        article = await self._article(request.path_params["article_id"])
        carried = [{"outlet": article["outlet"], "url": article["url"], "title": article["title"],
                    "published_at": article["published_at"], "id": article["id"]}, *article["copies"]]  # fmt: skip
        outlets: dict[str, list[dict[str, Any]]] = {}
        for copy in carried:
            outlets.setdefault(copy["outlet"], []).append(copy)
        paragraphs = [p.strip() for p in (article["text"] or "").split("\n") if p.strip()]
        return self.render(request, "story.html", article=article, outlets=outlets, paragraphs=paragraphs)

    async def _article(self, article_id: int) -> dict[str, Any]:
        try:
            return dict(await self.call(self.archive.show, article_id))
        except LookupError:
            raise HTTPException(404, f"There is no article {article_id} in the archive.") from None

    async def outlets_page(self, request: Request) -> Response:
        stats = await self.call(self.archive.stats, "30d")
        return self.render(request, "outlets.html", stats=stats)

    # --- subscriptions ----------------------------------------------------------------------

    async def subscribe_page(self, request: Request) -> Response:
        if request.method == "GET":
            wanted = _search_params(request.query_params)
            return self.render(request, "subscribe.html", values=_alert_values(wanted), error=None)
        form = await self.form(request)
        values = _form_values(form)
        try:
            done = await self.call(
                self.archive.subscribe, values["email"], values["query"], alert=values["name"], pending=True,
                **values["filters"],
            )  # fmt: skip
        except UsageError as exc:
            return self.render(request, "subscribe.html", 400, values=_alert_values(values), error=str(exc))
        try:
            await self.call(self._mail_link, done)
        except DeliveryError as exc:
            log.error("could not mail %s: %s", done.email, exc)
            raise HTTPException(
                503, "We could not send the confirmation email just now: please try again later."
            ) from None
        return self.render(request, "check_inbox.html", email=done.email)

    def _mail_link(self, done: Any) -> None:
        """The confirmation link to a new (pending) subscriber; to an active one, who may not be
        the person who filled in the form, their manage link only. An address gets at most one
        such message per NOTICE_INTERVAL: the form cannot be used to flood someone's inbox."""
        now = time.monotonic()
        with self._notices_lock:
            for address, when in list(self._notices.items()):
                if now - when > NOTICE_INTERVAL:
                    del self._notices[address]
            if done.email in self._notices:
                log.info("not mailing %s again so soon", done.email)
                return
            self._notices[done.email] = now
        smtp = self.archive.config.settings.smtp
        if done.status == PENDING:
            subject = f"{self.title}: please confirm your subscription"
            text = (
                f"Someone (we hope you) asked to receive the {self.title} at {done.email}, with the alert "
                f'"{done.alert}".\n\nTo confirm, open this link within 7 days:\n'
                f"{self.links.confirm(done.id, done.email)}\n\n"
                "If it was not you, ignore this message: nothing will be sent to you.\n"
            )
        else:
            subject = f"{self.title}: your subscription"
            text = (
                f"Someone (we hope you) asked to subscribe {done.email} to the {self.title}. You are already "
                f"subscribed; to add or change your alerts, open:\n{self.links.manage(done.id, done.email)}\n\n"
                "If it was not you, ignore this message: nothing has changed.\n"
            )
        try:
            outcome = send_notice(smtp, recipient=done.email, subject=subject, text=text)
            if outcome.status != DigestStatus.SENT:
                raise DeliveryError(f"{done.email}: {outcome.error}")
        except DeliveryError:
            with self._notices_lock:
                self._notices.pop(done.email, None)  # not sent: the next try may send it
            raise

    async def confirm_page(self, request: Request) -> Response:
        subscriber_id, email = await self._by_token(self.archive.confirm, request.path_params["token"])
        return self.render(request, "confirmed.html", email=email, manage_url=self.links.manage(subscriber_id, email))

    async def _by_token(self, function: Callable[[str], Any], token: str) -> Any:
        try:
            return await self.call(function, token)
        except BadToken:
            raise HTTPException(400, "This link is not valid: it may have been cut short, or it has expired.") from None

    async def manage_page(self, request: Request, *, error: str | None = None, status: int = 200) -> Response:
        token = request.path_params["token"]
        holder = await self._by_token(functools.partial(self.archive.holder, "manage", links=self.links), token)
        return self.render(
            request,
            "manage.html",
            status,
            holder=holder,
            token=token,
            unsubscribe_url=self.links.unsubscribe(holder["id"], holder["email"]),
            values=_alert_values({}),
            error=error,
        )

    async def add_alert(self, request: Request) -> Response:
        token = request.path_params["token"]
        values = _form_values(await self.form(request))
        try:
            await self._by_token(
                functools.partial(
                    self.archive.add_alert, query=values["query"], alert=values["name"], **values["filters"]
                ),
                token,
            )
        except UsageError as exc:
            return await self.manage_page(request, error=str(exc), status=400)
        return RedirectResponse(f"/manage/{token}", status_code=303)

    async def delete_alert(self, request: Request) -> Response:
        token = request.path_params["token"]
        await self.form(request)
        try:
            remove = functools.partial(self.archive.remove_alert, alert_id=request.path_params["alert_id"])
            await self._by_token(remove, token)
        except UsageError as exc:
            return await self.manage_page(request, error=str(exc), status=400)
        except LookupError:
            raise HTTPException(404, "There is no such alert.") from None
        return RedirectResponse(f"/manage/{token}", status_code=303)

    async def unsubscribe_page(self, request: Request) -> Response:
        """GET: a page that asks (mail scanners follow links; they must not unsubscribe anyone).
        POST: the form's button, or a mail client's RFC 8058 one-click request."""
        token = request.path_params["token"]
        if request.method == "GET":
            holder = await self._by_token(functools.partial(self.archive.holder, "unsubscribe"), token)
            return self.render(request, "unsubscribe.html", email=holder["email"], token=token, done=False)
        form = await self.form(request, csrf=False)
        one_click = form.get("List-Unsubscribe") == "One-Click"
        if not one_click and not self._csrf_ok(request, str(form.get("csrf", ""))):
            raise HTTPException(403, STALE_FORM)
        email = await self._by_token(self.archive.unsubscribe, token)
        log.info("unsubscribed %s%s", email, " (one-click)" if one_click else "")
        return self.render(request, "unsubscribe.html", email=email, token=token, done=True)

    async def feed(self, request: Request) -> Response:
        try:
            about, found = await self.call(self.archive.feed, request.path_params["key"])
        except LookupError:
            raise HTTPException(404, "There is no such feed.") from None
        return Response(
            _atom(self.title, about, found, str(request.url), self.links.base),
            media_type="application/atom+xml; charset=utf-8",
        )

    # --- JSON API ---------------------------------------------------------------------------

    async def api_search(self, request: Request) -> Response:
        params = request.query_params
        wanted = _search_params(params)
        limit = _int(params.get("limit"), PAGE_SIZE, 1, 500)
        offset = _int(params.get("offset"), 0, 0, 100_000)
        collapse = params.get("collapse") in ("1", "true", "yes")
        sort = params.get("sort", "relevance")
        if sort not in ("relevance", "date"):
            raise HTTPException(400, "sort: relevance or date")
        found = await self.call(self.archive.search, **wanted, limit=limit, offset=offset, collapse=collapse, sort=sort)
        headers = {"X-Matches": str(found.matches) + ("+" if found.more else "")}
        return JSONResponse(found.json(), headers=headers)

    async def api_facets(self, request: Request) -> Response:
        facets = await self.call(self.archive.facets, **_search_params(request.query_params))
        return JSONResponse(
            {
                kind: [{"value": value, "label": label, "articles": n} for value, label, n in getattr(facets, kind)]
                for kind in ("countries", "themes", "outlets", "days")
            }
        )

    async def api_article(self, request: Request) -> Response:
        return JSONResponse(formats.show_json(await self._article(request.path_params["article_id"])))

    async def api_outlets(self, request: Request) -> Response:
        stats = await self.call(self.archive.stats, "30d")
        return JSONResponse(stats["outlets_health"])


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value else default
    except ValueError:
        return default


def _clean(value: str, limit: int = MAX_QUERY_CHARS) -> str:
    return " ".join(CONTROL.sub(" ", value).split())[:limit]


def _search_params(params: QueryParams) -> dict[str, Any]:
    """The search a page's address asks for, as Archive.search's arguments."""
    wanted: dict[str, Any] = {"query": _clean(params.get("q", "")) or None}
    for name in ("since", "until"):
        wanted[name] = _clean(params.get(name, ""), 40) or None
    for param, name in FILTER_PARAMS.items():
        values = [_clean(v, 100) for v in params.getlist(param)[:MAX_VALUES]]
        wanted[name] = [v for v in values if v]
    return wanted


def _search_context(request: Request, wanted: dict[str, Any]) -> dict[str, Any]:
    params = request.query_params
    active = [
        (param, value, _without(params, param, value))
        for param in FILTER_PARAMS
        for value in wanted[FILTER_PARAMS[param]]
    ]
    active += [
        (name, wanted[name], _without(params, name, wanted[name])) for name in ("since", "until") if wanted[name]
    ]
    return {
        "query": wanted["query"] or "",
        "active": active,
        "facet_url": lambda param, value: _with_added(params, param, value),
        "day_url": lambda day: _with(params, since=day, until=_next_day(day)),
        "subscribe_url": "/subscribe?" + urlencode([(k, v) for k, v in params.multi_items() if k not in ("page",)]),
        "error": None,
        "results": [],
        "facets": None,
        "summary": "",
        "page": 1,
        "next_url": None,
        "previous_url": None,
    }


def _next_day(day: str) -> str:
    from datetime import timedelta

    try:
        return (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    except ValueError:
        return day


def _with(params: QueryParams, **changes: str) -> str:
    items = [(k, v) for k, v in params.multi_items() if k not in changes] + list(changes.items())
    return "/?" + urlencode(items)


def _with_added(params: QueryParams, param: str, value: str) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page" and (k, v) != (param, value)]
    return "/?" + urlencode([*items, (param, value)])


def _without(params: QueryParams, param: str, value: str) -> str:
    return "/?" + urlencode([(k, v) for k, v in params.multi_items() if k != "page" and (k, v) != (param, value)])


def _alert_values(wanted: dict[str, Any]) -> dict[str, Any]:
    """A subscribe or add-alert form's fields, filled in from a search or a refused form."""
    filters = wanted.get("filters") or {name: wanted.get(name) or [] for name in FILTERS}
    return {
        "email": wanted.get("email", ""),
        "name": wanted.get("name") or "",
        "query": wanted.get("query") or "",
        **{name: ", ".join(filters.get(name) or []) for name in FILTERS},
    }


def _form_values(form: FormData) -> dict[str, Any]:
    """An alert form's fields: comma- or space-separated codes for each filter."""

    def codes(name: str) -> list[str]:
        text = _clean(str(form.get(name, "")), 1000)
        return [code for code in re.split(r"[,\s]+", text) if code][:MAX_VALUES]

    filters = {name: codes(name) for name in FILTERS if name != "outlets"}
    filters["outlets"] = [o.strip() for o in _clean(str(form.get("outlets", "")), 1000).split(",") if o.strip()]
    return {
        "email": _clean(str(form.get("email", "")), 320),
        "name": _clean(str(form.get("name", "")), 100) or None,
        "query": _clean(str(form.get("query", ""))) or None,
        "filters": filters,
    }


def _xml(text: str | None) -> str:
    """Scraped text as XML 1.0 allows it: no control characters, on one line."""
    return oneline(CONTROL.sub(" ", text or ""))


def _atom(title: str, about: dict[str, Any], found: Any, self_url: str, base: str) -> bytes:
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(f"{base}/feeds/alert-{about['id']}")
    feed.title(_xml(f"{title}: {about['name']}"))
    feed.subtitle(_xml(about["about"]))
    feed.link(href=self_url, rel="self")
    feed.link(href=base + "/", rel="alternate")
    newest = max((a.fetched_at for a in found.articles), default=about["created_at"])
    feed.updated(newest if newest.tzinfo else newest.replace(tzinfo=UTC))
    for article in reversed(found.articles):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(f"{base}/story/{article.id}")
        entry.title(_xml(article.title) or "(untitled)")
        entry.link(href=safe_url(article.url) if safe_url(article.url) != "#" else f"{base}/story/{article.id}")
        entry.author({"name": _xml(article.outlet.name)})
        entry.summary(_xml(snippet(article.description or article.text, SNIPPET_CHARS)))
        fetched = article.fetched_at if article.fetched_at.tzinfo else article.fetched_at.replace(tzinfo=UTC)
        entry.updated(fetched)
        if article.published_at:
            published = article.published_at
            entry.published(published if published.tzinfo else published.replace(tzinfo=UTC))
        for link in article.tags:
            entry.category(term=_xml(link.tag.code), label=_xml(link.tag.label))
    return bytes(feed.atom_str(pretty=True))


def serve(archive: Archive, *, host: str | None = None, port: int | None = None) -> None:
    """Run the web app with uvicorn until Ctrl-C or SIGTERM."""
    import uvicorn

    settings = archive.config.settings.web
    host = host or settings.host
    port = port or settings.port
    shown = f"[{host}]" if ":" in host else host
    app = create_app(archive, base_url=f"http://{shown}:{port}")
    base = app.state.web.links.base
    print(f"Serving the archive on http://{shown}:{port}/ (links in emails: {base}/). Ctrl-C stops.", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
