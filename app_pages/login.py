"""Sign-in; with the survey, the only page anyone can reach.

Browsers are sent to the plain sign-in form at ``/sign-in`` before the app loads; this page
is what a session sees whose sign-in ended while it was open (and what the tests drive).
"""

import streamlit as st

from app_pages.access import (
    first_admin,
    identity_provider_refused,
    sign_in_with_password,
    uses_identity_provider,
)
from survey import i18n

first_admin()
st.title("Committee sign-in")
if uses_identity_provider():
    refused = identity_provider_refused()
    if refused:
        st.error(refused)
        st.button("Sign out of the identity provider", on_click=st.logout, key="idp_sign_out")
    else:
        st.button("Sign in with your organisation", on_click=st.login, type="primary", key="sign_in")
with st.form("sign_in_form"):
    email = st.text_input("E-mail address", key="email", max_chars=320)
    password = st.text_input("Password", type="password", key="password", max_chars=1024)
    submitted = st.form_submit_button("Sign in", type="primary", key="sign_in_submit")
if submitted:
    result = sign_in_with_password(email, password)
    if result.ok:
        st.rerun()
    st.error(result.message)
st.markdown("[Sign in so that the sign-in lasts across reloads and tabs](/sign-in)")
st.caption(" / ".join(i18n.text(lang, "use_your_link") for lang in i18n.LANGUAGES))
