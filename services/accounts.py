"""Accounts and signing in, for the app, the sign-in route and `materiality users`.

Sign-in answers at once: a wrong password, or an attempt while the throttle holds the account,
client or browser, comes back with a message and the seconds to wait (no sleep, no lock held
while a password is checked). See :mod:`survey.accounts_signin` for the throttle.
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from survey import accounts, accounts_signin, audit, auth
from survey.accounts_roles import CAN, ROLE_NAMES, ROLES, AccessDenied, may
from survey.accounts_signin import SignedIn
from survey.db import transaction
from survey.models import Account
from survey.settings import get_settings

__all__ = ["ROLES", "ROLE_NAMES", "CAN", "AccessDenied", "SignedIn", "may"]
WRONG = "That e-mail address and password do not match."
SESSION_COOKIE = "materiality_session"
DEVICE_COOKIE = "materiality_device"
DEVICE_COOKIE_DAYS = 180


@dataclass(frozen=True)
class AccountView:
    email: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return cls(
            account.email,
            account.role,
            account.disabled,
            account.password_hash is not None,
            account.created_at,
        )


def add_account(
    *, engine: Engine, email: str, role: str, password: str | None, actor: str | None = None
) -> AccountView:
    """A new account (`password` None: it signs in through the identity provider only)."""
    with transaction(engine) as session:
        return AccountView.of(
            accounts.add_account(session=session, email=email, role=role, password=password, actor=actor)
        )


def list_accounts(*, engine: Engine) -> list[AccountView]:
    with transaction(engine, write=False) as session:
        return [AccountView.of(a) for a in accounts.list_accounts(session=session)]


def set_disabled(*, engine: Engine, email: str, disabled: bool, actor: str | None = None) -> AccountView:
    with transaction(engine) as session:
        return AccountView.of(
            accounts.set_disabled(session=session, email=email, disabled=disabled, actor=actor)
        )


def set_role(*, engine: Engine, email: str, role: str, actor: str | None = None) -> AccountView:
    with transaction(engine) as session:
        return AccountView.of(accounts.set_role(session=session, email=email, role=role, actor=actor))


def reset_password(*, engine: Engine, email: str, password: str, actor: str | None = None) -> AccountView:
    """A new password for an account (an admin's act); its sign-ins elsewhere end."""
    with transaction(engine) as session:
        return AccountView.of(
            accounts.set_password(session=session, email=email, password=password, actor=actor)
        )


def change_own_password(*, engine: Engine, email: str, current: str, new: str) -> AccountView:
    """The signed-in account changes its own password, proving the current one."""
    with transaction(engine, write=False) as session:
        account = accounts.get_account(session=session, email=email)
        stored = account.password_hash
    if not auth.verify_password(current, stored):
        raise accounts.StoreError("current password: that is not the account's password")
    with transaction(engine) as session:
        changed = accounts.set_password(session=session, email=email, password=new, actor=email, own=True)
        return AccountView.of(changed)


# --- the first start ---------------------------------------------------------------------------


def first_start(*, engine: Engine) -> accounts.FirstAdmin:
    """Make the first admin when there is no account (see :func:`survey.accounts.ensure_first_admin`)."""
    settings = get_settings()
    try:
        with transaction(engine) as session:
            return accounts.ensure_first_admin(
                session=session, email=settings.admin_email, configured_password=settings.admin_password
            )
    except Exception:  # another process made the first admin at the same moment
        with transaction(engine, write=False) as session:
            if accounts.list_accounts(session=session):
                return accounts.FirstAdmin(None, None, "accounts exist")
        raise


def first_start_message(first: accounts.FirstAdmin) -> str | None:
    """What the console says after :func:`first_start` (None: nothing to say)."""
    if first.email is None:
        return None
    if first.password is not None:
        return (
            "\n  First admin account (made now): "
            f"{first.email}\n  One-time setup password (shown only now; only its hash is stored):\n"
            f"    {first.password}\n"
            "  Sign in, add people's accounts under Accounts, and give this account a password of your "
            "own under My account.\n  Lost it? `materiality users reset-password "
            f"{first.email}` sets a new one.\n"
        )
    return (
        f"\n  First admin account (made now): {first.email}, with {first.source}.\n"
        "  Add people's accounts under Accounts or with `materiality users add EMAIL --role ROLE`.\n"
    )


# --- signing in and out ------------------------------------------------------------------------

_keys: dict[str, bytes] = {}
_keys_guard = threading.Lock()


def _key(engine: Engine) -> bytes:
    name = engine.url.render_as_string(hide_password=False)
    with _keys_guard:
        if name not in _keys:
            with transaction(engine) as session:
                _keys[name] = accounts_signin.signing_key(session=session)
        return _keys[name]


@dataclass(frozen=True)
class SignInResult:
    """`account` and `cookie` (the session cookie's value) when signed in; else `message`
    and, when the throttle holds, `retry_after` seconds. `device_cookie`: the value of the
    browser's device cookie to set (on success)."""

    account: SignedIn | None
    message: str = ""
    cookie: str | None = None
    device_cookie: str | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.account is not None


def _device_of(key: bytes, email: str, device_cookie: str | None) -> str | None:
    value = accounts_signin.unsign(key, device_cookie)
    if value is None:
        return None
    owner, _, device = value.rpartition("|")
    return device if owner == email and device else None


def _wait_message(seconds: float) -> tuple[str, int]:
    wait = max(1, math.ceil(seconds))
    return f"Too many wrong passwords: try again in {wait} s.", wait


def sign_in(
    *, engine: Engine, email: str, password: str, client: str, device_cookie: str | None = None
) -> SignInResult:
    """Check an e-mail address and password from `client` (its address), through the throttle."""
    key = _key(engine)
    address = email.strip().lower()[:320]
    device = _device_of(key, address, device_cookie)
    scopes = accounts_signin.scopes(address, client, device)
    settings = get_settings()
    with transaction(engine) as session:  # the locks' check and this attempt's count, as one step
        held, started = accounts_signin.charge(
            session=session,
            scopes=scopes,
            exempt=frozenset({"account"}) if device else frozenset(),  # a browser that knew the password
        )
        if held > 0:
            message, wait = _wait_message(held)
            return SignInResult(None, message, retry_after=wait)
        account = accounts.find_account(session=session, email=address)
        stored = account.password_hash if account is not None and not account.disabled else None
    right = auth.verify_password(password, stored or auth.DUMMY_HASH) and stored is not None
    with transaction(engine) as session:
        if not right:
            lock = max(started.values(), default=0.0)
            audit.record(
                session=session,
                actor=address or "(no address)",
                action="signin.failed",
                object=f"account {address}",
                after={"client": client[:64], "lock_seconds": lock} if lock else {"client": client[:64]},
            )
            if lock:
                message, wait = _wait_message(lock)
                return SignInResult(None, f"{WRONG} {message}", retry_after=wait)
            return SignInResult(None, WRONG)
        assert account is not None
        for name in ("client", "device"):
            if name in scopes:
                accounts_signin.clear(session=session, scope=scopes[name])
        accounts_signin.refund(session=session, scope=scopes["account"], lock_started=started["account"] > 0)
        token, expires = accounts_signin.start_session(
            session=session, account=account, hours=settings.session_hours
        )
        audit.record(
            session=session,
            actor=address,
            action="signin.password",
            object=f"account {address}",
            after={"client": client[:64]},
        )
        signed_in = SignedIn(account.email, account.role, expires)
    device = device or secrets.token_urlsafe(16)
    return SignInResult(
        signed_in,
        cookie=accounts_signin.sign(key, token),
        device_cookie=accounts_signin.sign(key, f"{address}|{device}"),
    )


def _token(engine: Engine, cookie: str | None) -> str | None:
    return accounts_signin.unsign(_key(engine), cookie) if cookie else None


def session_account(*, engine: Engine, cookie: str | None) -> SignedIn | None:
    """The account of a live session cookie (None: none, forged, ended, idle or expired)."""
    token = _token(engine, cookie)
    if token is None:
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    with transaction(engine) as session:
        return accounts_signin.live_session(session=session, token=token, idle=idle)


def sign_out(*, engine: Engine, cookie: str | None) -> None:
    """End the session on the server: its cookie no longer signs anyone in, wherever it is kept."""
    token = _token(engine, cookie)
    if token is None:
        return
    with transaction(engine) as session:
        email = accounts_signin.end_session(session=session, token=token)
        if email is not None:
            audit.record(session=session, actor=email, action="signin.out", object=f"account {email}")


def account_of(*, engine: Engine, email: str) -> AccountView | None:
    """The account of an address the identity provider vouched for (None: it has none)."""
    with transaction(engine, write=False) as session:
        account = accounts.find_account(session=session, email=email)
        return AccountView.of(account) if account is not None else None
