"""Cleaning what strangers write before it reaches the archive, a terminal or an email.

Everything a page, a feed or a sitemap says goes through `clean_text` (text that keeps its
lines) or `clean_line` (a title, an author, a URL) at the boundary, once: NUL and the other
C0 and C1 control characters go (a NUL makes PostgreSQL refuse the row; ESC starts terminal
escape sequences), as do lone surrogates, which no database encoding accepts. Tabs and
newlines stay in text.

`terminal_safe` is the last guard before a terminal, for strings stored before this
cleaning existed: it also drops the Unicode controls that reorder text on screen.
"""

from __future__ import annotations

import re

# C0 controls but \t and \n, DEL, C1 controls, and lone surrogates.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidirectional overrides and isolates: text that displays differently from what it is.
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
WHITESPACE = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """A text without control characters; line breaks become \\n, tabs stay."""
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_line(value: str | None, *, limit: int | None = None) -> str | None:
    """One line of text: controls removed, whitespace runs made single spaces, at most
    `limit` characters; None when nothing is left."""
    if not value:
        return None
    line = WHITESPACE.sub(" ", CONTROL.sub(" ", value)).strip()
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line or None


def terminal_safe(value: str) -> str:
    """Text that cannot move the cursor, clear the screen, make links or reorder itself."""
    return BIDI_CONTROL.sub("", CONTROL.sub("", value.replace("\r", "")))
