"""Who may do what: the roles' rights, for the faces to show and check (the data side checks
every audited change again, see :mod:`survey.accounts_roles`)."""

from __future__ import annotations

from survey.accounts_roles import (
    ACCOUNTS,
    AUDIT,
    CAN,
    CHANGE,
    RATE,
    ROLE_NAMES,
    ROLES,
    VIEW,
    AccessDenied,
    may,
)

__all__ = [
    "ACCOUNTS",
    "AUDIT",
    "CAN",
    "CHANGE",
    "RATE",
    "ROLE_NAMES",
    "ROLES",
    "VIEW",
    "AccessDenied",
    "may",
    "require",
]


def require(role: str | None, capability: str, what: str) -> None:
    """Raise :class:`AccessDenied` unless `role` has `capability` (`what`: the act, for the message)."""
    if not may(role, capability):
        raise AccessDenied(f"{what} needs the {capability} right, which the {role or 'anonymous'} role lacks")
