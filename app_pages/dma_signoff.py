"""Thresholds, calibration and sign-off: set the thresholds (who, when, why), agree consensus
values where assessors differ, move the workflow on, sign off or reopen; the log of every step."""

import streamlit as st

from analysis.dma_method import CRITERIA
from app_pages.common import get_engine
from app_pages.dma_common import chosen_assessment, has_register, needs_actor, refresh, result_of, show_error
from services import dma

picked = chosen_assessment("Calibration and sign-off")
if picked:
    key, inputs = picked
    engine = get_engine()
    locked = inputs.state == "signed_off"
    name = needs_actor()
    if has_register(inputs):
        result = result_of(inputs)

        st.subheader("Thresholds", anchor=False)
        current = inputs.thresholds
        with st.form("thresholds_form"):
            left, right = st.columns(2)
            impact = left.number_input(
                "Impact threshold", 1.0, 5.0, current.impact or 3.0, 0.1, key="t_impact"
            )
            financial = right.number_input(
                "Financial threshold", 1.0, 5.0, current.financial or 3.0, 0.1, key="t_financial"
            )
            reason = st.text_input("Why these thresholds", key="t_reason", max_chars=2000)
            save = st.form_submit_button("Set the thresholds", disabled=locked or name is None)
        if save and name is not None:
            try:
                late = dma.set_thresholds(
                    engine=engine,
                    assessment_key=key,
                    impact=impact,
                    financial=financial,
                    reason=reason,
                    actor=name,
                )
            except ValueError as error:
                show_error(error)
            else:
                st.toast("Thresholds set" + (" (after ratings: the disclosure says so)" if late else ""))
                refresh()
        if len(inputs.threshold_log):
            st.dataframe(
                inputs.threshold_log,
                hide_index=True,
                key="threshold_log",
                column_config={
                    "set_at": st.column_config.DatetimeColumn("Set on", format="YYYY-MM-DD HH:mm"),
                    "set_by": "By",
                    "impact": "Impact",
                    "financial": "Financial",
                    "reason": "Reason",
                    "after_ratings": st.column_config.CheckboxColumn("After ratings"),
                },
            )

        st.subheader("Calibration", anchor=False)
        flagged = result.iros[result.iros["calibrate"]]
        if flagged.empty:
            st.success("No criterion has assessors 2 or more points apart without a consensus value.")
        else:
            st.write(f"{len(flagged)} IRO(s) where assessors differ by 2 points or more:")
            st.dataframe(
                flagged[["iro", "topic", "disputed_criteria", "spread"]], hide_index=True, key="calibrate"
            )
        choices = list(flagged["iro"]) or list(inputs.register["iro"])
        target = st.selectbox("IRO", choices, key="cal_iro")
        disputed = [c for c in result.iros.set_index("iro").loc[target, "disputed_criteria"].split(";") if c]
        criterion = st.selectbox("Criterion", disputed or list(CRITERIA), key="cal_criterion")
        ratings = inputs.ratings[
            (inputs.ratings["iro"] == target) & (inputs.ratings["criterion"] == criterion)
        ]
        st.dataframe(
            ratings[["assessor", "value", "rationale"]],
            hide_index=True,
            key="cal_ratings",
            column_config={"assessor": "Assessor", "value": "Value", "rationale": "Rationale"},
        )
        with st.form("consensus_form"):
            value = st.select_slider("Agreed value", [1, 2, 3, 4, 5], value=3, key="cal_value")
            why = st.text_area("Why the assessors agreed on it", key="cal_why", max_chars=4000, height=68)
            agree = st.form_submit_button("Set the consensus value", disabled=locked or name is None)
        if agree and name is not None:
            try:
                dma.set_consensus(
                    engine=engine,
                    assessment_key=key,
                    iro_id=target,
                    criterion=criterion,
                    value=value,
                    rationale=why,
                    actor=name,
                )
            except ValueError as error:
                show_error(error)
            else:
                refresh()

        st.subheader("Sign-off", anchor=False)
        problems = dma.sign_off_problems(inputs, result)
        if locked:
            st.success("Signed off: the register, the ratings and the thresholds are locked.")
            why_reopen = st.text_input("Why reopen", key="reopen_reason", max_chars=2000)
            if st.button("Reopen", key="reopen", disabled=name is None):
                try:
                    dma.reopen(engine=engine, assessment_key=key, actor=str(name), reason=why_reopen)
                except ValueError as error:
                    show_error(error)
                else:
                    refresh()
        else:
            for problem in problems:
                st.warning(f"Before sign-off: {problem}.")
            if inputs.state in dma.NEXT_STATE and st.button(
                f"Move on to {dma.NEXT_STATE[inputs.state]}", key="advance", disabled=name is None
            ):
                dma.advance(engine=engine, assessment_key=key, actor=str(name))
                refresh()
            note = st.text_input("Sign-off note (meeting, decision)", key="signoff_note", max_chars=2000)
            if st.button("Sign off", key="sign_off", type="primary", disabled=bool(problems) or name is None):
                try:
                    dma.sign_off(engine=engine, assessment_key=key, actor=str(name), reason=note)
                except ValueError as error:
                    show_error(error)
                else:
                    refresh()
        st.subheader("Log", anchor=False)
        st.dataframe(
            inputs.events,
            hide_index=True,
            key="dma_events",
            width="stretch",
            column_config={
                "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                "action": "Step",
                "state": "State after",
                "actor": "By",
                "reason": "Why",
            },
        )
