"""Accounts (admins only): who may sign in, with which role; add, disable, reset, change role."""

import pandas as pd
import streamlit as st

from app_pages.access import require
from app_pages.common import get_engine
from services import accounts
from services.access import ACCOUNTS, ROLE_NAMES, ROLES
from survey.errors import StoreError

me = require(ACCOUNTS)
st.title("Accounts")
engine = get_engine()
listed = accounts.list_accounts(engine=engine)
st.dataframe(
    pd.DataFrame(
        {
            "E-mail": [a.email for a in listed],
            "Role": [a.role for a in listed],
            "Status": ["disabled" if a.disabled else "enabled" for a in listed],
            "Signs in with": ["password" if a.has_password else "identity provider" for a in listed],
            "Added": [a.created_at for a in listed],
        }
    ),
    hide_index=True,
    width="stretch",
    key="accounts_table",
)
st.caption(" · ".join(ROLE_NAMES[r] for r in ROLES))


def done(message: str) -> None:
    st.session_state.accounts_done = message
    st.rerun()


if "accounts_done" in st.session_state:
    st.success(st.session_state.pop("accounts_done"))

add, change = st.columns(2)
with add, st.form("account_add", clear_on_submit=True):
    st.markdown("**Add an account**")
    email = st.text_input("E-mail address", key="add_email", max_chars=320)
    role = st.selectbox("Role", ROLES, index=1, key="add_role")
    password = st.text_input(
        "Password (at least 12 characters; leave empty for the identity provider only)",
        type="password",
        key="add_password",
        max_chars=1024,
    )
    if st.form_submit_button("Add", type="primary", key="add_submit"):
        try:
            added = accounts.add_account(engine=engine, email=email, role=role, password=password or None)
        except StoreError as error:
            st.error(str(error))
        else:
            done(f"Added {added.email} as {added.role}.")

with change, st.form("account_change"):
    st.markdown("**Change an account**")
    emails = [a.email for a in listed]
    target = st.selectbox("Account", emails, key="change_email")
    action = st.radio(
        "Change",
        ["New password", "Role", "Disable", "Enable"],
        horizontal=True,
        key="change_action",
    )
    new_role = st.selectbox("New role", ROLES, key="change_role")
    new_password = st.text_input("New password", type="password", key="change_password", max_chars=1024)
    if st.form_submit_button("Apply", key="change_submit") and target:
        try:
            if action == "New password":
                accounts.reset_password(engine=engine, email=target, password=new_password)
                message = f"New password set for {target}; its sign-ins have ended."
            elif action == "Role":
                accounts.set_role(engine=engine, email=target, role=new_role)
                message = f"{target} is now {new_role}."
            else:
                accounts.set_disabled(engine=engine, email=target, disabled=action == "Disable")
                message = f"{target}: {action.lower()}d."
        except StoreError as error:
            st.error(str(error))
        else:
            done(message)
