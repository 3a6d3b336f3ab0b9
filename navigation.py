"""Streamlit entry point: settings, navigation, and the page that was asked for."""

import streamlit as st

from app_pages.access import committee_signed_in, sign_out_button

st.set_page_config(page_title="Materiality", page_icon="◧", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/matrix.py", title="Materiality matrix", icon=":material/scatter_plot:"),
    st.Page("app_pages/whatif.py", title="What-if and method", icon=":material/tune:"),
    st.Page("app_pages/channels.py", title="Channel map", icon=":material/hub:"),
    st.Page("app_pages/year_over_year.py", title="Year over year", icon=":material/compare_arrows:"),
    st.Page("app_pages/campaign.py", title="Campaign", icon=":material/campaign:"),
    st.Page("app_pages/new_assessment.py", title="New assessment", icon=":material/add_circle:"),
    st.Page("app_pages/imports.py", title="Import", icon=":material/upload_file:"),
    st.Page("app_pages/reports.py", title="Reports", icon=":material/download:"),
    st.Page(
        "app_pages/survey.py", title="Survey preview", url_path="survey-preview", icon=":material/preview:"
    ),
]
# Respondents answer on the plain form at /survey?token=... (web/survey.py), not on a page here;
# every page here needs the committee's sign-in.
if committee_signed_in():
    sign_out_button()
    st.navigation(pages).run()
else:
    sign_in = st.Page("app_pages/login.py", title="Sign in", url_path="sign-in", default=True)
    st.navigation([sign_in], position="hidden").run()
