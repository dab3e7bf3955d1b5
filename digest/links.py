"""Signed links from the emails to `newsalert web`: unsubscribe, manage one's alerts, confirm a
subscription, and each alert's feed.

A token names a subscriber by id and by a fingerprint of their address, signed with HMAC-SHA256
under a secret read from the environment (web.secret_env), one salt per purpose: an unsubscribe
token cannot confirm, and a token outlives neither the secret nor the subscriber (an id used
again for another address does not match its fingerprint). Confirmation tokens expire.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadData, URLSafeTimedSerializer

from newsalert.config import ConfigError
from newsalert.config.models import WebSettings

Purpose = Literal["unsubscribe", "manage", "confirm"]
CONFIRM_DAYS = 7  # a pending subscription's confirmation link works this long
MIN_SECRET_CHARS = 16


class BadToken(ValueError):
    """A token that was tampered with, signed with another secret, expired, or of another kind."""


def fingerprint(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


class Signer:
    def __init__(self, secret: str) -> None:
        self._serializers = {
            purpose: URLSafeTimedSerializer(
                secret, salt=f"newsalert/{purpose}", signer_kwargs={"digest_method": hashlib.sha256}
            )
            for purpose in ("unsubscribe", "manage", "confirm")
        }

    def token(self, purpose: Purpose, subscriber_id: int, email: str) -> str:
        return str(self._serializers[purpose].dumps([subscriber_id, fingerprint(email)]))

    def subscriber(self, purpose: Purpose, token: str) -> tuple[int, str]:
        """The (subscriber id, address fingerprint) a token names, or BadToken."""
        max_age = CONFIRM_DAYS * 86400 if purpose == "confirm" else None
        try:
            payload = self._serializers[purpose].loads(token, max_age=max_age)
        except BadData:
            raise BadToken(f"not a valid {purpose} link") from None
        match payload:
            case [int() as subscriber_id, str() as address]:
                return subscriber_id, address
        raise BadToken(f"not a valid {purpose} link")


def secret(settings: WebSettings) -> str | None:
    """The signing secret from the environment, None when unset; ConfigError when too short."""
    value = os.environ.get(settings.secret_env, "").strip()
    if not value:
        return None
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"${settings.secret_env}",
            f"the link-signing secret needs at least {MIN_SECRET_CHARS} characters "
            "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
        )
    return value


def require_secret(settings: WebSettings) -> str:
    value = secret(settings)
    if value is None:
        raise ConfigError(
            f"${settings.secret_env}",
            "not set: it signs the unsubscribe, manage and confirmation links "
            "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
        )
    return value


@dataclass(frozen=True)
class Links:
    """The web app's addresses under `base` (no trailing slash)."""

    base: str
    signer: Signer

    @classmethod
    def from_settings(cls, settings: WebSettings, base: str | None = None) -> Links | None:
        """The links for the emails, None when web.base_url is unset; ConfigError when it is set
        and the secret is not."""
        address = base or (str(settings.base_url) if settings.base_url else None)
        if address is None:
            return None
        return cls(address.rstrip("/"), Signer(require_secret(settings)))

    def unsubscribe(self, subscriber_id: int, email: str) -> str:
        return f"{self.base}/unsubscribe/{self.signer.token('unsubscribe', subscriber_id, email)}"

    def manage(self, subscriber_id: int, email: str) -> str:
        return f"{self.base}/manage/{self.signer.token('manage', subscriber_id, email)}"

    def confirm(self, subscriber_id: int, email: str) -> str:
        return f"{self.base}/confirm/{self.signer.token('confirm', subscriber_id, email)}"

    def feed(self, feed_key: str) -> str:
        return f"{self.base}/feeds/{feed_key}.atom"
