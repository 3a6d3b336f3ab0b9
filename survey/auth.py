"""Committee access: one shared password, kept only as a scrypt hash.

The password comes from ``MATERIALITY_ADMIN_PASSWORD`` (or the app's secrets). When none is
configured, the first start generates one, stores its hash in the ``app_setting`` table and
hands the password back once so it can be printed on the console. Logins go through
:class:`LoginThrottle`, which serialises attempts and slows them down after failures.

(A deployment with an identity provider configures Streamlit's ``[auth]`` secrets instead;
the app then signs the committee in with ``st.login`` and this module is not used.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.models import AppSetting, table_of, utcnow

ADMIN_PASSWORD_SETTING = "admin_password_hash"
# scrypt cost: 16 MiB of memory and some 50 ms per check (RFC 7914 recommends N=2^14, r=8, p=1
# for interactive logins).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$key`` with URL-safe base64 salt and key."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    encode = lambda b: base64.urlsafe_b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt)}${encode(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash (in constant time for equal-length keys)."""
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


def generate_password() -> str:
    """A password of 20 URL-safe characters (120 random bits)."""
    return secrets.token_urlsafe(15)


def stored_password_hash(*, session: Session) -> str | None:
    return session.scalar(select(AppSetting.value).where(AppSetting.key == ADMIN_PASSWORD_SETTING))


def ensure_admin_password(*, session: Session, configured: str | None) -> tuple[str, str | None]:
    """The hash logins are checked against, and a password generated just now (else None).

    A configured password wins. Otherwise the stored hash is used; when there is none, a new
    password is generated and only its hash stored. Two processes starting at once store one
    hash between them: the insert that loses does nothing and its password is not returned.
    """
    if configured:
        return hash_password(configured), None
    existing = stored_password_hash(session=session)
    if existing:
        return existing, None
    password = generate_password()
    digest = hash_password(password)
    insert_fn = postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert
    table = table_of(AppSetting)
    inserted = session.execute(
        insert_fn(table)
        .values(key=ADMIN_PASSWORD_SETTING, value=digest, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.key)
    ).scalar_one_or_none()
    if inserted is not None:
        return digest, password
    return stored_password_hash(session=session) or digest, None


class LoginThrottle:
    """Slows password guessing: attempts run one at a time, and after `n` recent failures
    each attempt first waits ``base * 2**(n-1)`` seconds (at most `cap`). Failures older than
    `window` seconds are forgotten; a success clears them."""

    def __init__(
        self,
        *,
        base: float = 0.5,
        cap: float = 8.0,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base, self.cap, self.window = base, cap, window
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._failures: list[float] = []

    def delay(self) -> float:
        now = self._clock()
        self._failures = [t for t in self._failures if now - t < self.window]
        if not self._failures:
            return 0.0
        return min(self.cap, self.base * 2 ** (len(self._failures) - 1))

    @contextmanager
    def attempt(self) -> Iterator[Callable[[bool], None]]:
        """``with throttle.attempt() as outcome: outcome(check())``."""
        with self._lock:
            self._sleep(self.delay())
            results: list[bool] = []
            yield results.append
            if results and results[-1]:
                self._failures.clear()
            else:
                self._failures.append(self._clock())

    def check(self, password: str, stored_hash: str) -> bool:
        with self.attempt() as outcome:
            ok = verify_password(password, stored_hash)
            outcome(ok)
        return ok


LOGIN_THROTTLE = LoginThrottle()
