"""My account: who is signed in, with what role, and a new password of one's own."""

import streamlit as st

from app_pages.access import require
from app_pages.common import get_engine
from services import accounts
from services.access import ROLE_NAMES
from survey.errors import StoreError

account = require(None)  # every role
st.title("My account")
st.markdown(f"Signed in as **{account.email}**. Role: {ROLE_NAMES.get(account.role, account.role)}.")
st.caption(f"This sign-in ends at {account.expires_at:%Y-%m-%d %H:%M} UTC at the latest, sooner when unused.")
with st.form("own_password", clear_on_submit=True):
    st.markdown("**A new password**")
    current = st.text_input("Current password", type="password", key="own_current", max_chars=1024)
    new = st.text_input(
        "New password (at least 12 characters)", type="password", key="own_new", max_chars=1024
    )
    again = st.text_input("New password again", type="password", key="own_again", max_chars=1024)
    if st.form_submit_button("Change my password", key="own_change"):
        if new != again:
            st.error("The two new passwords differ.")
        else:
            try:
                accounts.change_own_password(
                    engine=get_engine(), email=account.email, current=current, new=new
                )
            except StoreError as error:
                st.error(str(error))
            else:
                st.success("Password changed. Your other sign-ins have ended; sign in again here.")
