"""Roles and what each may do: the one table every page, action and service asks.

- ``admin``: accounts and settings, and everything the committee does.
- ``committee``: all the work (assessments, fieldwork, methods, imports, reports) but accounts.
- ``assessor``: rates the impacts, risks and opportunities assigned to them.
- ``auditor``: reads everything, the audit trail and the assurance pack; changes nothing.

Every change is entered in the audit trail, and :func:`survey.audit.record` asks
:func:`refusal` first, in the same transaction: an account whose role may not make a change
cannot make it through any face, and a disabled account makes none.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.errors import StoreError
from survey.models import Account

ROLES = ("admin", "committee", "assessor", "auditor")
VIEW, CHANGE, RATE, ACCOUNTS, AUDIT = "view", "change", "rate", "accounts", "audit"
CAN: dict[str, frozenset[str]] = {
    "admin": frozenset({VIEW, CHANGE, RATE, ACCOUNTS, AUDIT}),
    "committee": frozenset({VIEW, CHANGE, RATE}),
    "assessor": frozenset({RATE}),
    "auditor": frozenset({VIEW, AUDIT}),
}
ROLE_NAMES = {
    "admin": "Admin: accounts and settings, and all the committee's work",
    "committee": "Committee: all the work but accounts",
    "assessor": "Assessor: rates what is assigned to them",
    "auditor": "Auditor: reads everything and the audit trail, changes nothing",
}


class AccessDenied(StoreError):
    """The account acting may not do this."""


def may(role: str | None, capability: str) -> bool:
    return role is not None and capability in CAN.get(role, frozenset())


def needed(action: str) -> str | None:
    """The capability an audited action needs (None: anyone may, e.g. signing in)."""
    if action.startswith(("signin.", "session.", "system.", "account.own_")):
        return None
    if action.startswith("account."):
        return ACCOUNTS
    if action.startswith(("rating.", "iro.rating")):
        return RATE
    return CHANGE


def refusal(session: Session, actor: str, action: str, *, accounts_only: bool) -> str | None:
    """Why `actor` may not do `action` (None: it may). An actor that is no account (the command
    line's OS user, a named script) may act unless `accounts_only`, as in the app."""
    need = needed(action)
    if need is None:
        return None
    account = session.scalar(select(Account).where(Account.email == actor.strip().lower()))
    if account is None:
        return f"{actor} has no account and may not {action}" if accounts_only else None
    if account.disabled:
        return f"the account {account.email} is disabled"
    if need not in CAN.get(account.role, frozenset()):
        return f"{account.email} ({account.role}) may not {action}: that needs the {need} right"
    return None
