"""What every page shares: the engine, the chosen assessment, the cached analysis and a few
small widgets.

Pages ask :mod:`services` for what they show. What costs time (the data, last year's, the
analysis) is cached on the assessment's versions, read once per page run, so a cache is never
stale after a new response, a withdrawal, a link issued or a method saved, in any process.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analysis.method import MethodConfig
from analysis.pipeline import AnalysisResult
from core.aggregates import AssessmentData
from services import assessments, results
from services.results import AnalysisInputs, Versions
from survey.db import create_db_engine
from survey.settings import get_settings


@st.cache_resource
def get_engine() -> Engine:
    return create_db_engine(get_settings().database_url)


def assessment_keys() -> list[str]:
    return assessments.assessment_keys(engine=get_engine())


# Charts narrower than the page keep their size; on a narrow screen they shrink to its width
# (labels and all, so nothing placed on them moves) instead of making the page scroll sideways.
FIT_CHARTS = """<style>
[data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] > div { max-width: 100%; }
[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas {
  max-width: 100% !important; height: auto !important;
}
</style>"""


def pick_assessment() -> Versions | None:
    """The assessment chosen in the sidebar (the choice carries over from page to page), with
    the versions of its data that the page's cached results are keyed on."""
    st.html(FIT_CHARTS)
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
    return results.versions(engine=get_engine(), assessment_key=state.chosen_assessment)


@st.cache_data(max_entries=32, show_spinner=False)
def _inputs(assessment_key: str, versions: str) -> AnalysisInputs:
    return results.analysis_inputs(engine=get_engine(), assessment_key=assessment_key)


def analysis_inputs(chosen: Versions) -> AnalysisInputs:
    """The assessment's data, last year's, the method in force and the links per channel."""
    return _inputs(chosen.assessment_key, chosen.key())


def load_data(chosen: Versions) -> AssessmentData:
    return analysis_inputs(chosen).data


def channel_stats(chosen: Versions) -> pd.DataFrame:
    """Links issued and responses per group and channel."""
    return analysis_inputs(chosen).channel_stats


def method_in_force(chosen: Versions) -> MethodConfig:
    """The assessment's stored method (the defaults when none was saved)."""
    return analysis_inputs(chosen).method.config


@st.cache_data(max_entries=64, show_spinner="Analysing ...")
def _result(assessment_key: str, data_versions: str, method: str | None, _versions: str) -> AnalysisResult:
    """Keyed on the data versions only (an argument whose name starts with _ is not part of the
    key): links issued since do not call for a new analysis."""
    chosen = None if method is None else results.Method.from_key(method)
    return results.analyse_inputs(_inputs(assessment_key, _versions), chosen)


def result_for(chosen: Versions, method: MethodConfig | None = None) -> AnalysisResult:
    """The analysis under `method` (default: the method in force) with last year's for the
    changes."""
    other = None if method is None else results.chosen_method(method).key()
    return _result(chosen.assessment_key, chosen.key(links=False), other, chosen.key())


# What a group rates, in the committee's words.
DIMENSION_WORDS = {
    "importance": "importance to stakeholders",
    "business_impact": "significance to the business",
}


def in_words(values: pd.Series) -> pd.Series:
    """Dimension keys (``importance``, ``business_impact``) as words; anything else as it is."""
    return values.map(DIMENSION_WORDS).fillna(values)


def has_ratings(data: AssessmentData) -> bool:
    """Whether any rating is in; otherwise says so on the page."""
    if data.aggregates.histogram.empty:
        st.info("No responses yet: results appear here once stakeholders have answered.")
        return False
    return True


def show_text(text: str) -> None:
    """Untrusted text (a respondent's comment) as plain text: no Markdown, no links, no HTML."""
    st.text(text)


def chart_with_topic_pick(
    chart: alt.LayerChart | alt.FacetChart, name: str = "pick"
) -> tuple[alt.LayerChart, list[str]]:
    """The matrix with a click-to-pick selection on its topic points, drawn as SVG (so every
    point is an element of the page), and its title lines to show above it.

    Streamlit fits a chart into its width and height, titles included: the chart's own title is
    taken off (the page shows it) and the y-axis title is kept within the plot's height.
    """
    if not isinstance(chart, alt.LayerChart):
        raise TypeError("a topic can be picked on a layered chart only")
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
    chart.config.axisY = alt.AxisConfig(titleLimit=max(200, int(chart.height)))
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg", "actions": False}}), lines


def picked(event: object, name: str = "pick") -> str | None:
    """The topic picked on a chart (None when nothing is picked)."""
    selection = getattr(event, "selection", None) or {}
    points = selection.get(name) or []
    return points[0].get("topic") if points else None
