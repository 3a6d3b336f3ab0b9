"""The double-materiality matrix (impact against financial score, both thresholds), the topics'
decisions and the IRO heatmap."""

import streamlit as st

from app_pages.dma_common import chosen_assessment, has_register, result_of
from render.dma_charts import BASIS_NAMES, dma_matrix_chart, iro_heatmap_chart

picked = chosen_assessment("Double materiality")
if picked:
    key, inputs = picked
    if has_register(inputs):
        result = result_of(inputs)
        for note in result.notes:
            st.warning(f"Thresholds: {note}.")
        names = inputs.topic_names
        topics = result.topics.assign(
            name=[names.get(t, t) for t in result.topics["topic"]],
            decision=result.topics["basis"].map(BASIS_NAMES),
        )
        material = topics[topics["material"]]
        cols = st.columns(4)
        cols[0].metric("IROs", len(inputs.register))
        cols[1].metric("Material topics", f"{len(material)} of {len(topics)}")
        cols[2].metric("Flagged for calibration", int(result.iros["calibrate"].sum()))
        cols[3].metric("Decisions that could flip", int(topics["flips"].sum()))
        left, right = st.columns([3, 2])
        with left:
            st.altair_chart(
                dma_matrix_chart(result, names, width="container", height=480),
                theme=None,
                width="stretch",
                key="dma_matrix_chart",
            )
        with right:
            st.dataframe(
                topics[["name", "impact_score", "financial_score", "decision", "flips"]],
                hide_index=True,
                key="dma_topics",
                height=520,
                column_config={
                    "name": "Topic",
                    "impact_score": st.column_config.NumberColumn("Impact", format="%.2f"),
                    "financial_score": st.column_config.NumberColumn("Financial", format="%.2f"),
                    "decision": "Decision",
                    "flips": st.column_config.CheckboxColumn("Could flip"),
                },
            )
        st.caption(
            "A topic is material when its impact score reaches the impact threshold OR its financial score "
            "reaches the financial threshold; the two are never averaged. A topic with no impacts (or no "
            "risks and opportunities) sits at 0 on that axis. 'Could flip': material with the highest "
            "ratings any assessor gave, not with the lowest."
        )
        st.subheader("IROs", anchor=False)
        shown = result.iros[
            [
                "iro",
                "topic",
                "type",
                "status",
                "severity",
                "impact_score",
                "financial_score",
                "n_assessors",
                "spread",
                "calibrate",
                "missing_criteria",
            ]
        ].assign(topic=lambda f: f["topic"].map(lambda t: names.get(t, t)))
        st.dataframe(
            shown,
            hide_index=True,
            key="dma_iros",
            width="stretch",
            column_config={
                "severity": st.column_config.NumberColumn("Severity", format="%.2f"),
                "impact_score": st.column_config.NumberColumn("Impact", format="%.2f"),
                "financial_score": st.column_config.NumberColumn("Financial", format="%.2f"),
                "calibrate": st.column_config.CheckboxColumn("Calibrate"),
            },
        )
        with st.expander("IRO heatmap: the value of every criterion"):
            st.altair_chart(iro_heatmap_chart(result, names), theme=None, key="dma_heatmap")
