"""The committee's preview of the survey: the form a group's respondents get, without issuing a
link. Respondents answer on the plain HTML form at /survey?token=... (``web/survey.py``)."""

import streamlit as st

from app_pages.common import get_engine, pick_assessment
from services import responding

st.title("Survey preview")
st.caption(
    "The form each group's respondents see, in English and Chinese, with nothing recorded. "
    "The preview link works for an hour and issues no survey link."
)
chosen = pick_assessment()
if chosen is None:
    st.stop()
groups = responding.group_names(engine=get_engine(), assessment_key=chosen.assessment_key)
group = st.selectbox("Group", list(groups), format_func=lambda key: groups[key], key="preview_group")
if group:
    query = responding.preview_query(engine=get_engine(), assessment_key=chosen.assessment_key, group=group)
    st.link_button("Open the preview in a new tab", f"/survey/preview?{query}", type="primary")
    st.iframe(f"/survey/preview?{query}", height=720)
