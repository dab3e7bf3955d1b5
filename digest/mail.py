"""Building the digest email and delivering it over SMTP.

Headers are built only from configuration and the date, never from scraped text; the
policy still refuses CR/LF in any header value. The password comes from the environment
variable named in the settings and is never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr

from newsalert.config.models import SmtpSettings

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The SMTP server cannot be reached or refused the session: nothing was delivered."""


@dataclass(frozen=True)
class Outcome:
    recipient: str
    status: str  # sent, refused (permanent), failed (temporary: retried next run)
    error: str | None = None


def build_message(*, subject: str, sender: str, recipient: str, text: str, html: str, date: datetime,
                  unsubscribe_url: str | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(date)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "newsalert.invalid"
    message["Message-ID"] = make_msgid("digest", domain=domain)
    unsubscribe = [f"<mailto:{parseaddr(sender)[1]}?subject=unsubscribe>"]
    if unsubscribe_url:
        unsubscribe.insert(0, f"<{unsubscribe_url}>")
        if unsubscribe_url.startswith("https://"):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message["List-Unsubscribe"] = ", ".join(unsubscribe)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def unsubscribe_link(base: str | None, email: str) -> str | None:
    if not base:
        return None
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}email={Address(addr_spec=email).addr_spec}"


class SmtpSender:
    """One SMTP session for a run's messages: connect, secure, log in, send each."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        s = self.settings
        context = ssl.create_default_context()  # verifies the certificate and the host name
        try:
            if s.security == "ssl":
                self.connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                self.connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    self.connection.starttls(context=context)
            if s.username:
                if not self.password:
                    raise DeliveryError(f"smtp.username is set but ${s.password_env} is empty")
                self.connection.login(s.username, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise DeliveryError(f"cannot use the SMTP server {s.host}:{s.port}: {_describe(exc)}") from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def send(self, message: EmailMessage) -> Outcome:
        assert self.connection is not None
        recipient = message["To"]
        try:
            self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            status = "refused" if code >= 500 else "failed"
            return Outcome(recipient, status, f"{code} {reason.decode('utf-8', 'replace')}")
        except smtplib.SMTPResponseException as exc:
            status = "failed" if 400 <= exc.smtp_code < 500 else "refused"
            return Outcome(recipient, status, _describe(exc))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"the SMTP session failed: {_describe(exc)}") from None
        return Outcome(recipient, "sent")

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode('utf-8', 'replace') if isinstance(error, bytes) else error}"
    return f"{type(exc).__name__}: {exc}"
