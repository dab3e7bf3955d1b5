"""Rendering a digest as an HTML email and its plain-text alternative (Jinja2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from newsalert.digest.selection import AlertGroup, Story

EVERY_STORY_ABOUT = "every story"  # AlertSpec.describe() of an alert without query or filters


@dataclass(frozen=True)
class DigestView:
    title: str
    date: datetime
    groups: list[AlertGroup]  # one per alert with stories; the preview's one has no alert
    period_start: datetime
    period_end: datetime
    recipient: str | None = None
    unsubscribe_url: str | None = None
    manage_url: str | None = None
    unsubscribe_mailto: str | None = None
    topic_label: str | None = None

    @property
    def stories(self) -> list[Story]:
        return [story for group in self.groups for story in group.stories]

    def context(self) -> dict[str, object]:
        stories = self.stories
        outlets = {outlet for story in stories for outlet in story.outlets}
        lead = stories[0].article.title if stories else ""
        return {
            **self.__dict__,
            "date_label": f"{self.date:%A %d %B %Y}",
            "story_count": len(stories),
            "outlet_count": len(outlets),
            "preheader": oneline(lead),
            # a heading per alert when there are several; one alert is named in the footer
            "alert_headings": len(self.groups) > 1,
            "alerts_line": "; ".join(
                g.name if g.about == EVERY_STORY_ABOUT else f"{g.name} ({g.about})" for g in self.groups if g.name
            ),
        }


def safe_url(value: str | None) -> str:
    """Only http(s) links; anything else (javascript:, data:) becomes a dead link."""
    if value and urlsplit(value).scheme in ("http", "https"):
        return value
    return "#"


def oneline(value: str | None) -> str:
    """Scraped text on one line: no CR, LF or other control characters."""
    return " ".join((value or "").split())


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("newsalert.digest", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["safe_url"] = safe_url
    env.filters["oneline"] = oneline
    return env


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def render_html(view: DigestView) -> str:
    return _HTML.get_template("digest.html").render(view.context())


def render_text(view: DigestView) -> str:
    return _TEXT.get_template("digest.txt").render(view.context())
