"""Who is signed in, and what their role lets them see and do; shared by navigation.py and
the pages.

A browser signs in at ``/sign-in`` (:mod:`web.accounts`), which sets the session cookie that
``st.context.cookies`` hands over here; the in-app form of the sign-in page keeps the same
kind of session in the run's session state instead (it cannot set an HttpOnly cookie). With an
``[auth]`` section in Streamlit's secrets people may also sign in through the identity provider
(``st.login``): their address must belong to an enabled account, whose role applies.
Every run checks the session on the server again, so a sign-out, a disabled account or a
changed role holds at the next click.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages.common import get_engine
from services import accounts, audit
from services.access import AccessDenied, may

SESSION_KEY = "session_cookie"  # the in-app sign-in's session (the browser's is its cookie)
SIGNED_IN_AS = "signed_in_as"


@st.cache_resource(show_spinner=False)
def first_admin() -> None:
    """Make the first admin if there is no account (the server does so when it starts; this
    covers a run without it), printing a generated password once on the console."""
    message = accounts.first_start_message(accounts.first_start(engine=get_engine()))
    if message:
        print(message, flush=True)


def _secret(name: str) -> object | None:
    try:
        return st.secrets.get(name)
    except FileNotFoundError:  # no secrets file at all
        return None


def uses_identity_provider() -> bool:
    return _secret("auth") is not None


def _session_cookie() -> str | None:
    try:
        cookie = st.context.cookies.get(accounts.SESSION_COOKIE)
    except Exception:  # no browser behind this run (a test)
        cookie = None
    if not isinstance(cookie, str) or not cookie:  # AppTest has no browser: a stand-in object
        cookie = st.session_state.get(SESSION_KEY)
    return cookie if isinstance(cookie, str) else None


def _from_identity_provider() -> accounts.SignedIn | None:
    if not uses_identity_provider() or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    found = accounts.account_of(engine=get_engine(), email=email) if email else None
    if found is None or found.disabled:
        return None
    return accounts.SignedIn(found.email, found.role, datetime.now(UTC) + timedelta(hours=1))


def current_account() -> accounts.SignedIn | None:
    """The signed-in account, checked on the server for this run (None: nobody)."""
    account = accounts.session_account(engine=get_engine(), cookie=_session_cookie())
    account = account or _from_identity_provider()
    if account is None:
        st.session_state.pop(SIGNED_IN_AS, None)
    else:
        st.session_state[SIGNED_IN_AS] = account.email
    return account


def identity_provider_refused() -> str | None:
    """Why someone signed in at the identity provider is not let in (None: they are, or nobody is)."""
    if not uses_identity_provider() or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    found = accounts.account_of(engine=get_engine(), email=email) if email else None
    if found is None:
        return f"{email or 'This sign-in'} has no account here: ask an admin to add it."
    if found.disabled:
        return f"The account {found.email} is disabled."
    return None


def _acting() -> str | None:
    """The audit trail's actor in a run of the app: the account this session signed in as."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    value = st.session_state.get(SIGNED_IN_AS)
    return str(value) if value else None


audit.use_actor_resolver(_acting)


def current_account_email() -> str | None:
    """The address of the account this run signed in as (checked by :func:`current_account`)."""
    value = st.session_state.get(SIGNED_IN_AS)
    return str(value) if value else None


def role() -> str | None:
    account = current_account()
    return account.role if account else None


def allowed(capability: str) -> bool:
    return may(role(), capability)


def require(capability: str | None) -> accounts.SignedIn:
    """The signed-in account if its role has `capability` (None: any role); else the page says
    so and stops."""
    account = current_account()
    if account is None or (capability is not None and not may(account.role, capability)):
        st.error(str(AccessDenied(f"This page needs the {capability or 'signed-in'} right.")))
        st.stop()
    return account


def sign_in_with_password(email: str, password: str) -> accounts.SignInResult:
    """The in-app form's sign-in (a session kept in this browser tab's session state)."""
    client = getattr(st.context, "ip_address", None)
    client = client if isinstance(client, str) and client else "app"
    result = accounts.sign_in(engine=get_engine(), email=email, password=password, client=client)
    if result.ok:
        st.session_state[SESSION_KEY] = result.cookie
    return result


def sign_out() -> None:
    accounts.sign_out(engine=get_engine(), cookie=_session_cookie())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(SIGNED_IN_AS, None)
    if uses_identity_provider() and st.user.is_logged_in:
        st.logout()


def sign_out_button(account: accounts.SignedIn) -> None:
    st.sidebar.caption(f"Signed in as {account.email} ({account.role})")
    st.sidebar.button("Sign out", on_click=sign_out, key="sign_out")


def plain_error(error: Exception) -> bool:
    """Show a failed run as a plain message (the details go to the server's log only)."""
    import logging

    from survey.db import describe_database_error

    logging.getLogger("materiality.app").error("page failed", exc_info=error)
    trouble = describe_database_error(error)
    if trouble is not None:  # busy, full, read-only, unreachable: the committee's plain message
        st.error(f"The database could not do this: {trouble}. Please try again in a minute.")
    else:
        st.error("Something went wrong on this page. The details are in the server's log; try again.")
    return True
