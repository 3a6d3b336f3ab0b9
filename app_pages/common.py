"""What every page shares: the database engine and cached loaders."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from analysis.aggregates import AssessmentData
from survey.db import create_db_engine, transaction
from survey.settings import get_settings
from survey.store import data_version, list_assessments, load_assessment_data


@st.cache_resource
def get_engine() -> Engine:
    return create_db_engine(get_settings().database_url)


def assessment_keys() -> list[str]:
    with transaction(get_engine(), write=False) as session:
        return [a.key for a in list_assessments(session=session)]


def current_version(assessment_key: str) -> str:
    with transaction(get_engine(), write=False) as session:
        return data_version(session=session, assessment_key=assessment_key)


@st.cache_data(max_entries=32, show_spinner=False)
def _load(assessment_key: str, version: str) -> AssessmentData:
    with transaction(get_engine()) as session:
        return load_assessment_data(session=session, assessment_key=assessment_key)


def load_data(assessment_key: str) -> AssessmentData:
    """The assessment's data, cached on its data version (never stale after new responses)."""
    return _load(assessment_key, current_version(assessment_key))


def pick_assessment() -> str | None:
    keys = assessment_keys()
    if not keys:
        st.info("No assessment yet. Create one with `materiality init --assessment KEY` or `materiality demo`.")
        return None
    return st.sidebar.selectbox("Assessment", keys, index=len(keys) - 1, key="assessment")
