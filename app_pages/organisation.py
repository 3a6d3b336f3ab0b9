"""Sign-in through the identity provider (OpenID Connect), where the sign-in form's "Sign in
with your organisation" leads."""

import streamlit as st

from app_pages.access import identity_provider_refused, uses_identity_provider

st.title("Committee sign-in")
if not uses_identity_provider():
    st.info("This app has no identity provider: sign in with your e-mail address and password.")
    st.link_button("Sign in", "/sign-in")
else:
    refused = identity_provider_refused()
    if refused:
        st.error(refused)
        st.button("Sign out of the identity provider", on_click=st.logout, key="idp_sign_out")
    else:
        st.button("Sign in with your organisation", on_click=st.login, type="primary", key="sign_in")
