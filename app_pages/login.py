"""Sign-in for the committee; the only page besides the survey that anyone can reach."""

import streamlit as st

from app_pages.access import password_hash, sign_in_with_password, uses_identity_provider
from survey import i18n

st.title("Committee sign-in")
if uses_identity_provider():
    st.button("Sign in", on_click=st.login, type="primary", key="sign_in")
else:
    password_hash()  # on the very first start: generated, printed on the console, hash stored
    with st.form("sign_in_form"):
        password = st.text_input("Committee password", type="password", key="password")
        submitted = st.form_submit_button("Sign in", type="primary", key="sign_in_submit")
    if submitted:
        if sign_in_with_password(password):
            st.rerun()
        st.error("That password is not right.")
st.caption(" / ".join(i18n.text(lang, "use_your_link") for lang in i18n.LANGUAGES))
