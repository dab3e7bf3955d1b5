"""Canonical URLs: one form for every variant of an article's address."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

# Tracking parameters courlan's own list (utm_*, fbclid, gclid, mc_cid, ...) misses
# but that news sites and their feeds add.
# Longer addresses are not followed: the archive's URL columns hold 2048 characters.
MAX_URL_LENGTH = 2000
EXTRA_TRACKERS = frozenset({"ref", "ref_src", "ocid", "cmpid", "icid", "ito", "spm", "share"})


def canonical_url(url: str) -> str:
    """The identity of a page: lower-case host without `www.`, no default port, no fragment,
    no tracking parameters, the remaining query parameters sorted.

    The scheme is kept: a site that serves both http and https redirects one to the other,
    and a redirect is followed and recorded under both forms.
    """
    normalized = normalize_url(url.strip())  # not strict: strict drops unknown parameters such as ?nid=
    parts = urlsplit(normalized)
    host = parts.netloc.removeprefix("www.")
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key.lower() not in EXTRA_TRACKERS
        ]
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme, host, path, query, ""))


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL_LENGTH
    except ValueError:  # an invalid IPv6 literal, a bad port
        return False


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def site_of(url: str) -> str:
    """Host and port without `www.`: two outlets on one machine differ by port."""
    return urlsplit(url).netloc.lower().removeprefix("www.")


def on_site(url: str, domain: str) -> bool:
    """Whether `url` is on the outlet's domain or one of its subdomains."""
    host = host_of(url)
    return host == domain or host.endswith("." + domain)
