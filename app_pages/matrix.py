"""The materiality matrix with the topic table beside it; a topic's group breakdown and the
respondents' comments on it (click a point, or choose the topic below the table)."""

import streamlit as st

from app_pages.common import (
    chart_with_topic_pick,
    get_engine,
    has_ratings,
    in_words,
    load_data,
    pick_assessment,
    picked,
    result_for,
    show_text,
)
from core.textsafety import markdown_literal
from render.matrix import matrix_chart, ranked_table
from services.results import topic_comments

chosen = pick_assessment()
if chosen:
    data = load_data(chosen)
    st.title("Materiality matrix", anchor=False)
    st.caption(markdown_literal(data.name))
    if has_ratings(data):
        result = result_for(chosen)
        topics = result.topics
        plotted = topics.dropna(subset=["stakeholder_importance", "business_significance"])
        if plotted.empty:
            st.info("No topic has ratings on both axes yet (stakeholders and management): nothing to plot.")
        event = None
        if not plotted.empty:
            chart, lines = chart_with_topic_pick(matrix_chart(result, width=820, height=600))
            st.caption(" ".join(lines[1:]))
            event = st.altair_chart(
                chart,
                theme=None,
                width="content",
                on_select="rerun",
                selection_mode="pick",
                key="matrix_chart",
            )
        st.subheader("Topics by rank", anchor=False)
        st.dataframe(ranked_table(result), hide_index=True, key="matrix_topics")
        names = dict(zip(topics["topic"], topics["name"], strict=True))
        clicked = picked(event)
        if clicked in names:
            st.session_state.matrix_topic = clicked
        topic = st.selectbox(
            "Topic",
            list(names),
            format_func=lambda t: names[t],
            key="matrix_topic",
            help="Or click a point on the matrix.",
        )
        row = topics.set_index("topic").loc[topic]
        st.subheader(markdown_literal(names[topic]), anchor=False)
        cols = st.columns(4)
        cols[0].metric("Tier", row["tier"] or "-")
        cols[1].metric("Rank", int(row["rank"]))
        cols[2].metric("Stakeholder respondents", int(row["n_respondents"]))
        cols[3].metric("Internal assessors", int(row["n_business"]))
        breakdown = result.groups[result.groups["topic"] == topic]
        min_size = int(result.method["min_group_size"])
        columns = ["group_name", "dimension", "mean", "n", "suppressed", "minority", "weight", "n_dont_know"]
        st.dataframe(
            breakdown[columns].assign(dimension=in_words(breakdown["dimension"])),
            hide_index=True,
            column_config={
                "group_name": "Group",
                "dimension": "Rates",
                "mean": st.column_config.NumberColumn("Mean", format="%.2f"),
                "n": "Respondents",
                "suppressed": st.column_config.CheckboxColumn(
                    "Withheld", help=f"Fewer than {min_size} respondents: the mean is not shown"
                ),
                "minority": st.column_config.CheckboxColumn(
                    "Minority view", help="Rates it far above or below the other groups"
                ),
                "weight": st.column_config.NumberColumn("Weight", format="%.0f%%"),
                "n_dont_know": "Don't know",
            },
            key="matrix_breakdown",
        )
        found = topic_comments(
            engine=get_engine(), assessment_key=chosen.assessment_key, topic=topic, min_group_size=min_size
        )
        st.markdown("**Comments from respondents**")
        if found.comments.empty:
            st.caption("No comments on this topic.")
        for group_name, text in found.comments[["group_name", "text"]].itertuples(index=False):
            with st.container(border=True):
                st.caption(markdown_literal(group_name))
                show_text(text)
        if found.withheld:
            st.caption(
                f"{found.withheld} comment(s) from groups with fewer than {min_size} respondents "
                "are withheld."
            )
