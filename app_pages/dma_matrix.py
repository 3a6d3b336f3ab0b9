"""The double-materiality matrix (impact against financial score, both thresholds), the topics'
decisions and the IRO heatmap."""

import streamlit as st

from app_pages.dma_common import chosen_assessment, has_register, result_of
from render.dma_charts import BASIS_NAMES, MATRIX_SUBTITLE, dma_matrix_chart, iro_heatmap_chart
from render.numbers import number

picked = chosen_assessment("Double-materiality matrix")
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
        st.caption(MATRIX_SUBTITLE + ".")
        st.altair_chart(
            dma_matrix_chart(result, names, width="container", height=520, titled=False).properties(
                usermeta={"embedOptions": {"renderer": "svg", "actions": False}}
            ),
            theme=None,
            width="stretch",
            key="dma_matrix_chart",
        )
        st.dataframe(
            topics.assign(
                impact=topics["impact_score"].map(lambda v: number(v, missing="no impacts")),
                financial=topics["financial_score"].map(lambda v: number(v, missing="none")),
            )[["name", "impact", "financial", "decision", "flips"]],
            hide_index=True,
            key="dma_topics",
            width="stretch",
            column_config={
                "name": "Topic",
                "impact": "Impact score",
                "financial": "Financial score",
                "decision": "Decision",
                "flips": st.column_config.CheckboxColumn("Could flip"),
            },
        )
        st.caption(
            "A topic is material when its impact score reaches the impact threshold OR its financial score "
            "reaches the financial threshold; the two are never averaged. A topic with no impacts (or no "
            "risks and opportunities) sits at 0 on that axis. 'Could flip': material with the highest "
            "ratings any assessor gave, not with the lowest. On a narrow screen the chart leaves out its "
            "labels: tap a point, or read the table."
        )
        st.subheader("IROs", anchor=False)
        shown = result.iros.assign(
            topic=[names.get(t, t) for t in result.iros["topic"]],
            type=result.iros["type"].str.replace("_", " "),
            **{
                c: result.iros[c].map(lambda v: number(v, missing=""))
                for c in ("severity", "impact_score", "financial_score")
            },
        )
        st.dataframe(
            shown[
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
            ],
            hide_index=True,
            key="dma_iros",
            width="stretch",
            column_config={
                "iro": "IRO",
                "topic": "Topic",
                "type": "Type",
                "status": "Status",
                "severity": "Severity",
                "impact_score": "Impact",
                "financial_score": "Financial",
                "n_assessors": "Assessors",
                "spread": st.column_config.NumberColumn("Spread", format="%d"),
                "calibrate": st.column_config.CheckboxColumn("Calibrate"),
                "missing_criteria": "Not yet rated",
            },
        )
        with st.expander("IRO heatmap: the value of every criterion"):
            st.altair_chart(iro_heatmap_chart(result, names), theme=None, key="dma_heatmap")
