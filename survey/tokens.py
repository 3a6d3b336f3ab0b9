"""Survey link tokens.

A link is ``{base_url}/survey?token=TOKEN``. A token is 32 random bytes from :mod:`secrets`
(256 bits, URL-safe base64); the database keeps only its SHA-256, so neither the database nor
one link tells anything about another link. A token is shown exactly once, when it is issued,
except for a link that is mailed: it is kept *sealed* (encrypted with ``MATERIALITY_MAIL_KEY``,
which is not in the database) until it has been mailed and answered, so that a failed message
can be sent again and a reminder carries the same link (:mod:`survey.contacts`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from survey.errors import StoreError, UnknownLink

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

TOKEN_BYTES = 32
# What token_urlsafe produces; anything else is rejected before the database is asked.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed(token: str | None) -> bool:
    return bool(token) and _TOKEN_SHAPE.fullmatch(token or "") is not None


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/survey?token={token}"


def token_from_link(link_or_token: str) -> str:
    """The token of a survey link (or the argument itself when it is a bare token)."""
    text = link_or_token.strip()
    if "token=" in text:
        values = parse_qs(urlsplit(text).query).get("token") or parse_qs(text.split("?", 1)[-1]).get("token")
        text = values[0] if values else ""
    if not is_well_formed(text):
        raise UnknownLink("that is not a survey link or token")
    return text


# --- sealed tokens (links kept for mailing) ----------------------------------------------------


class SealError(StoreError):
    """The mail key is missing or wrong, or a sealed link cannot be opened with it."""


def new_mail_key() -> str:
    """A fresh key for ``MATERIALITY_MAIL_KEY`` (Fernet: AES-128-CBC with an HMAC-SHA256 tag)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def _fernet(key: str | None) -> Fernet:
    from cryptography.fernet import Fernet

    if not key:
        raise SealError(
            "no MATERIALITY_MAIL_KEY: links to be mailed are kept encrypted with it until they are "
            "sent and answered; make one with `materiality contacts new-key` and set it"
        )
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SealError(
            "MATERIALITY_MAIL_KEY is not a valid key (32 bytes, URL-safe base64); "
            "make one with `materiality contacts new-key`"
        ) from None


def check_mail_key(key: str | None) -> None:
    """Raise :class:`SealError` unless `key` can seal links."""
    _fernet(key)


def seal(token: str, key: str | None) -> bytes:
    """The token encrypted and authenticated with the mail key."""
    return _fernet(key).encrypt(token.encode("ascii"))


def unseal(sealed: bytes, key: str | None) -> str:
    """The token of a sealed link; :class:`SealError` when it was sealed with another key."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(key).decrypt(sealed).decode("ascii")
    except InvalidToken:
        raise SealError("the link was sealed with another MATERIALITY_MAIL_KEY") from None
