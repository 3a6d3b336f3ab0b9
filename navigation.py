"""Streamlit entry point: settings, the pages the signed-in account's role may see, and the
page that was asked for. A page the role may not see is not registered at all."""

import streamlit as st

from app_pages.access import current_account, sign_out_button
from services.access import ACCOUNTS, AUDIT, CHANGE, RATE, VIEW, may

st.set_page_config(page_title="Materiality", page_icon="◧", layout="wide")

# (file, title, icon, the right it needs)
PAGES = [
    ("app_pages/overview.py", "Overview", ":material/dashboard:", VIEW),
    ("app_pages/matrix.py", "Materiality matrix", ":material/scatter_plot:", VIEW),
    ("app_pages/whatif.py", "What-if and method", ":material/tune:", VIEW),
    ("app_pages/channels.py", "Channel map", ":material/hub:", VIEW),
    ("app_pages/year_over_year.py", "Year over year", ":material/compare_arrows:", VIEW),
    ("app_pages/campaign.py", "Campaign", ":material/campaign:", CHANGE),
    ("app_pages/new_assessment.py", "New assessment", ":material/add_circle:", CHANGE),
    ("app_pages/imports.py", "Import", ":material/upload_file:", CHANGE),
    ("app_pages/reports.py", "Reports", ":material/download:", VIEW),
    ("app_pages/survey_preview.py", "Survey preview", ":material/preview:", VIEW),
    ("app_pages/audit.py", "Audit trail", ":material/history:", AUDIT),
    ("app_pages/accounts.py", "Accounts", ":material/group:", ACCOUNTS),
    ("app_pages/account.py", "My account", ":material/person:", None),
]
# --- double materiality (IRO register, rating, matrix, calibration and sign-off) ---
DOUBLE_MATERIALITY = [
    ("app_pages/iro_register.py", "IRO register", ":material/list_alt:", VIEW),
    ("app_pages/dma_ratings.py", "IRO rating", ":material/rate_review:", RATE),
    ("app_pages/dma_matrix.py", "Double-materiality matrix", ":material/grid_view:", VIEW),
    ("app_pages/dma_signoff.py", "Calibration and sign-off", ":material/task_alt:", VIEW),
    ("app_pages/iro_assignments.py", "IRO assignments", ":material/assignment_ind:", CHANGE),
]
# --- end of double materiality ---
# Respondents answer on the plain form at /survey?token=... (web/survey.py), not on a page here;
# every page here needs a sign-in.
account = current_account()
if account is not None:
    sign_out_button(account)
    sections: dict[str, list[st.Page]] = {}
    for section, entries in (("Assessment", PAGES), ("Double materiality", DOUBLE_MATERIALITY)):
        for file, title, icon, right in entries:
            if right is None or may(account.role, right):
                first = not sections
                sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, default=first))
    st.navigation(sections, expanded=True).run()
else:
    sign_in = st.Page("app_pages/login.py", title="Sign in", url_path="login", default=True)
    organisation = st.Page("app_pages/organisation.py", title="Sign in", url_path="organisation")
    st.navigation([sign_in, organisation], position="hidden").run()
