"""What every page shares: the database engine and cached loaders."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analysis.channels import channel_stats_from
from analysis.method import MethodConfig, method_from_dict
from analysis.pipeline import AnalysisResult, analyse
from core.aggregates import AssessmentData
from survey.assessments import data_version, list_assessments, previous_assessment
from survey.db import create_db_engine, transaction
from survey.methods import current_method
from survey.reads import load_assessment_data
from survey.settings import get_settings
from survey.tracking import tracking


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
    """The assessment chosen in the sidebar; the choice carries over from page to page."""
    keys = assessment_keys()
    if not keys:
        st.info(
            "No assessment yet. Create one on the New assessment page, "
            "or with `materiality init` or `materiality demo`."
        )
        return None
    state = st.session_state
    if state.get("chosen_assessment") not in keys:
        state.chosen_assessment = keys[-1]
    state.chosen_assessment = st.sidebar.selectbox(
        "Assessment", keys, index=keys.index(state.chosen_assessment), key="assessment"
    )
    return state.chosen_assessment


# --- results ------------------------------------------------------------------------------------


def previous_version(assessment_key: str) -> tuple[str, str] | None:
    """Key and data version of the assessment before this one, if any."""
    with transaction(get_engine(), write=False) as session:
        earlier = previous_assessment(session=session, key=assessment_key)
        if earlier is None:
            return None
        return earlier.key, data_version(session=session, assessment_key=earlier.key)


@st.cache_data(max_entries=32, show_spinner=False)
def _stored_method(assessment_key: str, version: str) -> dict | None:
    with transaction(get_engine(), write=False) as session:
        return current_method(session=session, assessment_key=assessment_key)


def stored_method(assessment_key: str) -> MethodConfig:
    """The assessment's method in force (the defaults when none was saved)."""
    config = _stored_method(assessment_key, current_version(assessment_key))
    return method_from_dict(config, source="stored method", record=True) if config else MethodConfig()


@st.cache_data(max_entries=64, show_spinner="Analysing ...")
def _analyse(
    assessment_key: str, version: str, previous: tuple[str, str] | None, method_json: str
) -> AnalysisResult:
    config = json.loads(method_json)
    method = method_from_dict(config["method"], source="method")
    earlier = _load(*previous) if previous else None
    return analyse(_load(assessment_key, version), method, earlier, source=config["source"])


def result_for(assessment_key: str, method: MethodConfig | None = None) -> AnalysisResult:
    """The analysis under `method` (default: the stored method) with last year's for the
    changes, cached on both data versions (saving a method bumps the version too)."""
    version = current_version(assessment_key)
    stored = _stored_method(assessment_key, version)
    if method is None:
        source = {"kind": "stored"} if stored else {"kind": "defaults"}
        method = method_from_dict(stored, source="stored method", record=True) if stored else MethodConfig()
    else:
        source = {"kind": "app"}
    key = json.dumps({"method": method.as_dict(), "source": source}, sort_keys=True)
    return _analyse(assessment_key, version, previous_version(assessment_key), key)


def channel_stats(assessment_key: str, data: AssessmentData) -> pd.DataFrame:
    """Links issued and responses per group and channel (links are read fresh: issuing them
    does not change the data version)."""
    with transaction(get_engine(), write=False) as session:
        return channel_stats_from(data, tracking(session=session, assessment_key=assessment_key))


def has_ratings(data: AssessmentData) -> bool:
    """Whether any rating is in; otherwise says so on the page."""
    if data.aggregates.histogram.empty:
        st.info("No responses yet: results appear here once stakeholders have answered.")
        return False
    return True


def show_text(text: str) -> None:
    """Untrusted text (a respondent's comment) as plain text: no Markdown, no links, no HTML."""
    st.text(text)


def chart_with_topic_pick(chart: alt.LayerChart, name: str = "pick") -> tuple[alt.LayerChart, list[str]]:
    """The matrix with a click-to-pick selection on its topic points, drawn as SVG (so every
    point is an element of the page), and its title lines to show above it.

    Streamlit fits a chart into its width and height, titles included: the chart's own title is
    taken off (the page shows it) and the y-axis title is kept within the plot's height.
    """
    pick = alt.selection_point(name=name, fields=["topic"], on="click")
    layers = list(chart.layer)
    for i, layer in enumerate(layers):
        mark = layer.mark if isinstance(layer.mark, str) else getattr(layer.mark, "type", None)
        if mark == "point" and "shape" in layer.encoding.to_dict():
            layers[i] = layer.add_params(pick).properties(name="topic_points")
    chart.layer = layers
    title = chart.title
    lines = [str(title.text), *list(title.subtitle)] if isinstance(title, alt.Title) else []
    chart.title = alt.Undefined
    chart.config.axisY = alt.AxisConfig(titleLimit=max(200, int(chart.height) - 90))
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg", "actions": False}}), lines


def picked(event: object, name: str = "pick") -> str | None:
    """The topic picked on a chart (None when nothing is picked)."""
    selection = getattr(event, "selection", None) or {}
    points = selection.get(name) or []
    return points[0].get("topic") if points else None
