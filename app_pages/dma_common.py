"""What the double-materiality pages share: the cached inputs and result (keyed on the
assessment's double-materiality version), who is acting, the state badge and the errors."""

from __future__ import annotations

import streamlit as st

from analysis.dma import DmaResult
from app_pages.access import allowed, current_account_email
from app_pages.common import get_engine, pick_assessment
from core.textsafety import markdown_literal
from services import dma
from services.access import CHANGE
from services.dma import DmaInputs

STATE_NAMES = {"draft": "Draft", "rating": "Rating", "calibration": "Calibration", "signed_off": "Signed off"}


@st.cache_data(max_entries=16, show_spinner=False)
def _inputs(assessment_key: str, version: str) -> DmaInputs:
    return dma.dma_inputs(engine=get_engine(), assessment_key=assessment_key)


@st.cache_data(max_entries=16, show_spinner="Scoring ...")
def _result(assessment_key: str, version: str) -> DmaResult:
    return dma.score(_inputs(assessment_key, version))


def chosen_assessment(title: str) -> tuple[str, DmaInputs] | None:
    """The assessment from the sidebar, its inputs, and the page title with the state."""
    chosen = pick_assessment()
    if chosen is None:
        return None
    key = chosen.assessment_key
    inputs = _inputs(key, dma.version(engine=get_engine(), assessment_key=key))
    st.title(f"{title}: {markdown_literal(key)}", anchor=False)
    st.caption(f"Double materiality, state: **{STATE_NAMES.get(inputs.state, inputs.state)}**")
    return key, inputs


def result_of(inputs: DmaInputs) -> DmaResult:
    return _result(inputs.assessment_key, inputs.version)


def has_register(inputs: DmaInputs) -> bool:
    """Whether the assessment has IROs; otherwise says where to start."""
    if inputs.register.empty:
        st.info("No IRO register yet: import one or carry last year's forward on the IRO register page.")
        return False
    return True


def actor() -> str | None:
    """Who acts, for the log: the signed-in account."""
    return current_account_email()


def needs_actor(right: str = CHANGE) -> str | None:
    """The signed-in account acting, when its role has `right`; else a note that this page is
    read-only for it (and None, so that nothing can be changed)."""
    name = actor()
    if name is None or not allowed(right):
        st.info("Your role can read this page but not change it.")
        return None
    return name


def show_error(error: Exception) -> None:
    """A refusal as plain lines (the text may quote a file's cells)."""
    st.error("Not saved:")
    st.code(str(error), language=None, wrap_lines=True)


def refresh() -> None:
    st.cache_data.clear()
    st.rerun()
