"""The committee's password, kept only as a hash."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from survey import auth
from survey.db import transaction


def committee_password_hash(*, engine: Engine, configured: str | None) -> tuple[str, str | None]:
    """The hash sign-ins are checked against, and a password generated just now (else None):
    a configured password wins, then the stored hash; with neither, a new password is
    generated and only its hash stored."""
    with transaction(engine) as session:
        return auth.ensure_admin_password(session=session, configured=configured)
