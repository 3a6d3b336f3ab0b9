"""Who may see what: the committee's sign-in, shared by `app.py` and the sign-in page.

With an ``[auth]`` section in Streamlit's secrets the committee signs in through the identity
provider (``st.login``); otherwise with the committee password of :mod:`survey.auth`.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import get_engine
from services.access import committee_password_hash
from survey import auth
from survey.settings import get_settings

SIGNED_IN = "committee_signed_in"


def _secret(name: str) -> object | None:
    try:
        return st.secrets.get(name)
    except FileNotFoundError:  # no secrets file at all
        return None


def uses_identity_provider() -> bool:
    return _secret("auth") is not None


def configured_password() -> str | None:
    password = (
        get_settings().admin_password or _secret("MATERIALITY_ADMIN_PASSWORD") or _secret("admin_password")
    )
    return str(password) if password else None


@st.cache_resource(show_spinner=False)
def password_hash() -> str:
    """The hash sign-ins are checked against; generates and prints a password on first start."""
    digest, generated = committee_password_hash(engine=get_engine(), configured=configured_password())
    if generated:
        print(
            "\n  Committee password (generated, shown only this once; only its hash is stored):\n"
            f"    {generated}\n"
            "  Set MATERIALITY_ADMIN_PASSWORD to choose your own.\n",
            flush=True,
        )
    return digest


def committee_signed_in() -> bool:
    if uses_identity_provider():
        return bool(st.user.is_logged_in)
    return bool(st.session_state.get(SIGNED_IN, False))


def sign_in_with_password(password: str) -> bool:
    ok = auth.LOGIN_THROTTLE.check(password, password_hash())
    if ok:
        st.session_state[SIGNED_IN] = True
    return ok


def sign_out() -> None:
    if uses_identity_provider():
        st.logout()
    else:
        st.session_state.pop(SIGNED_IN, None)


def sign_out_button() -> None:
    st.sidebar.button("Sign out", on_click=sign_out, key="sign_out")
