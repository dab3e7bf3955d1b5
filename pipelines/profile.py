"""What a relevance decision depends on, as a short hash: kept light (no analysis imports), for
the crawl process and the command line, which only need to know which profile judged a page."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

from newsalert.config.models import TopicsFile

# What the decision depends on besides topics.yaml: the built-in gazetteer and organizations.
BUILT_IN_DATA = ("gazetteer.yaml", "organizations.yaml")


def profile_version(topics: TopicsFile | None) -> str | None:
    """A short hash of everything a relevance decision depends on: the topic profiles and
    taxonomy, and the built-in gazetteer and organizations. None without a profile."""
    if topics is None:
        return None
    digest = hashlib.sha256(
        json.dumps(topics.model_dump(mode="json"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    )
    for name in BUILT_IN_DATA:
        digest.update((resources.files("newsalert.pipelines") / name).read_bytes())
    return digest.hexdigest()[:16]
