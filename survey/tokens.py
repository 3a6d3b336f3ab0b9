"""Survey link tokens.

A link is ``{base_url}/survey?token=TOKEN``. A token is 32 random bytes from :mod:`secrets`
(256 bits, URL-safe base64); the database keeps only its SHA-256, so neither the database nor
one link tells anything about another link. A token is shown exactly once, when it is issued.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from survey.errors import UnknownLink

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
