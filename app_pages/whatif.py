"""What-if on the method: other group weights, tiering method, number of tiers or thresholds,
and the topics move at once. A variant can be saved as the assessment's method with a reason;
every change of method is logged (who, when, what, why)."""

import time

import streamlit as st

from analysis.method import TIERING_METHODS, MethodConfig, MethodError
from analysis.pipeline import AnalysisResult
from analysis.whatif import (
    interactive,
    method_changes,
    suggested_thresholds,
    tier_moves,
    variant,
)
from app_pages.access import allowed, current_account_email
from app_pages.common import (
    analysis_inputs,
    get_engine,
    has_ratings,
    method_in_force,
    pick_assessment,
    result_for,
)
from core.textsafety import markdown_literal
from render.whatif import moves_chart
from services.access import CHANGE
from services.methods import method_history, save_method
from services.results import AnalysisInputs, analyse_inputs, chosen_method
from survey.errors import StoreError

WEIGHTINGS = {
    "equal": "Every group counts equally",
    "respondents": "By respondents",
    "explicit": "Explicit weights",
}


@st.fragment
def what_if(inputs: AnalysisInputs, base: MethodConfig, base_result: AnalysisResult) -> None:
    """Reruns on its own when a control changes: no reload of the data, one analysis."""
    data = inputs.data
    controls, shown = st.columns([1, 2])
    with controls:
        weighting = st.radio(
            "Group weighting",
            list(WEIGHTINGS),
            format_func=WEIGHTINGS.get,
            index=list(WEIGHTINGS).index(base.group_weighting),
            key="whatif_weighting",
        )
        points = {}
        if weighting == "explicit":
            stakeholders = data.groups[data.groups["dimension"] == "importance"]
            for group, name in stakeholders[["group", "name"]].itertuples(index=False):
                start = float(base.group_weights.get(group, 100.0 / len(stakeholders)))
                points[group] = st.number_input(
                    name, 0.0, 100.0, round(start, 1), 1.0, key=f"whatif_w_{group}"
                )
        tiering = st.selectbox(
            "Tiering method",
            TIERING_METHODS,
            index=TIERING_METHODS.index(base.tiering.method),
            key="whatif_tiering",
        )
        n_tiers = st.radio(
            "Tiers", [2, 3], index=base.tiering.n_tiers - 2, horizontal=True, key="whatif_tiers"
        )
        thresholds = None
        if tiering == "thresholds":
            suggested = suggested_thresholds(base_result, n_tiers)
            thresholds = [
                st.number_input(
                    f"Cut {i + 1} (combined score)",
                    value=float(t),
                    step=0.05,
                    key=f"whatif_cut_{n_tiers}_{i}",
                )
                for i, t in enumerate(suggested)
            ]
    try:
        candidate = variant(
            base,
            group_weighting=weighting,
            group_points=points,
            tiering=tiering,
            n_tiers=n_tiers,
            thresholds=thresholds,
        )
        clock = time.perf_counter()
        quick = interactive(candidate)
        result = analyse_inputs(inputs, chosen_method(quick, kind="what-if"), compare=False)
        elapsed = time.perf_counter() - clock
    except MethodError as error:
        with shown:
            for problem in error.problems:
                st.error(problem)
        return
    moves = tier_moves(base_result, result)
    with shown:
        moved = moves[moves["moved"]]
        st.markdown(f"**{len(moved)} topic(s) change tier** under this variant.")
        st.altair_chart(moves_chart(moves, result), theme=None, key="whatif_chart")
        st.caption(
            f"Computed in {elapsed * 1000:.0f} ms from the summary tables; intervals and p_tier from "
            f"{quick.resamples} resamples here (the saved method uses {candidate.resamples})."
        )
    st.dataframe(
        moves[
            [
                "name",
                "tier_before",
                "tier_after",
                "rank_before",
                "rank_after",
                "combined_score",
                "p_tier",
                "moved",
            ]
        ],
        hide_index=True,
        column_config={
            "name": "Topic",
            "tier_before": "Tier (method in force)",
            "tier_after": "Tier (variant)",
            "rank_before": "Rank before",
            "rank_after": "Rank now",
            "combined_score": st.column_config.NumberColumn("Combined score", format="%.2f"),
            "p_tier": st.column_config.NumberColumn("p_tier", format="percent"),
            "moved": "Changed",
        },
        key="whatif_moves",
    )
    changes = method_changes(base.as_dict(), candidate.as_dict())
    if not allowed(CHANGE):
        st.caption("Saving a variant as the method needs the committee or admin role.")
        return
    with st.form("save_method", border=True):
        st.markdown("**Save this variant as the assessment's method**")
        st.text("\n".join(changes) if changes else "Same as the method in force.")
        reason = st.text_area("Why", key="method_reason", max_chars=2000)
        if st.form_submit_button("Save as the method", type="primary", key="method_save"):
            if not changes:
                st.warning("Nothing to save: this is the method in force.")
            else:
                try:
                    save_method(
                        engine=get_engine(),
                        assessment_key=data.key,
                        method=candidate,
                        actor=current_account_email(),
                        reason=reason,
                    )
                except StoreError as error:
                    st.error(str(error))
                else:
                    st.session_state.method_saved = True
                    st.rerun(scope="app")


chosen = pick_assessment()
if chosen:
    inputs = analysis_inputs(chosen)
    data = inputs.data
    st.title(f"What-if and method: {markdown_literal(data.name)}", anchor=False)
    if st.session_state.pop("method_saved", False):
        st.success("Saved: the new method is in force and logged below.")
    if has_ratings(data):
        what_if(inputs, method_in_force(chosen), result_for(chosen))
    st.subheader("Method log")
    history = method_history(engine=get_engine(), assessment_key=chosen.assessment_key)
    if history.empty:
        st.caption("No method saved yet: the defaults are in force.")
    for when, author, reason, changes in history[["created_at", "author", "reason", "changes"]].itertuples(
        index=False
    ):
        with st.container(border=True):
            st.caption(f"{when:%Y-%m-%d %H:%M} UTC, by")
            st.text(author)
            st.text("\n".join(changes) or "(defaults)")
            st.caption("Why")
            st.text(reason)
