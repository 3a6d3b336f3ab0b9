"""Passwords, kept only as scrypt hashes, and the random secrets of sign-in.

Accounts (:mod:`survey.accounts`) store ``hash_password``'s text. Before accounts existed the
committee shared one password whose hash sat in ``app_setting`` under
:data:`ADMIN_PASSWORD_SETTING`; the first start of this version turns it into the first admin
account (:func:`survey.accounts.ensure_first_admin`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ADMIN_PASSWORD_SETTING = "admin_password_hash"
# scrypt cost: 16 MiB of memory and some 50 ms per check (RFC 7914 recommends N=2^14, r=8, p=1
# for interactive logins).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$key`` with URL-safe base64 salt and key."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    encode = lambda b: base64.urlsafe_b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt)}${encode(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (in constant time for equal-length keys)."""
    if not stored or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        scheme, n, r, p, salt_text, key_text = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_text)
        expected = base64.urlsafe_b64decode(key_text)
        key = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(key, expected)


DUMMY_HASH = hash_password("no account has this password", salt=b"\0" * SALT_BYTES)
"""Checked against when an address has no account, so that an unknown address takes as long."""


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used (None: it can)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password may have at most {MAX_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "a password cannot be only spaces"
    return None


def generate_password() -> str:
    """A password of 20 URL-safe characters (120 random bits)."""
    return secrets.token_urlsafe(15)


def new_token() -> str:
    """A session token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
