"""Which discovered links the crawl fetches, and the per-outlet tallies of the run.

The frontier admits a link once per run and only when the archive has not settled it in an
earlier run; the database is the authority, so several crawl processes can share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from newsalert.config.models import CrawlSettings, Outlet
from newsalert.crawler.sources import Candidate
from newsalert.domain import OutletTally, UrlStatus
from newsalert.pipelines.extract import FUTURE_TOLERANCE
from newsalert.pipelines.urls import MAX_URL_LENGTH, canonical_url, is_http_url
from newsalert.storage import ledger
from newsalert.storage.ledger import UrlRecord


@dataclass(frozen=True)
class Admitted:
    candidate: Candidate
    fetch_url: str
    canonical: str


class Frontier:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        outlets: list[Outlet],
        outlet_ids: dict[str, int],
        settings: CrawlSettings,
        *,
        now: datetime | None = None,
        topic_version: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.outlets = {outlet.name: outlet for outlet in outlets}
        self.outlet_ids = outlet_ids
        self.settings = settings
        self.max_articles = settings.max_articles_per_outlet
        now = now or datetime.now().astimezone()
        self.cutoff = now - timedelta(days=settings.max_age_days) if settings.max_age_days else None
        self.latest_believable = now + FUTURE_TOLERANCE
        # Off-topic pages judged under an older topic profile are fetched again while recent.
        self.reconsider = ledger.Reconsider(topic_version, self.cutoff) if topic_version else None
        self.tallies = {outlet.name: OutletTally() for outlet in outlets}
        self.storage_errors: list[str] = []
        self._claimed: set[str] = set()

    def admit(self, outlet: str, candidates: list[Candidate]) -> list[Admitted]:
        """The candidates to fetch, newest first: recent enough, not yet met, within the cap."""
        tally = self.tallies[outlet]
        fresh: dict[str, Admitted] = {}
        too_old: list[UrlRecord] = []
        for candidate in candidates:
            if not is_http_url(candidate.url):
                continue
            canonical = canonical_url(candidate.url)
            if canonical in self._claimed or canonical in fresh:
                continue
            tally.discovered += 1
            if self.cutoff and candidate.published_at and candidate.published_at < self.cutoff:
                tally.too_old += 1
                self._claimed.add(canonical)
                too_old.append(
                    UrlRecord(
                        canonical,
                        self.outlet_ids[outlet],
                        UrlStatus.TOO_OLD,
                        f"published {candidate.published_at:%Y-%m-%d}, before the "
                        f"{self.settings.max_age_days}-day window",
                    )
                )
                continue
            if len(canonical) > MAX_URL_LENGTH:  # percent-encoding can lengthen an address
                continue
            fresh[canonical] = Admitted(candidate, fetch_url(candidate.url), canonical)

        with self.sessions.begin() as session:
            if too_old:
                ledger.record_new_urls(session, too_old)
            settled = ledger.settled_urls(
                session, fresh.keys(), max_attempts=self.settings.max_attempts, reconsider=self.reconsider
            )
        tally.known += len(settled)
        self._claimed.update(settled)

        newest_first = sorted(
            (a for a in fresh.values() if a.canonical not in settled), key=self._recency, reverse=True
        )
        room = max(self.max_articles - tally.queued, 0)
        admitted = newest_first[:room]
        for item in admitted:
            self._claimed.add(item.canonical)
        tally.queued += len(admitted)
        return admitted

    def _recency(self, admitted: Admitted) -> float:
        """Newest first; a date more than a day ahead is no date (a feed saying 2099 must not
        put its links first for ever). Extraction turns it into the fetch time, with a note."""
        published = admitted.candidate.published_at
        if published is None or published > self.latest_believable:
            return float("-inf")
        return published.timestamp()

    def claim_redirect(self, canonical: str) -> bool:
        """Whether a redirect target may be fetched: not met in this run nor settled before."""
        if canonical in self._claimed:
            return False
        with self.sessions() as session:
            if ledger.settled_urls(
                session, [canonical], max_attempts=self.settings.max_attempts, reconsider=self.reconsider
            ):
                return False
        self._claimed.add(canonical)
        return True


def fetch_url(url: str) -> str:
    """The URL to request: canonical but for the host, which may need its `www.` to answer."""
    canonical = canonical_url(url)
    scheme, _, rest = canonical.partition("://")
    host = rest.split("/", 1)[0]
    original_host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if original_host.startswith("www.") and not host.startswith("www."):
        canonical = canonical.replace(f"{scheme}://{host}", f"{scheme}://www.{host}", 1)
    return canonical
