"""Building the digest email and delivering it over SMTP.

Headers are built only from configuration and the date, never from scraped text; the
policy still refuses CR/LF in any header value. The password comes from the environment
variable named in the settings and is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr

from newsalert.config.models import SmtpSettings
from newsalert.domain import DigestStatus

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The SMTP server cannot be reached or refused the session: nothing was delivered."""


@dataclass(frozen=True)
class Outcome:
    recipient: str
    # sent, refused (permanent), failed (temporary: retried next run), unknown (the session
    # broke during DATA: it may have been delivered, so it is never sent again automatically)
    status: DigestStatus
    error: str | None = None


def build_message(
    *,
    subject: str,
    sender: str,
    recipient: str,
    text: str,
    html: str,
    date: datetime,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    message = _message(subject, sender, recipient, date, "digest")
    unsubscribe = [f"<mailto:{parseaddr(sender)[1]}?subject=unsubscribe>"]
    if unsubscribe_url:
        unsubscribe.insert(0, f"<{unsubscribe_url}>")
        if unsubscribe_url.startswith("https://"):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message["List-Unsubscribe"] = ", ".join(unsubscribe)
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _message(subject: str, sender: str, recipient: str, date: datetime, kind: str) -> EmailMessage:
    """A message with the headers every newsalert email has (not yet its body)."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(date)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "newsalert.invalid"
    message["Message-ID"] = make_msgid(kind, domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    return message


class SmtpSender:
    """One SMTP session for a run's messages: connect, secure, log in, send each.

    A message is sent step by step (MAIL, RCPT, then DATA) so that what the server answered
    is known at each step. `before_data` is called just before DATA: the caller records then
    that the message may reach the reader from now on. If the session breaks after that and
    before the server's reply, the outcome is `unknown` and the message is never sent again
    automatically. A temporary refusal (4xx) is tried again within the session, after
    `retry_delay` seconds and twice as long each time, `retries` times.
    """

    def __init__(
        self, settings: SmtpSettings, password: str | None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.password = password
        self.connection: smtplib.SMTP | None = None
        self.sleep = sleep

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

    def send(self, message: EmailMessage, *, before_data: Callable[[], None] = lambda: None) -> Outcome:
        recipient = message["To"]
        delay = self.settings.retry_delay
        for attempt in range(self.settings.retries + 1):
            outcome = self._transaction(message, before_data)
            if outcome.status != DigestStatus.FAILED or attempt == self.settings.retries:
                return outcome
            log.warning("temporary refusal for %s (%s); trying again in %g s", recipient, outcome.error, delay)
            self.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _transaction(self, message: EmailMessage, before_data: Callable[[], None]) -> Outcome:
        connection = self.connection
        assert connection is not None
        recipient = message["To"]
        sender = parseaddr(str(message["From"]))[1]
        try:
            connection.ehlo_or_helo_if_needed()
            code, reply = connection.mail(sender)
            if code == 250:
                code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                connection.rset()
                return _refusal(recipient, code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"the SMTP session failed: {_describe(exc)}") from None
        before_data()
        try:
            # smtplib raises when DATA itself is refused, but returns the reply to the message.
            code, reply = connection.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as exc:
            code, reply = exc.smtp_code, exc.smtp_error  # type: ignore[assignment]
        except (OSError, smtplib.SMTPException) as exc:
            # DATA may have completed without its reply reaching us: it may have been delivered.
            return Outcome(recipient, DigestStatus.UNKNOWN, f"the SMTP session broke during DATA: {_describe(exc)}")
        if code == 250:
            return Outcome(recipient, DigestStatus.SENT)
        with contextlib.suppress(OSError, smtplib.SMTPException):  # the server answered: nothing was delivered
            connection.rset()
        return _refusal(recipient, code, reply)

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _refusal(recipient: str, code: int, reply: bytes | str) -> Outcome:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return Outcome(recipient, DigestStatus.FAILED if 400 <= code < 500 else DigestStatus.REFUSED, f"{code} {text}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode('utf-8', 'replace') if isinstance(error, bytes) else error}"
    return f"{type(exc).__name__}: {exc}"


def smtp_password(settings: SmtpSettings) -> str | None:
    """The password from the environment variable the settings name, when there is a user."""
    return os.environ.get(settings.password_env) if settings.username else None


def send_notice(settings: SmtpSettings, *, recipient: str, subject: str, text: str) -> Outcome:
    """One plain-text message now (a subscription's confirmation request, say); DeliveryError
    when the server cannot be used."""
    message = _message(subject, settings.from_address, recipient, datetime.now().astimezone(), "notice")
    message.set_content(text, subtype="plain", charset="utf-8")
    with SmtpSender(settings, smtp_password(settings)) as sender:
        return sender.send(message)
