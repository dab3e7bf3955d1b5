"""The Jinja2 environment of the fake sites' templates (templates/).

HTML and XML templates are autoescaped (markupsafe's escapes, &#39; and &#34; included, are
valid in both); characters that XML 1.0 cannot carry at all are dropped from every value.
"""

from __future__ import annotations

import json
import re
from email.utils import format_datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(template: str, **context: Any) -> str:
    """`template` rendered with `context`; an undefined name is an error, not an empty string."""
    return _environment().get_template(template).render(context)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("newsalert.crawler.demo", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        finalize=_printable,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(rfc822=format_datetime, cdata=_cdata, json_ld=_json_ld)
    return env


def _printable(value: Any) -> Any:
    """Drops the control characters XML 1.0 cannot carry (escaping cannot help them)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _NOT_XML.sub("", value)
    return value


def _cdata(text: str) -> Markup:
    """`text` as a CDATA section, even when it holds "]]>"."""
    return Markup("<![CDATA[" + _printable(text).replace("]]>", "]]]]><![CDATA[>") + "]]>")


def _json_ld(data: Any) -> Markup:
    """JSON for a <script> element, "<" escaped so that no text can close the element early."""
    return Markup(json.dumps(data, ensure_ascii=False, indent=2).replace("<", "\\u003c"))
