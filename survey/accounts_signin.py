"""Signing in: sessions kept on the server, and a throttle on wrong passwords kept in the
database (so every app server that shares it shares the count).

**Sessions.** The browser holds a random token (in a signed, HttpOnly cookie set by
:mod:`web.accounts`); the ``sign_in_session`` row holds only its SHA-256, the account, when it
was last used and when it expires. A session ends when signed out, after the idle time, at its
expiry, or when the account's password, role or status changes.

**The throttle.** Each attempt is counted before its password is checked (in the same write
transaction as the check of the locks, so concurrent attempts cannot slip past the limit) and
taken back when the password was right. Wrong passwords are so counted per *scope*: the
account, the client (its IP address) and the browser (a device cookie set at a successful
sign-in, which says "this browser knew the password of this account before"). At :data:`LIMIT` wrong
passwords within :data:`WINDOW` a scope is locked for 15 s, then 30 s, 60 s ... up to 15
minutes at each further lock; an attempt during a lock is answered at once with the seconds
left, without checking the password, and nothing ever sleeps. A locked *account* refuses only
browsers without its device cookie: the person who signed in from this browser before is never
kept out by someone else's guessing (OWASP's "device cookies" scheme), while a guesser without
the cookie is held to the account's limit however many addresses it comes from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey import auth
from survey.models import Account, AppSetting, SignInSession, SignInThrottle, table_of, utcnow

LIMIT = 10
WINDOW = timedelta(seconds=60)
FIRST_LOCK_SECONDS = 15
MAX_LOCK_SECONDS = 900
FORGET_LOCKS_AFTER = timedelta(hours=1)
SIGNING_KEY_SETTING = "session_signing_key"
TOUCH_EVERY = timedelta(seconds=60)


def _insert(session: Session) -> Any:
    return postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def signing_key(*, session: Session) -> bytes:
    """The key sign-in cookies are signed with: made on first use, kept in ``app_setting``."""
    existing = session.get(AppSetting, SIGNING_KEY_SETTING)
    if existing is None:
        session.execute(
            _insert(session)(table_of(AppSetting))
            .values(key=SIGNING_KEY_SETTING, value=secrets.token_hex(32), updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        existing = session.get(AppSetting, SIGNING_KEY_SETTING, populate_existing=True)
        assert existing is not None
    return bytes.fromhex(existing.value)


def sign(key: bytes, value: str) -> str:
    """`value` with an HMAC-SHA256 signature appended (``value.signature``)."""
    mac = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(key: bytes, signed: str | None) -> str | None:
    """The value of a signed text, or None when the signature does not match."""
    if not signed or "." not in signed or len(signed) > 2000:
        return None
    value, _, mac = signed.rpartition(".")
    expected = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return value if hmac.compare_digest(mac, expected) else None


# --- the throttle ------------------------------------------------------------------------------


def scopes(email: str, client: str, device: str | None) -> dict[str, str]:
    """The scopes an attempt counts against: the account, the client, the browser (if known)."""
    found = {"account": f"account:{email.strip().lower()[:320]}", "client": f"client:{client[:64]}"}
    if device:
        found["device"] = f"device:{device[:64]}"
    return found


def lock_seconds_left(*, session: Session, scope: str, now: datetime | None = None) -> float:
    now = now or utcnow()
    row = session.get(SignInThrottle, scope)
    until = _aware(row.locked_until) if row is not None else None
    return max(0.0, (until - now).total_seconds()) if until is not None else 0.0


def _locked_row(session: Session, scope: str, now: datetime) -> SignInThrottle:
    """The scope's row, made if missing, locked until the transaction ends (PostgreSQL)."""
    session.execute(
        _insert(session)(table_of(SignInThrottle))
        .values(scope=scope, window_start=now, failures=0, locks=0)
        .on_conflict_do_nothing(index_elements=["scope"])
    )
    row = session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.scope == scope)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def _count(row: SignInThrottle, now: datetime) -> float:
    window_start = _aware(row.window_start) or now
    locked_until = _aware(row.locked_until)
    if now - window_start >= WINDOW:
        if locked_until is not None and now - locked_until >= FORGET_LOCKS_AFTER:
            row.locks = 0  # a long quiet spell: the next lock is short again
        row.window_start, row.failures = now, 0
    row.failures += 1
    if row.failures < LIMIT:
        return 0.0
    row.locks += 1
    seconds = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (row.locks - 1))
    row.locked_until = now + timedelta(seconds=seconds)
    row.window_start, row.failures = now, 0
    return float(seconds)


def charge(
    *, session: Session, scopes: dict[str, str], exempt: frozenset[str] = frozenset()
) -> tuple[float, dict[str, float]]:
    """One attempt: the rows of its scopes are locked (in one order, so two attempts never wait
    on each other crosswise); if any scope but the `exempt` ones is locked, the seconds left and
    nothing counted; else the attempt is counted against every scope, as if its password were
    wrong (:func:`refund` takes that back), with the lock each count started."""
    now = utcnow()
    rows = {
        name: _locked_row(session, scope, now) for name, scope in sorted(scopes.items(), key=lambda i: i[1])
    }
    held = 0.0
    for name, row in rows.items():
        until = _aware(row.locked_until)
        if name not in exempt and until is not None:
            held = max(held, (until - now).total_seconds())
    if held > 0:
        return held, {}
    return 0.0, {name: _count(row, now) for name, row in rows.items()}


def refund(*, session: Session, scope: str, lock_started: bool) -> None:
    """Take back a failure counted before the password was checked, which turned out right
    (and the lock that count started, if it did)."""
    row = session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.scope == scope)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        return
    if lock_started:
        row.locked_until, row.locks = None, max(0, row.locks - 1)
        row.failures = LIMIT - 1
    else:
        row.failures = max(0, row.failures - 1)


def clear(*, session: Session, scope: str) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.scope == scope))


# --- sessions ----------------------------------------------------------------------------------


def start_session(*, session: Session, account: Account, hours: float) -> tuple[str, datetime]:
    """A new sign-in of `account`: the token for the cookie (stored only as its hash) and
    when it expires."""
    token = auth.new_token()
    now = utcnow()
    expires = now + timedelta(hours=hours)
    session.add(
        SignInSession(
            token_hash=auth.token_hash(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    return token, expires


@dataclass(frozen=True)
class SignedIn:
    """The account behind a live session."""

    email: str
    role: str
    expires_at: datetime


def live_session(*, session: Session, token: str, idle: timedelta, touch: bool = True) -> SignedIn | None:
    """The account of a session that is neither ended, expired, idle too long, nor of a
    disabled account; `touch`: mark it used now (at most once a minute)."""
    now = utcnow()
    found = session.execute(
        select(SignInSession, Account)
        .join(Account, Account.id == SignInSession.account_id)
        .where(SignInSession.token_hash == auth.token_hash(token))
    ).first()
    if found is None:
        return None
    row, account = found
    expires, seen = _aware(row.expires_at), _aware(row.last_seen_at)
    assert expires is not None and seen is not None
    if row.ended_at is not None or account.disabled or expires <= now or now - seen >= idle:
        return None
    if touch and now - seen >= TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(account.email, account.role, expires)


def end_session(*, session: Session, token: str) -> str | None:
    """End a session; the address of its account (None: there was no such live session)."""
    found = session.execute(
        select(SignInSession, Account)
        .join(Account, Account.id == SignInSession.account_id)
        .where(SignInSession.token_hash == auth.token_hash(token), SignInSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    found[0].ended_at = utcnow()
    return found[1].email
