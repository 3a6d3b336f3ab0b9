"""Signing in for the app's tests: an account of a role on the database the app uses, and a
real session of it (through the same sign-in the form uses) handed to an AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services import accounts
from survey.db import create_db_engine
from survey.settings import get_settings

PASSWORD = "a long test password"
SESSION_KEY = "session_cookie"  # app_pages.access.SESSION_KEY


def account_session(role: str = "committee", email: str | None = None, url: str | None = None) -> str:
    """The session cookie of an account of `role` (made if missing) on the app's database."""
    engine = create_db_engine(url or get_settings().database_url)
    try:
        address = email or f"{role}@example.com"
        if accounts.account_of(engine=engine, email=address) is None:
            accounts.add_account(
                engine=engine, email=address, role=role, password=PASSWORD, actor="test-setup"
            )
        result = accounts.sign_in(engine=engine, email=address, password=PASSWORD, client="test")
        assert result.ok and result.cookie, result.message
        return result.cookie
    finally:
        engine.dispose()


def sign_in(at: AppTest, role: str = "committee", email: str | None = None) -> AppTest:
    """Let `at` run as a signed-in account of `role`."""
    at.session_state[SESSION_KEY] = account_session(role, email)
    return at
