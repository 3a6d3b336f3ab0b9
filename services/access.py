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
]
