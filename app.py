"""Streamlit entry point: settings, navigation, and the page that was asked for."""

import streamlit as st

from app_pages.access import committee_signed_in, sign_out_button

st.set_page_config(page_title="Materiality", page_icon="◧", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
# The survey answers links (/survey?token=...) for everyone; all else needs the committee's sign-in.
survey = st.Page("app_pages/survey.py", title="Survey", url_path="survey", visibility="hidden")
if committee_signed_in():
    sign_out_button()
    st.navigation([*pages, survey]).run()
else:
    sign_in = st.Page("app_pages/login.py", title="Sign in", url_path="sign-in", default=True)
    st.navigation([sign_in, survey], position="hidden").run()
