"""`newsalert explain` on a saved page and a local URL; `newsalert rescore` after topics.yaml
changed; and the next crawl fetching again a page an older profile rejected."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from newsalert.crawler.demo.server import Route, SiteServer
from newsalert.storage.db import open_database
from newsalert.storage.models import ArticleRow, SeenUrlRow
from tests.helpers import FAST_CRAWL, run_cli, stop_sites

SHIPPED_TOPICS = Path(__file__).parents[1] / "config" / "topics.yaml"
NOW = datetime.now(UTC)

ON_TOPIC = {
    "path": "/2026/11/ghana-vietnam-rice.html",
    "title": "Vietnamese agronomists train Ghanaian rice farmers under South-South cooperation deal",
    "author": "Abena Owusu",
    "paragraphs": [
        "KUMASI — Twelve rice specialists from Vietnam began a two-year mission in the Ashanti region on "
        "Monday, the first under a South-South cooperation agreement signed by the two governments in March.",
        "The Vietnamese experts will train about 600 Ghanaian farmers in water-saving irrigation and in "
        "seed selection at a demonstration centre outside Kumasi, the agriculture ministry said.",
        "Ghana imports more than half of the rice it eats. Officials hope the techniques, which raised "
        "yields in the Mekong Delta, will cut that share within five years.",
        "The programme is funded by both governments, with training materials translated into Twi.",
    ],
}
MANGO = {
    "path": "/2026/11/mango-corridor.html",
    "title": "Makueni growers pin hopes on the Mango Corridor Initiative",
    "author": "Peter Mwangi",
    "paragraphs": [
        "WOTE — Mango growers in Makueni County say the Mango Corridor Initiative, a county scheme "
        "launched this season, has brought cold rooms within reach of most villages for the first time.",
        "Before the cold rooms opened, up to 40 percent of the harvest rotted before it reached buyers in "
        "Nairobi and Mombasa, according to the county's agriculture department.",
        "The Mango Corridor Initiative also pays for a fruit-drying unit run by a women's group in Kibwezi, "
        "which now sells dried mango to supermarkets across the country.",
        "Growers want the county to extend the scheme to avocado farmers before next year's rains.",
    ],
}
CASHEW = {
    "path": "/2026/11/cashew-compact.html",
    "title": "Coastal counties sign Cashew Compact to revive processing plants",
    "author": "Halima Said",
    "paragraphs": [
        "MALINDI — Three coastal counties signed the Cashew Compact on Thursday, pooling money to reopen "
        "two processing plants that have stood idle for more than a decade.",
        "Under the Cashew Compact, Kilifi, Kwale and Lamu will buy raw nuts from smallholders at a floor "
        "price agreed each season, and share the running costs of the plants.",
        "Farmers' leaders welcomed the deal but warned that the plants' machinery needs replacing.",
        "The first nuts are expected at the Kilifi plant in February, county officials said.",
    ],
}
BOILERPLATE = "Subscribe to the Coast Courier newsletter for the day's top stories"


def article_page(story: dict[str, object], published: datetime) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in story["paragraphs"])  # type: ignore[union-attr]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(story["title"])} | Coast Courier</title>
<meta property="article:published_time" content="{published.isoformat()}">
<meta name="author" content="{escape(story["author"])}"></head>
<body><nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/sport/">Sport</a></nav>
<aside><h3>Most read</h3><ul><li>Port fees to rise in January</li><li>Ferry timetable changes</li></ul></aside>
<article><h1>{escape(story["title"])}</h1><p class="byline">By {escape(story["author"])}</p>{paragraphs}</article>
<div class="newsletter">{BOILERPLATE}</div><footer>Copyright © 2026 Coast Courier Ltd.</footer>
</body></html>""".encode()


@pytest.fixture
def courier() -> Iterator[SiteServer]:
    """An outlet whose feed lists one on-topic story and two domestic ones."""
    server = SiteServer().start()
    items = []
    for hours, story in enumerate((ON_TOPIC, MANGO, CASHEW), start=1):
        published = NOW - timedelta(hours=hours)
        server.routes[story["path"]] = Route(article_page(story, published))
        items.append(
            f"<item><title>{escape(story['title'])}</title><link>{server.url(story['path'])}</link>"
            f"<pubDate>{format_datetime(published)}</pubDate></item>"
        )
    server.routes["/feed.xml"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Coast Courier</title>{"".join(items)}'
        "</channel></rss>".encode(),
        content_type="application/rss+xml",
    )
    yield server
    stop_sites(server)


def write_settings(folder: Path, database: str, outlets: list[dict[str, object]]) -> Path:
    """A settings file with its own copy of the shipped topics.yaml, for the test to edit."""
    shutil.copy(SHIPPED_TOPICS, folder / "topics.yaml")
    (folder / "outlets.yaml").write_text(yaml.safe_dump(outlets), encoding="utf-8")
    settings = {
        "database": database,
        "outlets_file": "outlets.yaml",
        "topics_file": "topics.yaml",
        "crawl": {**FAST_CRAWL, "extract_workers": 0},
    }
    path = folder / "newsalert.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def add_phrases(folder: Path, phrases: dict[str, float], *, remove: tuple[str, ...] = ()) -> None:
    """Edit the copy of topics.yaml as a user would: English phrases added or removed."""
    path = folder / "topics.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    english = data["topics"][0]["phrases"]["en"]
    for phrase in remove:
        del english[phrase]
    english.update(phrases)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_explain_a_saved_page_in_text_and_json(tmp_path: Path) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [])
    page = tmp_path / "saved.html"
    page.write_bytes(article_page(ON_TOPIC, NOW - timedelta(hours=2)))
    url = "https://courier.example/2026/11/ghana-vietnam-rice.html"

    result = run_cli("--config", str(config), "explain", str(page), "--url", url, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {
        "kept",
        "relevance",
        "threshold",
        "matched_terms",
        "contributions",
        "tags",
        "title",
        "published_at",
        "language",
    } <= set(data)
    assert data["kept"] is True and data["relevance"] >= data["threshold"] == 6.0
    assert data["title"] == ON_TOPIC["title"] and data["language"] == "en" and data["url"] == url
    assert data["published_at"].startswith((NOW - timedelta(hours=2)).strftime("%Y-%m-%dT"))
    phrase = next(c for c in data["contributions"] if c["label"] == "South-South cooperation")
    assert phrase["rule"] == "phrase" and phrase["weight"] > 0 and "title" in phrase["note"]
    partnership = next(c for c in data["contributions"] if c["rule"] == "partnership")
    assert set(partnership["partners"]) >= {"GH", "VN"} and partnership["weight"] > 0
    assert {"experts", "train"} & set(partnership["terms"]) or len(partnership["terms"]) >= 2
    countries = {t["code"]: t["salience"] for t in data["tags"] if t["kind"] == "country"}
    assert set(countries) == {"GH", "VN"} and all(value > 0 for value in countries.values())
    assert sum(c["weight"] for c in data["contributions"]) == pytest.approx(data["relevance"])

    text = run_cli("--config", str(config), "explain", str(page), "--url", url)
    assert text.exit_code == 0, text.output
    for expected in (
        ON_TOPIC["title"],
        "threshold 6",
        "South-South cooperation",
        "partnership",
        "Kept: score",
        "country",
        "GH",
    ):
        assert expected in text.output, f"{expected!r} missing from:\n{text.output}"
    assert BOILERPLATE not in text.output


def test_explain_a_local_url_that_is_off_topic(tmp_path: Path, courier: SiteServer) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [])
    url = courier.url(MANGO["path"])
    data = json.loads(run_cli("--config", str(config), "explain", url, "--format", "json").output)
    assert data["kept"] is False and data["reason"].startswith("not kept")
    assert data["title"] == MANGO["title"] and data["url"] == url
    assert any(t["kind"] == "country" and t["code"] == "KE" for t in data["tags"])
    partnership = next(c for c in data["contributions"] if c["rule"] == "partnership")
    assert partnership["weight"] == 0 and "too few Southern partners" in partnership["note"]

    text = run_cli("--config", str(config), "explain", url)
    assert text.exit_code == 0 and "Not kept" in text.output and "too few Southern partners" in text.output
    assert not (tmp_path / "a.db").exists(), "explain stores nothing"


@pytest.mark.parametrize("target", ["missing.html", "ftp://example.org/page.html"])
def test_explain_refuses_what_it_cannot_read_in_one_line(tmp_path: Path, target: str) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [])
    result = run_cli("--config", str(config), "explain", str(tmp_path / target) if "://" not in target else target)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_rescore_and_refetch_follow_the_topic_profile(db_url: str, tmp_path: Path, courier: SiteServer) -> None:
    from newsalert.config import load_config
    from newsalert.crawler.runner import run_crawl

    outlets = [{"name": "Coast Courier", "url": courier.url("/"), "feeds": [courier.url("/feed.xml")]}]
    settings = write_settings(tmp_path, db_url, outlets)
    add_phrases(tmp_path, {"Mango Corridor Initiative": 7})
    run_crawl(load_config(settings), load_config(settings).enabled_outlets)
    engine, sessions = open_database(db_url)

    def statuses() -> dict[str, str]:
        with sessions() as session:
            return {
                url.rsplit("/", 1)[-1]: status
                for url, status in session.execute(
                    select(SeenUrlRow.url, SeenUrlRow.status).where(SeenUrlRow.url.like("%/2026/11/%"))
                )
            }

    try:
        assert statuses() == {
            "ghana-vietnam-rice.html": "stored",
            "mango-corridor.html": "stored",
            "cashew-compact.html": "off_topic",
        }
        with sessions() as session:
            versions = set(session.scalars(select(SeenUrlRow.topic_version)))
            assert len(versions) == 1 and None not in versions, "every decision records the profile"
            assert set(session.scalars(select(ArticleRow.topic_version))) == versions

        # The user drops the mango phrase and adds one for the cashew story.
        add_phrases(tmp_path, {"Cashew Compact": 7}, remove=("Mango Corridor Initiative",))
        rescored = run_cli("--config", str(settings), "rescore", "--since", "30d")
        assert rescored.exit_code == 0, rescored.output
        assert "now off topic" in rescored.output and MANGO["title"][:40] in rescored.output
        assert "Rescored 2 articles" in rescored.output and "1 now off topic" in rescored.output
        found = json.loads(run_cli("--config", str(settings), "search", "--format", "json").output)
        assert [a["title"] for a in found] == [ON_TOPIC["title"]], "an article now off topic leaves the search"
        everything = run_cli("--config", str(settings), "search", "--include-off-topic", "--format", "json")
        assert {a["title"] for a in json.loads(everything.output)} == {ON_TOPIC["title"], MANGO["title"]}

        before = courier.hits(CASHEW["path"])
        run_crawl(load_config(settings), load_config(settings).enabled_outlets)
        assert courier.hits(CASHEW["path"]) == before + 1, "rejected under an older profile: fetched again"
        assert courier.hits(ON_TOPIC["path"]) == 1 and courier.hits(MANGO["path"]) == 1
        assert statuses()["cashew-compact.html"] == "stored"

        # Under an unchanged profile, nothing is fetched again.
        run_crawl(load_config(settings), load_config(settings).enabled_outlets)
        assert courier.hits(CASHEW["path"]) == before + 1
    finally:
        engine.dispose()


def test_a_saved_page_is_read_as_utf8_whatever_its_meta_charset_says(tmp_path: Path) -> None:
    """Browsers save pages as UTF-8 and keep the original <meta charset>; a page that is not
    valid UTF-8 is decoded as it declares."""
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", [])
    title = "中拉航天合作论坛在福州开幕"
    saved = article_page({**ON_TOPIC, "title": title}, NOW).replace(
        b'<meta charset="utf-8">', b'<meta charset="gb2312">'
    )
    (tmp_path / "saved.html").write_bytes(saved)
    in_gbk = saved.decode("utf-8").replace("gb2312", "gbk").replace("©", "(c)")
    (tmp_path / "gbk.html").write_bytes(in_gbk.encode("gbk"))
    for name in ("saved.html", "gbk.html"):
        data = json.loads(run_cli("--config", str(config), "explain", str(tmp_path / name), "--format", "json").output)
        assert data["title"] == title, name
