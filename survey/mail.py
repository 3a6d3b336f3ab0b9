"""Sending mail through the company's SMTP server, as the settings say.

``MATERIALITY_SMTP_URL`` names the server: ``smtp://user:password@host:587`` speaks plain SMTP and
switches to TLS with STARTTLS when the server offers it (required when the URL has a password:
it is never sent unencrypted); ``smtps://user:password@host:465`` uses TLS from the start.
Special characters in the user or password are percent-encoded (``%40`` for ``@``).
Certificates are verified against the system's CAs, or ``MATERIALITY_SMTP_CA_FILE``.
``MATERIALITY_MAIL_PER_MINUTE`` spaces the messages out; ``MATERIALITY_SMTP_TIMEOUT`` bounds
every wait for the server.

:class:`Mailbox` sends one message at a time over one connection. A message the server refuses
(a bad recipient, a full mailbox) raises :class:`MessageRefused`; a server that cannot be
reached, refuses the sign-in or drops the connection twice raises :class:`ServerUnavailable`.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from types import TracebackType
from urllib.parse import unquote, urlsplit

from survey.errors import StoreError
from survey.settings import Settings

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


class MailSetupError(StoreError):
    """The mail settings are missing or wrong; the message names the setting."""


class MailError(Exception):
    """A message was not sent; `reason` says why (the server's reply when there is one)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MessageRefused(MailError):
    """The server refused this message; others may still go through."""


class ServerUnavailable(MailError):
    """The server cannot be used now; no message will go through."""


@dataclass(frozen=True)
class MailServer:
    """Where and how to send, read from the settings (the password is never shown)."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    sender: Address
    timeout: float
    per_minute: float
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> MailServer:
        if not settings.smtp_url:
            raise MailSetupError(
                "no mail server: set MATERIALITY_SMTP_URL, e.g. smtp://user:password@mail.example.com:587"
            )
        url = urlsplit(settings.smtp_url.strip())
        if url.scheme not in DEFAULT_PORTS or not url.hostname:
            raise MailSetupError(
                "MATERIALITY_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465"
            )
        try:
            port = url.port or DEFAULT_PORTS[url.scheme]
        except ValueError:
            raise MailSetupError("MATERIALITY_SMTP_URL has a port that is not a number") from None
        return cls(
            host=url.hostname,
            port=port,
            implicit_tls=url.scheme == "smtps",
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password is not None else None,
            sender=sender_address(settings.mail_from),
            timeout=settings.smtp_timeout,
            per_minute=settings.mail_per_minute,
            ca_file=settings.smtp_ca_file,
        )

    def describe(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def sender_address(text: str | None) -> Address:
    """``MATERIALITY_MAIL_FROM`` as an address; only its e-mail part is checked."""
    if not text or not text.strip():
        raise MailSetupError("no sender: set MATERIALITY_MAIL_FROM, e.g. 'ESG Committee <esg@example.com>'")
    display, address = parseaddr(" ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text).split()))
    if "@" not in address:
        raise MailSetupError(f"MATERIALITY_MAIL_FROM {text!r} has no e-mail address")
    local, domain = address.rsplit("@", 1)
    try:
        return Address(display_name=display, username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise MailSetupError(f"MATERIALITY_MAIL_FROM {text!r} is not an address: {exc}") from None


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


class Mailbox:
    """One connection to the server, opened on the first message, spacing messages as the rate
    limit says. Use as a context manager."""

    def __init__(self, server: MailServer):
        self.server = server
        self._smtp: smtplib.SMTP | None = None
        self._last_sent: float | None = None

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.server.ca_file)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        where = f"{server.host}:{server.port}"
        smtp: smtplib.SMTP
        try:
            if server.implicit_tls:
                smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            smtp.ehlo()
            if not server.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                elif server.password is not None:
                    smtp.close()
                    raise ServerUnavailable(
                        f"{where} does not offer STARTTLS: the password would go unencrypted "
                        "(use smtps:// or a server with STARTTLS)"
                    )
            if server.username is not None:
                smtp.login(server.username, server.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnavailable(
                f"{where} refused the sign-in: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise ServerUnavailable(f"{where} answered {_reply(exc.smtp_code, exc.smtp_error)}") from None
        except ssl.SSLError as exc:
            raise ServerUnavailable(f"TLS with {where} failed: {exc.reason or exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ServerUnavailable(f"cannot reach the mail server {where}: {exc}") from None
        return smtp

    def _wait_turn(self) -> None:
        if self._last_sent is not None:
            gap = 60.0 / self.server.per_minute - (time.monotonic() - self._last_sent)
            if gap > 0:
                time.sleep(gap)

    def send(self, message: EmailMessage) -> None:
        """Send one message (its To header names the one recipient)."""
        self._wait_turn()
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise MessageRefused(f"the server refused the recipient: {_reply(code, reply)}") from None
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                raise MessageRefused(
                    f"the server refused the message: {_reply(exc.smtp_code, exc.smtp_error)}"
                ) from None
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self.close()
                if attempt == 2:
                    raise ServerUnavailable(f"the mail server closed the connection: {exc}") from None
                continue
            finally:
                self._last_sent = time.monotonic()
            return
