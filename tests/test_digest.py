"""The Daily News Alert against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsalert.config.models import Outlet
from newsalert.digest.links import BadToken, Signer
from newsalert.digest.links import fingerprint as address_fingerprint
from newsalert.domain import Tag
from newsalert.pipelines.dedup import fingerprint
from newsalert.pipelines.extract import content_hash
from newsalert.storage import articles as article_store
from newsalert.storage import ledger, models
from newsalert.storage.db import open_database
from newsalert.storage.models import DigestItemRow, DigestRow
from tests.helpers import REFUSED, Mailbox, free_port, run_cli, write_config


@dataclass
class Archive:
    config: Path
    url: str
    sessions: sessionmaker[Session]
    outlet_ids: dict[str, int]
    count: int = 0

    def add(
        self,
        title: str,
        *,
        outlet: str = "Lagos Ledger",
        relevance: float = 8.0,
        copy_of: int | None = None,
        countries: tuple[str, ...] = ("NG",),
        theme: str = "trade",
        hours_ago: float = 1,
        extra_tags: tuple[Tag, ...] = (),
    ) -> int:
        """Store an article as the crawl would; `copy_of` puts it in that article's story."""
        self.count += 1
        text = f"{title}. " + " ".join(
            f"Sentence {self.count}-{n} about cooperation in story {self.count}." for n in range(40)
        )
        with self.sessions.begin() as session:
            article_id = article_store.insert_article(
                session,
                {
                    "outlet_id": self.outlet_ids[outlet],
                    "canonical_url": f"https://news.example/{self.count}",
                    "url": f"https://news.example/{self.count}",
                    "title": title,
                    "text": text,
                    "content_hash": content_hash(text),
                    "fetched_at": datetime.now(UTC) - timedelta(hours=hours_ago),
                    "published_at": datetime.now(UTC) - timedelta(hours=hours_ago + 1),
                    "language": "en",
                    "relevance": relevance,
                    "matched_terms": ["South-South cooperation"],
                    "minhash": fingerprint(text).signature,
                },
            )
            cluster = (
                session.get(models.ArticleRow, copy_of).cluster_id if copy_of else article_store.new_cluster(session)
            )
            article_store.set_cluster(session, article_id, cluster)
            article_store.add_tags(
                session,
                article_id,
                [Tag("country", c, COUNTRY_NAMES.get(c, c), 5.0 - n) for n, c in enumerate(countries)]
                + [Tag("theme", theme, theme.capitalize(), 3.0), *extra_tags],
            )
        return article_id

    def digests(self) -> list[DigestRow]:
        with self.sessions() as session:
            return list(session.scalars(select(DigestRow).order_by(DigestRow.id)))


COUNTRY_NAMES = {"NG": "Nigeria", "KE": "Kenya", "PE": "Peru", "CN": "China"}


SECRET = "a-test-secret-of-more-than-sixteen-characters"


def make_archive(
    tmp_path: Path, port: int, database: str | None = None, *, web: str | None = None, **digest: Any
) -> Iterator[Archive]:
    database = database or f"sqlite:///{tmp_path / 'archive.db'}"
    path = write_config(
        tmp_path,
        [{"name": "Lagos Ledger", "url": "https://ledger.example/", "feeds": ["https://ledger.example/rss"]}],
        database=database,
    )
    sender = "'News Alert <alerts@news.example>'"
    extra = "".join(f", {key}: {value}" for key, value in digest.items())
    settings = (
        path.read_text()
        + (
            f"smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5, from: {sender}}}\n"
            f"digest: {{archive_dir: {tmp_path / 'digests'}, max_per_section: 3{extra}}}\n"
        )
        + (f"web: {web}\n" if web else "")
    )
    path.write_text(settings)
    engine, sessions = open_database(database)
    with sessions.begin() as session:
        ids = ledger.sync_outlets(
            session,
            [
                Outlet(name=name, url=f"https://{slug}.example/", feeds=[f"https://{slug}.example/rss"])
                for name, slug in (("Lagos Ledger", "ledger"), ("Mekong Monitor", "mekong"), ("Sahel Hebdo", "sahel"))
            ],
        )
    yield Archive(path, database, sessions, ids)
    engine.dispose()


@pytest.fixture
def archive(
    db_url: str, tmp_path: Path, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Archive]:
    """An archive on each backend, with the SMTP server above configured, and the web app's
    address and link-signing secret."""
    monkeypatch.setenv("NEWSALERT_SECRET", SECRET)
    yield from make_archive(tmp_path, smtp[1], db_url, web="{base_url: 'https://news.example/alerts/'}")


def cli(archive: Archive, *args: str) -> Any:
    return run_cli("--config", str(archive.config), *args)


def parts(message: Message) -> tuple[str, str]:
    """The text and HTML alternatives, with the line ends SMTP gave them turned back into \\n."""
    text, html = (
        part.get_payload(decode=True).decode(part.get_content_charset()).replace("\r\n", "\n")
        for part in message.get_payload()
    )
    return text, html


def test_sending_without_subscribers_says_so(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    archive.add("Nigeria and China open a rice training centre")
    result = cli(archive, "digest", "--send")
    assert result.exit_code == 0 and "No subscribers: nothing to send" in result.output, result.output
    assert mailbox.messages == []


def test_message_structure_and_headers(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    archive.add("Nigeria and China open a rice training centre")
    assert cli(archive, "subscribers", "add", "Analyst@Example.org").exit_code == 0
    result = cli(archive, "digest", "--send")
    assert result.exit_code == 0, result.output
    (message,) = mailbox.messages
    assert mailbox.envelopes == [("alerts@news.example", ["analyst@example.org"])]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Daily News Alert: Nigeria and China open a rice training centre"
    assert message["From"] == "News Alert <alerts@news.example>" and message["To"] == "analyst@example.org"
    assert message["Date"] and message["Message-ID"].endswith("@news.example>")
    link, mailto = (part.strip().strip("<>") for part in message["List-Unsubscribe"].split(","))
    assert mailto == "mailto:alerts@news.example?subject=unsubscribe"
    assert link.startswith("https://news.example/alerts/unsubscribe/")
    token = link.rsplit("/", 1)[1]
    with archive.sessions() as session:
        (subscriber,) = session.scalars(select(models.SubscriberRow))
    assert Signer(SECRET).subscriber("unsubscribe", token) == (
        subscriber.id,
        address_fingerprint("analyst@example.org"),
    )
    with pytest.raises(BadToken):
        Signer(SECRET).subscriber("confirm", token)  # one purpose per token
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert f"Unsubscribe: {link}" in text and f'href="{link}"' in html, "one footer, in both parts"
    assert "Manage your alerts: https://news.example/alerts/manage/" in text
    assert "Nigeria and China open a rice training centre" in text and "https://news.example/1" in text
    assert 'class="card" role="presentation" width="100%"' in html and "max-width:600px" in html
    assert "<script" not in html
    (digest,) = archive.digests()
    assert digest.status == "sent" and digest.message_id == message["Message-ID"]
    assert Path(digest.html_path).read_text(encoding="utf-8").strip() == html.strip(), (
        "the archived HTML is what was sent"
    )


def test_sections_and_each_story_once(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    original = archive.add("Hot: BRICS bank funds a solar park", relevance=9)
    archive.add("Hot copy at a second outlet", outlet="Mekong Monitor", copy_of=original, relevance=7)
    archive.add("Hot copy at a third outlet", outlet="Sahel Hebdo", copy_of=original, relevance=6)
    for number in range(8):
        archive.add(
            f"Story number {number}",
            relevance=20 - number,
            hours_ago=number / 4,
            theme="health" if number % 2 else "energy",
        )
    cli(archive, "subscribers", "add", "reader@example.org")
    assert cli(archive, "digest", "--send").exit_code == 0
    text, html = parts(mailbox.messages[0])
    for title in ("Hot Stories", "Top Stories", "Recent Stories", "Stories by Category"):
        assert title in html
    assert html.count(">Hot: BRICS bank funds a solar park</a>") == 1
    assert text.count("Hot: BRICS bank funds a solar park\n") == 1
    assert "Hot copy at" not in text, "a story is shown by its best article only"
    assert "Also reported by" in html and "Mekong Monitor" in html and "3 outlets" in html
    for number in range(8):
        assert text.count(f"Story number {number}\n") == 1, f"story {number} must appear exactly once"
    with archive.sessions() as session:
        items = session.scalars(select(DigestItemRow)).all()
    assert len(items) == len({item.cluster_id for item in items}) == 9
    assert [i.section for i in items][:4] == ["hot", "top", "top", "top"]  # max_per_section is 3


def test_tag_filtered_subscriber(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    archive.add("Kenya railway story", countries=("KE", "CN"))
    archive.add("Nigeria farming story", countries=("NG",))
    cli(archive, "subscribers", "add", "kenya@example.org", "--tag", "ke")
    cli(archive, "subscribers", "add", "all@example.org")
    assert cli(archive, "digest", "--send").exit_code == 0
    by_recipient = {m["To"]: parts(m)[0] for m in mailbox.messages}
    assert "Kenya railway story" in by_recipient["kenya@example.org"]
    assert "Nigeria farming story" not in by_recipient["kenya@example.org"]
    assert "Nigeria farming story" in by_recipient["all@example.org"]


def test_one_email_with_a_section_per_alert_and_each_story_once(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    both = archive.add("Kenya and Nigeria sign a rice seed accord", countries=("KE", "NG"))
    kenya = archive.add("Kenya opens a railway training school", countries=("KE",), theme="infrastructure")
    nigeria = archive.add("Nigeria hosts a solar trade fair", countries=("NG",))
    archive.add("Peru and China extend a port deal", countries=("PE", "CN"))  # no alert matches it
    for args in (["--alert", "Kenya", "--country", "KE"], ["Nigeria", "--alert", "Nigeria words"]):
        assert cli(archive, "subscribers", "add", "reader@example.org", *args).exit_code == 0
    assert cli(archive, "digest", "--send").exit_code == 0
    (message,) = mailbox.messages
    text, html = parts(message)
    kenya_part, nigeria_part = text.split("### Kenya ###")[1].split("### Nigeria words ###")
    assert "rice seed accord" in kenya_part and "railway training" in kenya_part
    assert "solar trade fair" in nigeria_part and "rice seed accord" not in nigeria_part, "each story once"
    assert "Peru and China" not in text
    assert html.count("Your alert:") == 2 and "Your alert: &#34;Nigeria&#34;" in html
    with archive.sessions() as session:
        alerts = {a.id: a.name for a in session.scalars(select(models.AlertRow))}
        items = {i.article_id: alerts[i.alert_id] for i in session.scalars(select(DigestItemRow))}
    assert items == {both: "Kenya", kenya: "Kenya", nigeria: "Nigeria words"}


def test_second_send_sends_nothing_and_a_sent_story_is_never_mailed_again(
    archive: Archive, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    first = archive.add("The story everyone carries")
    cli(archive, "subscribers", "add", "reader@example.org")
    assert cli(archive, "digest", "--send").exit_code == 0
    again = cli(archive, "digest", "--send")
    assert again.exit_code == 0 and "No new stories" in again.output
    assert len(mailbox.messages) == 1
    archive.add("A late copy of the same story", outlet="Sahel Hebdo", copy_of=first, hours_ago=0)
    archive.add("A genuinely new story", hours_ago=0)
    assert cli(archive, "digest", "--send").exit_code == 0
    text, _ = parts(mailbox.messages[-1])
    assert "A genuinely new story" in text and "A late copy" not in text and "everyone carries" not in text


def test_smtp_down_then_up(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    for archive in make_archive(tmp_path, port):
        archive.add("A story that must not be lost")
        cli(archive, "subscribers", "add", "reader@example.org")
        down = cli(archive, "digest", "--send")
        assert down.exit_code == 1 and "nothing was marked sent" in down.output
        assert [d.status for d in archive.digests()] == ["failed"]

        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            up = cli(archive, "digest", "--send")
        finally:
            controller.stop()
        assert up.exit_code == 0, up.output
        assert "A story that must not be lost" in parts(mailbox.messages[0])[0]
        assert [d.status for d in archive.digests()] == ["superseded", "sent"]


def test_one_refused_recipient_does_not_stop_the_others(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    archive.add("A story for everyone")
    for address in ("first@example.org", REFUSED, "last@example.org"):
        cli(archive, "subscribers", "add", address)
    result = cli(archive, "digest", "--send")
    assert result.exit_code == 1, "a refused recipient needs attention"
    assert sorted(m["To"] for m in mailbox.messages) == ["first@example.org", "last@example.org"]
    statuses = {d.email: (d.status, d.error) for d in archive.digests()}
    assert statuses[REFUSED][0] == "refused" and "550" in statuses[REFUSED][1]
    assert statuses["first@example.org"][0] == statuses["last@example.org"][0] == "sent"


def test_hostile_titles_are_neutralized(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    archive.add('<script>alert("x")</script><img src=x onerror=alert(1)> Port deal')
    archive.add("Innocent title\r\nBcc: victim@example.org\r\nX-Injected: yes")
    cli(archive, "subscribers", "add", "reader@example.org")
    assert cli(archive, "digest", "--send").exit_code == 0
    (message,) = mailbox.messages
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert mailbox.envelopes[0][1] == ["reader@example.org"]
    text, html = parts(message)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "onerror=alert(1)&gt;" in html
    assert "Innocent title Bcc: victim@example.org X-Injected: yes" in text, "scraped text stays on one line"


def test_preview_builds_and_archives_but_sends_nothing(
    archive: Archive, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, _ = smtp
    archive.add("A story to preview")
    preview = tmp_path / "alert.html"
    result = cli(archive, "digest", "--preview", str(preview))
    assert result.exit_code == 0, result.output
    assert "A story to preview" in preview.read_text(encoding="utf-8")
    assert mailbox.messages == [] and [d.status for d in archive.digests()] == ["preview"]
    cli(archive, "subscribers", "add", "reader@example.org")
    assert cli(archive, "digest", "--send").exit_code == 0, "a preview never counts as delivered"
    assert len(mailbox.messages) == 1


def test_subscriber_commands(archive: Archive) -> None:
    assert cli(archive, "subscribers", "add", "not-an-address").exit_code == 2
    added = cli(archive, "subscribers", "add", "a@example.org", "--tag", "africa", "--alert", "Africa")
    assert added.exit_code == 0 and "Added a@example.org alert 'Africa'" in added.output
    # This archive has no topic profile, so no initiative tag (BRI) can ever match: refused.
    assert "no tag 'BRI'" in cli(archive, "subscribers", "add", "a@example.org", "--tag", "BRI").output
    assert "unbalanced" in cli(archive, "subscribers", "add", "a@example.org", '"belt road').output.lower()
    changed = cli(archive, "subscribers", "add", "a@example.org", "--tag", "KE", "--alert", "Africa")
    assert "changed alert 'Africa'" in changed.output
    assert (
        "alert 'belt road KE'"
        in cli(archive, "subscribers", "add", "a@example.org", "belt road", "--country", "KE").output
    )
    listed = json.loads(cli(archive, "subscribers", "list", "--format", "json").output)
    (subscriber,) = listed
    assert subscriber["status"] == "active"
    assert [(a["name"], a["query"], a.get("tags"), a.get("countries")) for a in subscriber["alerts"]] == [
        ("Africa", None, ["KE"], None),
        ("belt road KE", "belt road", None, ["KE"]),
    ]
    assert all(a["feed"].startswith("https://news.example/alerts/feeds/") for a in subscriber["alerts"])
    table = cli(archive, "subscribers", "list")
    assert "Africa: tag KE" in table.output and 'belt road KE: "belt road" · country KE' in table.output
    assert cli(archive, "subscribers", "remove", "a@example.org", "--alert", "nope").exit_code == 1
    assert cli(archive, "subscribers", "remove", "a@example.org", "--alert", "Africa").exit_code == 0
    last = cli(archive, "subscribers", "remove", "a@example.org", "--alert", "belt road KE")
    assert last.exit_code == 2 and "last alert" in last.output
    assert cli(archive, "subscribers", "remove", "a@example.org").exit_code == 0
    assert cli(archive, "subscribers", "remove", "a@example.org").exit_code == 1
    assert cli(archive, "digest", "--send", "--subscriber", "nobody@example.org").exit_code == 2


def test_links_need_the_secret_when_sending(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    archive.add("A story")
    cli(archive, "subscribers", "add", "reader@example.org")
    monkeypatch.delenv("NEWSALERT_SECRET")
    refused = cli(archive, "digest", "--send")
    assert refused.exit_code == 2 and "$NEWSALERT_SECRET: not set" in refused.output
    assert archive.digests() == [], "nothing built, nothing marked"
    assert cli(archive, "digest").exit_code == 0, "a preview goes without the links"
    monkeypatch.setenv("NEWSALERT_SECRET", "short")
    assert "at least 16 characters" in cli(archive, "digest", "--send").output


def test_a_digest_file_is_never_written_over(tmp_path: Path) -> None:
    """An archive started afresh counts digests from 1 again: the older file stays."""
    from newsalert.digest.service import _write_new

    first = _write_new(tmp_path / "2026-12-07" / "digest-1", "<p>first</p>", "first")
    second = _write_new(tmp_path / "2026-12-07" / "digest-1", "<p>second</p>", "second")
    assert (first.name, second.name) == ("digest-1.html", "digest-1-2.html")
    assert first.read_text() == "<p>first</p>" and first.with_suffix(".txt").read_text() == "first"
    assert second.read_text() == "<p>second</p>" and second.with_suffix(".txt").read_text() == "second"


def test_the_subject_names_the_top_story() -> None:
    from newsalert.digest.service import subject

    assert subject("Daily News Alert", "Kenya and Peru\r\nsign a seed pact", 14) == (
        "Daily News Alert: Kenya and Peru sign a seed pact and 13 more"
    )
    assert subject("Daily News Alert", "One story", 1) == "Daily News Alert: One story"
    long = subject("Daily News Alert", "word " * 40, 3)
    assert long.endswith("… and 2 more") and len(long) < 130


def test_why_in_plain_words_and_matched_words_in_bold(archive: Archive, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    topic = Tag("topic", "south-south", "South-South cooperation", 9.0)
    archive.add(
        "Kenya and Peru sign a South-South cooperation pact on seeds",
        countries=("KE", "PE"),
        extra_tags=(topic, Tag("initiative", "UNOSSC", "UNOSSC", 2.0)),
    )
    assert cli(archive, "subscribers", "add", "a@example.org").exit_code == 0
    assert cli(archive, "digest", "--send").exit_code == 0
    text, html = parts(mailbox.messages[0])
    assert "Why: South-South cooperation · Kenya and Peru · UNOSSC" in html
    assert "Why: South-South cooperation · Kenya and Peru · UNOSSC" in text, "the text part says the same"
    assert "<strong>South-South cooperation</strong>" in html and "relevance" not in html
    assert "Tags: KE, PE, Trade, UNOSSC" in text
    footer = "It covers articles archived from"
    assert footer in text and footer in html


CONTRAST = """() => {
  const channels = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const [r, g, b] = channels(c).slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor, a = channels(c);
      if (a.length < 4 || a[3] > 0) return c;
    }
    return "rgb(255, 255, 255)";
  };
  let worst = {ratio: 99};
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.offsetParent === null) continue;  // not displayed (the preheader)
    const fg = lum(getComputedStyle(el).color), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < worst.ratio) worst = {ratio, text: el.textContent.trim().slice(0, 40)};
  }
  return worst;
}"""


@pytest.mark.slow
def test_the_digest_fits_a_phone_and_reads_in_dark_mode(
    archive: Archive, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    """In Chromium (Playwright): no horizontal scrolling at 320 and 390 px, and every piece of
    text at 4.5:1 contrast or more, in light and in dark mode. Screenshots go to
    $NEWSALERT_SCREENSHOTS when it is set, for a person to look at."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("NEWSALERT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium executable (apt-get install chromium)")
    mailbox, _ = smtp
    original = archive.add("BRICS bank funds a solar park in Kenya, Egypt and Brazil", countries=("KE", "CN"))
    archive.add("Second outlet: BRICS bank funds the solar park", outlet="Mekong Monitor", copy_of=original)
    archive.add("Averyveryveryveryveryveryveryveryverylongunbrokenheadlinewordthatmustwrap", relevance=9)
    archive.add("中国与肯尼亚签署农业技术合作协议，南南合作再添新成果", countries=("CN", "KE"), theme="agriculture")
    assert cli(archive, "subscribers", "add", "a@example.org").exit_code == 0
    assert cli(archive, "digest", "--send").exit_code == 0
    _, html = parts(mailbox.messages[0])
    page_file = tmp_path / "digest.html"
    page_file.write_text(html, encoding="utf-8")
    shots = Path(os.environ.get("NEWSALERT_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for width, scheme in ((1024, "light"), (390, "light"), (320, "light"), (390, "dark")):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.emulate_media(color_scheme=scheme)
                page.goto(page_file.as_uri())
                assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls at {width} px"
                worst = page.evaluate(CONTRAST)
                assert worst["ratio"] >= 4.5, f"{scheme} mode: {worst}"
                page.screenshot(path=shots / f"digest-{width}-{scheme}.png", full_page=True)
                page.close()
        finally:
            browser.close()
    assert (shots / "digest-390-dark.png").stat().st_size > 0
