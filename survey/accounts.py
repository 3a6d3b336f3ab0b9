"""Accounts: e-mail, role, password hash; created, disabled, re-enabled and given a new
password here, each change entered in the audit trail.

The first start makes the first admin (:func:`ensure_first_admin`): from a configured password,
else from the committee password of a database made before accounts existed, else with a
password generated now and shown once on the console.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from survey import audit, auth
from survey.accounts_roles import ROLES
from survey.errors import NotFound, StoreError
from survey.models import EMAIL_LENGTH, Account, AppSetting, SignInSession, utcnow

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+$")


def normalised_email(email: str) -> str:
    """The address in lower case without surrounding spaces; raises StoreError if it is none."""
    value = email.strip().lower()
    if not EMAIL_PATTERN.match(value) or len(value) > EMAIL_LENGTH:
        raise StoreError(
            f"email: '{email[:80]}' is not an e-mail address (name@domain, at most 320 characters)"
        )
    return value


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise StoreError(f"role: '{role[:40]}' is not one of {', '.join(ROLES)}")
    return role


def _checked_password(password: str) -> str:
    problem = auth.password_problem(password)
    if problem:
        raise StoreError(f"password: {problem}")
    return password


def find_account(*, session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == email.strip().lower()))


def get_account(*, session: Session, email: str) -> Account:
    account = find_account(session=session, email=email)
    if account is None:
        raise NotFound(f"no account for {email.strip()[:80]}")
    return account


def list_accounts(*, session: Session) -> Sequence[Account]:
    return session.scalars(select(Account).order_by(Account.email)).all()


def add_account(
    *, session: Session, email: str, role: str, password: str | None, actor: str | None = None
) -> Account:
    """A new account. `password` None: the account signs in only through the identity
    provider (OpenID Connect), which vouches for its address."""
    address = normalised_email(email)
    _checked_role(role)
    if password is not None:
        _checked_password(password)
    if find_account(session=session, email=address) is not None:
        raise StoreError(f"email: there is an account for {address} already")
    account = Account(
        email=address,
        role=role,
        password_hash=auth.hash_password(password) if password is not None else None,
        password_changed_at=utcnow() if password is not None else None,
    )
    session.add(account)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="account.add",
        object=f"account {address}",
        after={"role": role, "password": password is not None},
    )
    return account


def end_sessions(*, session: Session, account: Account) -> int:
    """End every sign-in of the account (after its password changed or it was disabled)."""
    ended = session.execute(
        update(SignInSession)
        .where(SignInSession.account_id == account.id, SignInSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def set_password(
    *, session: Session, email: str, password: str, actor: str | None = None, own: bool = False
) -> Account:
    """Give the account a new password and end its sign-ins elsewhere; `own`: the account
    changes its own password (allowed to every role)."""
    account = get_account(session=session, email=email)
    _checked_password(password)
    account.password_hash = auth.hash_password(password)
    account.password_changed_at = utcnow()
    ended = end_sessions(session=session, account=account)
    audit.record(
        session=session,
        actor=actor,
        action="account.own_password" if own else "account.reset_password",
        object=f"account {account.email}",
        after={"sessions_ended": ended},
    )
    return account


def set_disabled(*, session: Session, email: str, disabled: bool, actor: str | None = None) -> Account:
    """Disable an account (its sign-ins end at once) or enable it again. The last enabled admin
    cannot be disabled."""
    account = get_account(session=session, email=email)
    if disabled and account.role == "admin" and not account.disabled and _enabled_admins(session) <= 1:
        raise StoreError(f"{account.email} is the last enabled admin: add or enable another admin first")
    before = account.disabled
    account.disabled = disabled
    if disabled:
        end_sessions(session=session, account=account)
    audit.record(
        session=session,
        actor=actor,
        action="account.disable" if disabled else "account.enable",
        object=f"account {account.email}",
        before={"disabled": before},
        after={"disabled": disabled},
    )
    return account


def set_role(*, session: Session, email: str, role: str, actor: str | None = None) -> Account:
    account = get_account(session=session, email=email)
    _checked_role(role)
    if account.role == "admin" and role != "admin" and not account.disabled and _enabled_admins(session) <= 1:
        raise StoreError(f"{account.email} is the last enabled admin: make another admin first")
    before, account.role = account.role, role
    end_sessions(session=session, account=account)
    audit.record(
        session=session,
        actor=actor,
        action="account.role",
        object=f"account {account.email}",
        before={"role": before},
        after={"role": role},
    )
    return account


def _enabled_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.role == "admin", Account.disabled.is_(False))
        )
        or 0
    )


@dataclass(frozen=True)
class FirstAdmin:
    """What the first start did: `email` of the admin made now (None: there were accounts),
    `password` generated now and to be shown once (None otherwise), `source` in words."""

    email: str | None
    password: str | None
    source: str


def ensure_first_admin(*, session: Session, email: str, configured_password: str | None) -> FirstAdmin:
    """Make the first admin when there is no account yet.

    Its password is, in this order: `configured_password` (``MATERIALITY_ADMIN_PASSWORD``); the
    shared committee password of a database made before accounts existed (its hash is carried
    over, so the committee's password keeps working, now with the admin's address); a password
    generated now, returned once and stored only as a hash. Two processes starting at once make
    one admin: the loser's insert fails on the unique address and is rolled back by the caller.
    """
    if session.scalar(select(func.count()).select_from(Account)):
        return FirstAdmin(None, None, "accounts exist")
    address = normalised_email(email)
    legacy = session.get(AppSetting, auth.ADMIN_PASSWORD_SETTING)
    generated: str | None = None
    if configured_password:
        digest, source = auth.hash_password(configured_password), "the configured MATERIALITY_ADMIN_PASSWORD"
    elif legacy is not None and legacy.value.startswith("scrypt$"):
        digest, source = legacy.value, "the committee's shared password"
    else:
        generated = auth.generate_password()
        digest, source = auth.hash_password(generated), "a setup password generated now"
    session.add(Account(email=address, role="admin", password_hash=digest, password_changed_at=utcnow()))
    session.flush()
    audit.record(
        session=session,
        actor="system",
        action="system.first_admin",
        object=f"account {address}",
        after={"role": "admin", "password_from": source},
    )
    return FirstAdmin(address, generated, source)
