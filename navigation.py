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
]
# --- double materiality (IRO register, rating, matrix, calibration and sign-off) ---
double_materiality = [
    st.Page("app_pages/iro_register.py", title="IRO register", icon=":material/list_alt:"),
    st.Page("app_pages/dma_ratings.py", title="IRO rating", icon=":material/rate_review:"),
    st.Page("app_pages/dma_matrix.py", title="Double-materiality matrix", icon=":material/grid_view:"),
    st.Page("app_pages/dma_signoff.py", title="Calibration and sign-off", icon=":material/task_alt:"),
]
# --- end of double materiality ---
# The survey answers links (/survey?token=...) for everyone; all else needs the committee's sign-in.
survey = st.Page("app_pages/survey.py", title="Survey", url_path="survey", visibility="hidden")
if committee_signed_in():
    sign_out_button()
    st.navigation(
        {"Assessment": [*pages, survey], "Double materiality": double_materiality}, expanded=True
    ).run()
else:
    sign_in = st.Page("app_pages/login.py", title="Sign in", url_path="sign-in", default=True)
    st.navigation([sign_in, survey], position="hidden").run()
