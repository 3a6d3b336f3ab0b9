"""Streamlit entry point: settings, navigation, and the page that was asked for."""

import streamlit as st

st.set_page_config(page_title="Materiality", page_icon="◧", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
