"""`newsalert web` on the demo archive: pages, forms, signed links, feeds, the JSON API, and
the acceptance paths in Debian's Chromium through Playwright against a real uvicorn server.
Emails go to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import feedparser
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from newsalert.pipelines.extract import content_hash
from newsalert.service.api import Archive
from newsalert.service.web.app import create_app
from newsalert.storage import articles as article_store
from newsalert.storage.models import OutletRow
from tests.helpers import Mailbox, free_port, run_cli

# One demo archive (a crawl) for the module, on one worker, queued first (slow).
pytestmark = [pytest.mark.xdist_group("web"), pytest.mark.slow]
SECRET = "web-test-secret-0123456789abcdef"
HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> South-South port deal'


@dataclass
class Site:
    config: str
    base: str  # where the uvicorn server listens
    mailbox: Mailbox
    archive: Archive
    client: TestClient
    hostile_id: int

    def mails_to(self, address: str) -> list[Message]:
        return [m for m in self.mailbox.messages if m["To"] == address]

    def link_in_last_mail(self, address: str, kind: str) -> str:
        body = self.mails_to(address)[-1].get_content()
        match = re.search(rf"{re.escape(self.base)}/{kind}/\S+", body)
        assert match, body
        return match.group(0)

    def subscriber(self, address: str) -> dict[str, Any] | None:
        return next((s for s in self.archive.subscribers() if s["email"] == address), None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo archive, its config pointed at a local SMTP server and at a uvicorn server
    running the web app in a thread."""
    folder = tmp_path_factory.mktemp("web")
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("NEWSALERT_CONFIG", raising=False)
        patch.delenv("NEWSALERT_DB", raising=False)
        patch.setenv("NEWSALERT_SECRET", SECRET)
        result = run_cli("demo")
        assert result.exit_code == 0, result.output
        config = folder / "data" / "demo" / "newsalert.yaml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f"smtp: {{host: 127.0.0.1, port: {smtp.port}, security: none, timeout: 5, "
            "from: 'News Alert <alerts@news.example>'}\n" + f"web: {{base_url: '{base}'}}\n",
            encoding="utf-8",
        )
        archive = Archive.open(str(config))
        hostile_id = _add_hostile_article(archive)
        app = create_app(archive)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        with TestClient(app, base_url=base) as client:
            _wait_until_started(server, thread)
            yield Site(str(config), base, mailbox, archive, client, hostile_id)
        server.should_exit = True
        thread.join(timeout=10)
        archive.close()
    smtp.stop()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    import time

    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)


def _add_hostile_article(archive: Archive) -> int:
    """A stored article whose title is markup and whose address is a script."""
    text = "South-South cooperation port deal. " * 20 + "\x1b[31m\x00 control characters"
    with archive.sessions.begin() as session:
        outlet = session.query(OutletRow).first()
        assert outlet is not None
        article_id = article_store.insert_article(
            session,
            {
                "outlet_id": outlet.id,
                "canonical_url": "javascript:alert(1)",
                "url": "javascript:alert(1)",
                "title": HOSTILE_TITLE,
                "text": text,
                "content_hash": content_hash(text),
                "fetched_at": datetime.now(UTC),
                "published_at": datetime.now(UTC),
                "language": "en",
                "relevance": 9.0,
                "matched_terms": ["South-South cooperation"],
            },
        )
        article_store.set_cluster(session, article_id, article_store.new_cluster(session))
    return article_id


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/story/\d+">([^<]+)</a></h2>', page)


# --- reading the archive ----------------------------------------------------------------------


def test_search_with_filters_and_facets(site: Site) -> None:
    everything = site.client.get("/")
    assert everything.status_code == 200
    stories = [a["title"] for a in site.archive.search(collapse=True, limit=20).json()]
    assert len(stories) >= 14 and [html.unescape(t) for t in titles(everything.text)] == stories
    assert re.search(r"Showing stories 1-\d+ ", everything.text)
    kenya = site.client.get("/", params={"q": "cooperation", "country": "KE"})
    shown = titles(kenya.text)
    assert shown and len(shown) < len(titles(site.client.get("/", params={"q": "cooperation"}).text))
    assert 'href="/?q=cooperation"' in kenya.text, "the active filter can be removed"
    # facets count every match and link to a narrower search
    facets = site.client.get("/api/facets", params={"q": "cooperation"}).json()
    china = next(f for f in facets["countries"] if f["value"] == "CN")
    assert china["articles"] >= 2 and facets["outlets"] and facets["days"] and facets["themes"]
    assert 'href="/?q=cooperation&amp;country=CN"' in site.client.get("/", params={"q": "cooperation"}).text
    china_stories = titles(site.client.get("/?country=CN").text)
    spanish = titles(site.client.get("/", params=[("country", "CN"), ("lang", "es")]).text)
    assert spanish and len(spanish) < len(china_stories) and set(spanish) <= set(china_stories)


def test_search_mistakes_are_said_plainly(site: Site) -> None:
    wrong = site.client.get("/", params={"country": "Kenya"})
    assert wrong.status_code == 400 and "did you mean KE" in html.unescape(wrong.text)
    assert site.client.get("/", params={"q": '"unbalanced'}).status_code == 400
    assert site.client.get("/api/search", params={"tag": "renewable"}).json()["error"].startswith("--tag")
    assert site.client.get("/", params={"page": "not a number"}).status_code == 200


def test_scraped_text_is_escaped_everywhere(site: Site) -> None:
    for path in ("/?q=port+deal", f"/story/{site.hostile_id}"):
        page = site.client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
        assert 'href="javascript:' not in page
        assert "\x1b" not in page and "\x00" not in page
    headers = site.client.get("/").headers
    assert (
        "script-src" not in headers["content-security-policy"]
        and "default-src 'none'" in headers["content-security-policy"]
    )
    assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"


def test_story_page_lists_every_outlet_that_carried_it(site: Site) -> None:
    story = next(a for a in site.archive.search(collapse=True, limit=50).json() if a["cluster_size"] > 1)
    page = site.client.get(f"/story/{story['id']}").text
    carried = re.findall(r'<strong class="outlet-name">([^<]+)</strong>', page)
    assert f"Carried by {len(carried)} outlets" in page and len(carried) >= 2
    assert story["outlet"] in carried
    assert site.client.get("/story/999999").status_code == 404


def test_outlet_health_page(site: Site) -> None:
    page = site.client.get("/outlets").text
    for outlet in ("Lagos Ledger", "Sahel Hebdo", "Mekong Monitor", "El Observador Andino"):
        assert outlet in page
    assert site.client.get("/api/outlets").json()[0].keys() >= {"name", "articles", "failed_runs_in_a_row"}


def test_the_json_api_gives_the_fields_of_the_cli(site: Site) -> None:
    api = site.client.get("/api/search", params={"q": "cooperation", "country": "NG", "limit": 5})
    cli = run_cli(
        "--config", site.config, "search", "cooperation", "--country", "NG", "--limit", "5", "--format", "json"
    )
    assert api.json() == json.loads(cli.output)
    assert int(api.headers["x-matches"].rstrip("+")) >= len(api.json())
    article = api.json()[0]
    shown = run_cli("--config", site.config, "show", str(article["id"]), "--format", "json")
    assert site.client.get(f"/api/articles/{article['id']}").json() == json.loads(shown.output)
    assert site.client.get("/api/articles/999999").status_code == 404


# --- subscriptions ------------------------------------------------------------------------------


def subscribe(site: Site, email: str, **fields: str) -> Any:
    form = site.client.get("/subscribe").text
    return site.client.post("/subscribe", data={"csrf": csrf_of(form), "email": email, **fields})


def test_forms_without_this_browsers_token_are_refused(site: Site) -> None:
    assert site.client.post("/subscribe", data={"email": "x@example.org"}).status_code == 403
    stranger = TestClient(site.client.app, base_url=site.base)  # another browser: another cookie
    token = csrf_of(stranger.get("/subscribe").text)
    refused = site.client.post("/subscribe", data={"csrf": token, "email": "x@example.org"})
    assert refused.status_code == 403 and site.subscriber("x@example.org") is None


def test_subscribe_confirm_manage_and_feed(site: Site) -> None:
    done = subscribe(site, "Reader@Example.org", name="Nigeria", query="cooperation", countries="NG, cn")
    assert done.status_code == 200 and "Check your inbox" in done.text
    assert site.subscriber("reader@example.org")["status"] == "pending"
    assert run_cli("--config", site.config, "digest", "--send").output.startswith("No subscribers")
    confirm = site.link_in_last_mail("reader@example.org", "confirm")
    page = site.client.get(confirm)
    assert page.status_code == 200 and "You are subscribed" in page.text
    (alert,) = site.subscriber("reader@example.org")["alerts"]
    assert (alert["name"], alert["query"], alert["countries"]) == ("Nigeria", "cooperation", ["NG", "cn"])
    assert site.client.get(confirm[:-3] + "xyz").status_code == 400

    # the same address again: nothing changes, the owner gets their manage link, once
    site.client.app.state.web._notices.clear()  # as if ten minutes had passed
    for _ in range(3):
        subscribe(site, "reader@example.org", name="Hijack", query="anything")
    assert len(site.mails_to("reader@example.org")) == 2, "one confirmation, one manage link: no flood"
    assert [a["name"] for a in site.subscriber("reader@example.org")["alerts"]] == ["Nigeria"]
    manage = site.link_in_last_mail("reader@example.org", "manage")
    page = site.client.get(manage).text
    assert "Nigeria" in page and "/feeds/" in page
    added = site.client.post(manage + "/alerts", data={"csrf": csrf_of(page), "name": "Peru", "countries": "PE"})
    assert added.status_code == 200 and "Peru" in added.text  # after the redirect
    wrong = site.client.post(manage + "/alerts", data={"csrf": csrf_of(page), "tags": "renewable"})
    assert wrong.status_code == 400 and "no tag 'renewable'" in html.unescape(wrong.text)

    feed_url = re.search(r'href="([^"]+/feeds/[^"]+\.atom)"', site.client.get(manage).text).group(1)
    feed = feedparser.parse(site.client.get(feed_url).content)
    assert not feed.bozo and feed.entries and feed.feed.title.endswith(": Nigeria")
    assert all(e.link.startswith("http") and e.title for e in feed.entries)
    assert site.client.get("/feeds/not-a-key.atom").status_code == 404

    alerts = site.subscriber("reader@example.org")["alerts"]
    for alert in alerts:
        page = site.client.get(manage).text
        site.client.post(f"{manage}/alerts/{alert['id']}/delete", data={"csrf": csrf_of(page)})
    left = site.subscriber("reader@example.org")["alerts"]
    assert len(left) == 1, "the last alert stays: unsubscribing is the way out"
    digest = run_cli("--config", site.config, "digest", "--send")
    assert digest.exit_code == 0, digest.output
    (message,) = [m for m in site.mails_to("reader@example.org") if m.is_multipart()]  # the digest
    unsubscribe = message["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert unsubscribe.startswith(f"{site.base}/unsubscribe/")
    assert "List-Unsubscribe-Post" not in message, "one-click is announced for https addresses only (RFC 8058)"


def test_invalid_subscriptions_are_refused_with_the_form_kept(site: Site) -> None:
    refused = subscribe(site, "not-an-address", query="BRICS bank")
    assert refused.status_code == 400 and 'value="BRICS bank"' in refused.text
    assert "not an e-mail address" in html.unescape(refused.text)
    assert subscribe(site, "k@example.org", countries="Kenya").status_code == 400
    assert site.subscriber("k@example.org") is None


def test_unsubscribe_asks_on_get_and_a_one_click_post_removes(site: Site) -> None:
    run_cli("--config", site.config, "subscribers", "add", "leaving@example.org", "--alert", "All")
    holder = site.subscriber("leaving@example.org")
    assert holder is not None
    with site.archive.sessions() as session:
        from newsalert.storage.subscriptions import subscriber

        row = subscriber(session, "leaving@example.org")
        assert row is not None
        link = f"{site.base}/unsubscribe/{site.archive.signer.token('unsubscribe', row.id, row.email)}"
    page = site.client.get(link)
    assert page.status_code == 200 and "Unsubscribe?" in page.text and site.subscriber("leaving@example.org")
    tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    assert site.client.post(tampered, data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert site.client.get(tampered).status_code == 400
    assert site.subscriber("leaving@example.org") is not None, "a tampered token changes nothing"
    assert site.client.post(link, data={}).status_code == 403, "neither one-click nor this site's form"
    done = site.client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert site.subscriber("leaving@example.org") is None
    assert site.client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 400


def test_web_refuses_to_start_without_a_secret(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSALERT_SECRET")
    result = run_cli("--config", site.config, "web")
    assert result.exit_code == 2 and "$NEWSALERT_SECRET: not set" in result.output
    assert Archive.open(site.config).config.settings.web.host == "127.0.0.1"


# --- in a browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = os.environ.get("NEWSALERT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium executable (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_browser_search_filter_story_subscribe_and_unsubscribe(site: Site, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(site.base + "/")
    page.fill("input[name=q]", "cooperation")
    page.click("button[type=submit]")
    all_titles = page.locator(".story h2").all_inner_texts()
    assert "FOCAC coordinators meet in Abuja to count what has been built since the last summit" in all_titles
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".facets a", has_text="Nigeria").first.click()
    narrowed = page.locator(".story h2").all_inner_texts()
    assert narrowed and len(narrowed) < len(all_titles) and set(narrowed) <= set(all_titles)
    assert "country=NG" in page.url
    page.screenshot(path=str(tmp_path / "search-390.png"), full_page=True)

    page.locator(".story h2 a", has_text="Chinese agronomists").first.click()
    outlets = page.locator(".outlet-name").all_inner_texts()
    assert len(outlets) >= 2 and page.locator("#carried").inner_text().startswith(f"Carried by {len(outlets)}")

    page.goto(site.base + "/subscribe")
    page.fill("input[name=email]", "browser@example.org")
    page.fill("input[name=name]", "BRICS bank")
    page.fill("input[name=query]", "BRICS")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert site.subscriber("browser@example.org")["status"] == "pending"
    page.goto(site.link_in_last_mail("browser@example.org", "confirm"))
    assert page.locator("h1").inner_text() == "You are subscribed"
    assert site.subscriber("browser@example.org")["status"] == "active"

    page.click("text=Manage your alerts")
    unsubscribe = page.locator("a", has_text="Unsubscribe from everything").get_attribute("href")
    assert unsubscribe
    tampered = page.request.post(unsubscribe[:-2] + "xx", form={"List-Unsubscribe": "One-Click"})
    assert tampered.status == 400 and site.subscriber("browser@example.org") is not None
    one_click = page.request.post(unsubscribe, form={"List-Unsubscribe": "One-Click"})
    assert one_click.status == 200 and site.subscriber("browser@example.org") is None
    page.close()


def test_browser_pages_fit_a_phone_in_dark_mode(site: Site, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 700}, color_scheme="dark")
    for path in ("/?q=cooperation", "/outlets", "/subscribe", f"/story/{site.hostile_id}"):
        page.goto(site.base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 24)", "the dark palette applies"
    page.screenshot(path=str(tmp_path / "story-dark-320.png"), full_page=True)
    page.close()
